"""Seed the era and event vocabularies with Korean modern history and generic events.

The terms are written out here (not imported from app code) so this revision always inserts
the same rows. Curators add more terms later; downgrade removes only seeded terms no record uses.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, year_from, year_to, description)
ERAS = [
    ("Late Joseon", 1876, 1897, "From the opening of the ports to the proclamation of the Korean Empire."),
    ("Korean Empire", 1897, 1910, "Daehan Jeguk, proclaimed by Emperor Gojong."),
    ("Japanese occupation", 1910, 1945, "Colonial rule, from annexation to liberation."),
    ("Liberation", 1945, 1948, "Liberation and the US/Soviet occupation until the founding of two states."),
    ("First Republic", 1948, 1960, "The Rhee Syngman government."),
    ("Korean War", 1950, 1953, "From the invasion of 25 June 1950 to the armistice of 27 July 1953."),
    ("Second Republic", 1960, 1961, "After the April Revolution, until the May 16 coup."),
    ("Park Chung-hee era", 1961, 1979, "Military government, Third and Fourth (Yushin) Republics."),
    ("Fifth Republic", 1980, 1988, "The Chun Doo-hwan government."),
    ("Democratization", 1987, None, "The Sixth Republic, after the June Democratic Struggle."),
]
EVENTS = [
    ("March 1st Movement", 1919, 1919, "Independence demonstrations from 1 March 1919."),
    ("Liberation Day", 1945, 1945, "15 August 1945, the end of Japanese rule (Gwangbokjeol)."),
    ("Korean War", 1950, 1953, "Fighting, refugees and reconstruction of the war years."),
    ("April Revolution", 1960, 1960, "The student-led uprising of April 1960."),
    ("Gwangju Uprising", 1980, 1980, "The Gwangju Democratization Movement, 18-27 May 1980."),
    ("June Democratic Struggle", 1987, 1987, "The nationwide protests of June 1987."),
    ("Seoul Olympics", 1988, 1988, "The 1988 Summer Olympic Games."),
    ("War", None, None, "Generic: armed conflict, soldiers, destruction."),
    ("Liberation", None, None, "Generic: celebrations of liberation or independence."),
    ("Demonstration", None, None, "Generic: protests, marches, rallies."),
    ("Ceremony", None, None, "Generic: weddings, funerals, official and religious ceremonies."),
    ("Daily life", None, None, "Generic: markets, streets, work, family life."),
    ("Portrait", None, None, "Generic: studio and individual portraits."),
]

terms = sa.table(
    "vocabulary_terms",
    sa.column("kind", sa.String),
    sa.column("name", sa.String),
    sa.column("year_from", sa.Integer),
    sa.column("year_to", sa.Integer),
    sa.column("description", sa.Text),
)


def _rows() -> list[dict[str, object]]:
    return [
        {"kind": kind, "name": name, "year_from": start, "year_to": end, "description": text}
        for kind, entries in (("era", ERAS), ("event", EVENTS))
        for name, start, end, text in entries
    ]


def upgrade() -> None:
    op.bulk_insert(terms, _rows())


def downgrade() -> None:
    for row in _rows():
        op.execute(
            sa.text(
                "DELETE FROM vocabulary_terms WHERE kind = :kind AND name = :name "
                "AND id NOT IN (SELECT era_id FROM photos WHERE era_id IS NOT NULL) "
                "AND id NOT IN (SELECT event_id FROM photos WHERE event_id IS NOT NULL) "
                "AND id NOT IN (SELECT era_id FROM reference_colors WHERE era_id IS NOT NULL) "
                "AND id NOT IN (SELECT event_id FROM reference_colors WHERE event_id IS NOT NULL)"
            ).bindparams(kind=row["kind"], name=row["name"])
        )
