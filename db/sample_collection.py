"""The sample collection shipped with Find Color: five real photographs to try the whole flow on.

A newcomer's catalog is empty, and an empty catalog shows nothing of the product. The photos in
``db/sample_photos/`` (black-and-white originals and labelled gray versions of public-domain
colour photographs; sources and licences in ``manifest.csv`` and ``LICENSES.md`` there) are
loaded through the ordinary import (:func:`db.ingest.import_paths` with the shipped metadata
CSV), so they are stored byte for byte under their SHA-256, audited like any scan, and carry
their source and licence into every export. Loading again finds them as duplicates and adds
nothing. Eras and events the manifest names beyond the seeded vocabulary are added first
(audited ``vocabulary.add``), since an import refuses unknown terms.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from db.ingest import ImportOutcome, ImportReport, import_paths, read_metadata_csv
from db.models import Role, User
from db.settings import Settings
from db.store import FileStore
from db.users import authorize
from db.vocabulary import add_term, get_term

SAMPLE_DIR = Path(__file__).resolve().with_name("sample_photos")
MANIFEST = SAMPLE_DIR / "manifest.csv"
VOCABULARY = SAMPLE_DIR / "vocabulary.csv"


def sample_files() -> list[Path]:
    """The collection's image files, in the manifest's order (only what the manifest describes)."""
    return [SAMPLE_DIR / name for name in read_metadata_csv(MANIFEST)]


def _add_missing_terms(*, session: Session, actor: User) -> list[str]:
    """Add the eras and events the manifest needs that the catalog lacks; their names."""
    added = []
    with open(VOCABULARY, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if get_term(session=session, kind=row["kind"], name=row["name"]) is None:
                add_term(
                    session=session, actor=actor, kind=row["kind"], name=row["name"], year_from=row["year_from"],
                    year_to=row["year_to"], description=row["description"],
                )  # fmt: skip
                added.append(f"{row['kind']} {row['name']}")
    return added


def load_sample_collection(
    *,
    session: Session,
    store: FileStore,
    settings: Settings,
    actor: User | None,
    progress: Callable[[ImportOutcome], None] | None = None,
) -> ImportReport:
    """Import the sample collection (curators and above); photos already there count as duplicates.

    **Commits ``session``** (the vocabulary first, then every photo, as ``import_paths`` does):
    pass a write session with nothing else pending.
    """
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="load the sample collection")
    _add_missing_terms(session=session, actor=actor)
    session.commit()
    return import_paths(
        session=session, store=store, settings=settings, actor=actor, paths=sample_files(), metadata_csv=MANIFEST,
        progress=progress,
    )  # fmt: skip
