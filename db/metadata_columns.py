"""A photo's descriptive fields and the metadata CSV columns that set them.

Kept apart from :mod:`db.photos` and :mod:`db.ingest` (which use them) because it imports no
database code: ``findcolor import --help`` lists the columns without loading SQLAlchemy.
"""

from __future__ import annotations

from db.choices import TermKind

# Descriptive fields a curator may set (on import or later), with their maximum lengths.
TEXT_FIELDS: dict[str, int | None] = {
    "title": 500,
    "description": None,
    "date_text": 200,
    "place": 500,
    "source": 500,
    "rights": 500,
    "identifier": 200,
}
YEAR_FIELDS = ("year_from", "year_to")
TERM_FIELDS = {"era": TermKind.ERA, "event": TermKind.EVENT}
DESCRIPTIVE_FIELDS = (*TEXT_FIELDS, *YEAR_FIELDS, *TERM_FIELDS, "tags")

FILENAME_COLUMN = "filename"
COLUMN_ALIASES = {"date": "date_text", "subject": "event", "tag": "tags", "accession": "identifier"}


def csv_columns_help() -> str:
    """The metadata CSV's columns, one paragraph for ``findcolor import --help``."""
    aliases = ", ".join(f"{alias} (= {name})" for alias, name in COLUMN_ALIASES.items())
    return (
        f"Metadata CSV columns: {FILENAME_COLUMN} (required: matched against each file's name), then any of "
        f"{', '.join(DESCRIPTIVE_FIELDS)}, and year (sets year_from and year_to). Also accepted: {aliases}. "
        "era and event must name terms of the vocabulary; tags are separated by ';' or ','. RFC 4180 CSV as Excel "
        "and LibreOffice write it (comma, semicolon or tab separated; UTF-8, with or without BOM). An unknown "
        "column stops the import before anything is stored."
    )
