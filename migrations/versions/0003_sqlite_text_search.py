"""SQLite: a full-text trigram index for substring search on photos.search_text.

``LIKE '%word%'`` cannot use a B-tree index, and on SQLite a search over the whole catalog
otherwise walks the date index row by row. An FTS5 table with the trigram tokenizer (SQLite
3.34+) answers the same substring question from an index; triggers keep it in step with
``photos``. PostgreSQL has the equivalent pg_trgm GIN index from revision 0001.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = ("photos_search_insert", "photos_search_update", "photos_search_delete")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE VIRTUAL TABLE photos_search USING fts5("
        "search_text, content='photos', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER photos_search_insert AFTER INSERT ON photos BEGIN "
        "INSERT INTO photos_search(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER photos_search_update AFTER UPDATE OF search_text ON photos BEGIN "
        "INSERT INTO photos_search(photos_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO photos_search(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER photos_search_delete AFTER DELETE ON photos BEGIN "
        "INSERT INTO photos_search(photos_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END"
    )
    op.execute("INSERT INTO photos_search(photos_search) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS photos_search")
