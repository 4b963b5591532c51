"""Import of scans: files, folders (recursive) and a CSV of descriptive metadata.

Each file gets one outcome: imported, duplicate (same SHA-256 as a photo already in the
catalog or earlier in the same batch; never stored twice) or failed (with the reason). A bad
file does not stop the batch. The expensive checks (hashing, a full decode) happen before
anything is written; the file is then stored atomically and its row inserted inside a
SAVEPOINT, so a failure leaves neither a half-written file nor a half-written row. Running the
same import again changes nothing.

CSV columns: ``filename`` (matched against the file's name) plus any of the descriptive
fields: title, description, date (or date_text), year (sets both years), year_from, year_to,
place, source, rights, identifier, era, event, tags (separated by ';' or ','). An unknown
column stops the import before anything is written, so a typo cannot silently drop data.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from findcolor.errors import FindColorError
from findcolor.imageio import ImageInfo, image_info

from db.audit import record_event
from db.errors import InvalidInput
from db.models import Photo, Role, User
from db.photos import DESCRIPTIVE_FIELDS, apply_description, get_photo_by_sha256
from db.settings import Settings
from db.store import FileStore, sha256_bytes, sha256_file
from db.users import require_role

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".tif", ".tiff", ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".jp2", ".j2k", ".jpf", ".pgm", ".ppm", ".pbm"}
)
FILENAME_COLUMN = "filename"
COLUMN_ALIASES = {"date": "date_text", "subject": "event", "tag": "tags", "accession": "identifier"}
Status = Literal["imported", "duplicate", "failed"]


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one file."""

    source: str  # the path (or upload name) as given
    status: Status
    message: str
    photo_id: int | None = None  # the new photo, or the photo it duplicates
    sha256: str | None = None


@dataclass
class ImportReport:
    outcomes: list[ImportOutcome] = field(default_factory=list)
    unmatched_metadata: list[str] = field(default_factory=list)  # CSV filenames that matched no file

    def _with(self, status: Status) -> list[ImportOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def imported(self) -> list[ImportOutcome]:
        return self._with("imported")

    @property
    def duplicates(self) -> list[ImportOutcome]:
        return self._with("duplicate")

    @property
    def failed(self) -> list[ImportOutcome]:
        return self._with("failed")

    def summary(self) -> str:
        return f"{len(self.imported)} imported, {len(self.duplicates)} duplicates, {len(self.failed)} failed"


# ---------------------------------------------------------------------------- metadata CSV


def _normalise_column(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return COLUMN_ALIASES.get(key, key)


def read_metadata_csv(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """Rows of a metadata CSV keyed by file name (UTF-8, with or without BOM; comma or semicolon)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: metadata CSV not found") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: metadata CSV is not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read metadata CSV ({exc.strerror})") from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = {name: _normalise_column(name) for name in (reader.fieldnames or [])}
    if FILENAME_COLUMN not in columns.values():
        raise InvalidInput(f"{path}: the metadata CSV needs a '{FILENAME_COLUMN}' column")
    allowed = {FILENAME_COLUMN, "year", *DESCRIPTIVE_FIELDS}
    for original, name in columns.items():
        if name not in allowed:
            raise InvalidInput(f"{path}: unknown column {original!r} (known: {', '.join(sorted(allowed))})")
    rows: dict[str, dict[str, str]] = {}
    for line, raw in enumerate(reader, start=2):
        row = {columns[key]: (value or "").strip() for key, value in raw.items() if key is not None}
        filename = os.path.basename(row.pop(FILENAME_COLUMN, "").replace("\\", "/"))
        if not filename:
            continue
        if filename in rows:
            raise InvalidInput(f"{path}: line {line}: file name {filename!r} appears twice")
        year = row.pop("year", "")
        if year:
            row.setdefault("year_from", year)
            row.setdefault("year_to", year)
        rows[filename] = {key: value for key, value in row.items() if value != ""}
    return rows


# ---------------------------------------------------------------------------- finding files


def iter_import_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[str, Path | None]]:
    """(as given, path) for every file to import; folders are searched recursively for images.

    A path that does not exist yields (name, None) so it is reported, not ignored.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.is_file() and found.suffix.lower() in IMAGE_SUFFIXES and not found.name.startswith("."):
                    yield str(found), found
        elif path.exists():
            yield str(path), path
        else:
            yield str(given), None


# ---------------------------------------------------------------------------- importing


def _insert_photo(
    *,
    session: Session,
    actor: User,
    source: str,
    filename: str,
    sha256: str,
    size: int,
    info: ImageInfo,
    metadata: Mapping[str, object],
    store_file: Callable[[], object],
) -> ImportOutcome:
    """Store the file and insert its row inside a savepoint; roll both back on failure."""
    savepoint = session.begin_nested()
    try:
        photo = Photo(
            sha256=sha256,
            original_filename=filename[:500],
            format=info.format,
            width=info.width,
            height=info.height,
            mode=info.mode,
            bit_depth=info.bit_depth,
            size_bytes=size,
            created_by_id=actor.id,
        )
        session.add(photo)
        apply_description(session=session, photo=photo, values=metadata)
        session.flush()
        store_file()  # raises StoreError when the bytes no longer hash to sha256
        record_event(
            session=session,
            actor=actor,
            action="photo.import",
            entity_type="photo",
            entity_id=photo.id,
            details={"filename": filename, "sha256": sha256, "size": size},
        )
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        existing = get_photo_by_sha256(session=session, sha256=sha256)
        return ImportOutcome(
            source,
            "duplicate",
            f"same content as photo #{existing.id if existing else '?'} (imported at the same time)",
            existing.id if existing else None,
            sha256,
        )
    except FindColorError as exc:
        savepoint.rollback()
        return ImportOutcome(source, "failed", str(exc), None, sha256)
    except BaseException:
        savepoint.rollback()
        raise
    return ImportOutcome(source, "imported", f"imported as photo #{photo.id}", photo.id, sha256)


def _duplicate_of(*, session: Session, sha256: str, seen: Mapping[str, str], source: str) -> ImportOutcome | None:
    existing = get_photo_by_sha256(session=session, sha256=sha256)
    if existing is not None:
        return ImportOutcome(
            source,
            "duplicate",
            f"already in the catalog as photo #{existing.id} ({existing.original_filename})",
            existing.id,
            sha256,
        )
    if sha256 in seen:
        return ImportOutcome(source, "duplicate", f"same content as {seen[sha256]} in this import", None, sha256)
    return None


def import_paths(
    *,
    session: Session,
    store: FileStore,
    settings: Settings,
    actor: User | None,
    paths: Iterable[str | os.PathLike[str]],
    metadata_csv: str | os.PathLike[str] | None = None,
    defaults: Mapping[str, object] | None = None,
    progress: Callable[[ImportOutcome], None] | None = None,
) -> ImportReport:
    """Import files and folders; ``defaults`` (e.g. era, event) apply where the CSV says nothing."""
    actor = require_role(actor, Role.CURATOR, "import photos")
    metadata = read_metadata_csv(metadata_csv) if metadata_csv is not None else {}
    defaults = dict(defaults or {})
    report = ImportReport()
    seen: dict[str, str] = {}
    matched: set[str] = set()
    for source, path in iter_import_files(paths):
        outcome = _import_path(
            session=session, store=store, settings=settings, actor=actor, source=source, path=path,
            metadata={**defaults, **metadata.get(path.name if path else "", {})}, seen=seen,
        )
        if path is not None and path.name in metadata:
            matched.add(path.name)
        if outcome.status != "failed" and outcome.sha256:
            seen.setdefault(outcome.sha256, source)
        report.outcomes.append(outcome)
        log.info("%s: %s", source, outcome.message)
        if progress is not None:
            progress(outcome)
    report.unmatched_metadata = sorted(set(metadata) - matched)
    return report


def _import_path(
    *,
    session: Session,
    store: FileStore,
    settings: Settings,
    actor: User,
    source: str,
    path: Path | None,
    metadata: Mapping[str, object],
    seen: Mapping[str, str],
) -> ImportOutcome:
    if path is None:
        return ImportOutcome(source, "failed", "file not found")
    try:
        size = path.stat().st_size
        if size > settings.max_upload_bytes:
            return ImportOutcome(
                source, "failed", f"file is {size / 1e6:.0f} MB, more than the limit of {settings.max_upload_bytes / 1e6:.0f} MB"
            )
        sha256 = sha256_file(path)
    except OSError as exc:
        return ImportOutcome(source, "failed", f"cannot read the file ({exc.strerror or exc})")
    duplicate = _duplicate_of(session=session, sha256=sha256, seen=seen, source=source)
    if duplicate is not None:
        return duplicate
    try:
        info = image_info(path, max_pixels=settings.max_pixels)
    except FindColorError as exc:
        return ImportOutcome(source, "failed", str(exc).removeprefix(f"{path}: "), None, sha256)
    except OSError as exc:
        return ImportOutcome(source, "failed", f"cannot read the file ({exc.strerror or exc})", None, sha256)
    return _insert_photo(
        session=session, actor=actor, source=source, filename=path.name, sha256=sha256, size=size, info=info,
        metadata=metadata, store_file=lambda: store.put_file(path, expected_sha256=sha256),
    )


def import_bytes(
    *,
    session: Session,
    store: FileStore,
    settings: Settings,
    actor: User | None,
    filename: str,
    data: bytes,
    metadata: Mapping[str, object] | None = None,
) -> ImportOutcome:
    """Import one uploaded file (the dashboard's upload widget)."""
    actor = require_role(actor, Role.CURATOR, "import photos")
    name = os.path.basename(filename.replace("\\", "/")) or "upload"
    if len(data) > settings.max_upload_bytes:
        return ImportOutcome(
            name, "failed", f"file is {len(data) / 1e6:.0f} MB, more than the limit of {settings.max_upload_bytes / 1e6:.0f} MB"
        )
    sha256 = sha256_bytes(data)
    duplicate = _duplicate_of(session=session, sha256=sha256, seen={}, source=name)
    if duplicate is not None:
        return duplicate
    try:
        info = image_info(data, max_pixels=settings.max_pixels)
    except FindColorError as exc:
        return ImportOutcome(name, "failed", str(exc).removeprefix("image: "), None, sha256)
    return _insert_photo(
        session=session, actor=actor, source=name, filename=name, sha256=sha256, size=len(data), info=info,
        metadata=dict(metadata or {}), store_file=lambda: store.put_bytes(data),
    )
