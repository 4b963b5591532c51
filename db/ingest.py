"""Import of scans: files, folders (recursive) and a CSV of descriptive metadata.

Each file gets one outcome: imported, duplicate (same SHA-256 as a photo already in the
catalog, imported earlier or earlier in the same batch; never stored twice) or failed (with the
reason). A bad file does not stop the batch. Running the same import again changes nothing,
except that a duplicate whose stored original is missing or damaged restores it (audited as
``photo.restore_file``).

Each file is committed on its own, so a crash (even ``kill -9``) loses at most the file in
flight. Per file: hash it and check for a duplicate (a short read transaction), decode it and
copy it under the store's ``tmp/`` (no transaction), then one short write transaction inserts
the row, publishes the file (a hard link) and writes the audit event. No write lock is held
while a file is read, hashed or decoded, and a transaction holds at most one new photo, so
concurrent imports of overlapping files cannot deadlock (on PostgreSQL the later one waits for
the earlier one's commit and reports a duplicate). A crash between publishing and committing
leaves one stored file without a row; ``findcolor verify --repair`` removes it, and importing
the file again reclaims it.

CSV columns: ``filename`` (matched against the file's name) plus any of the descriptive
fields: title, description, date (or date_text), year (sets both years), year_from, year_to,
place, source, rights, identifier, era, event, tags (separated by ';' or ','). The file is
RFC 4180 CSV as Excel and LibreOffice write it (comma, semicolon or tab separated; UTF-8,
BOM or not). An unknown column, or a row whose number of fields differs from the header's,
stops the import before anything is written, so a typo cannot silently drop data.

Inside a folder, symbolic links (to files or folders) are skipped with a warning: an import
takes only what is in the folder. A link named explicitly as a path is followed.
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
from db.errors import InvalidInput, PermissionDenied, StoreError
from db.metadata_columns import COLUMN_ALIASES, FILENAME_COLUMN
from db.models import Photo, Role, User
from db.photos import DESCRIPTIVE_FIELDS, apply_description, get_photo_by_sha256
from db.plurals import counted
from db.settings import Settings
from db.store import FileStore, StagedFile, hold_store_lock, sha256_bytes, sha256_file
from db.users import authorize

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".tif", ".tiff", ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".jp2", ".j2k", ".jpf", ".pgm", ".ppm", ".pbm"}
)
Status = Literal["imported", "duplicate", "failed"]


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one file."""

    source: str  # the path (or upload name) as given
    status: Status
    message: str
    photo_id: int | None = None  # the new photo, or the photo it duplicates
    sha256: str | None = None
    restored: bool = False  # a duplicate whose missing or damaged stored original it restored


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

    @property
    def restored(self) -> list[ImportOutcome]:
        return [outcome for outcome in self.outcomes if outcome.restored]

    def summary(self) -> str:
        text = f"{len(self.imported)} imported, {counted(len(self.duplicates), 'duplicate')}, {len(self.failed)} failed"
        return text + (f", {counted(len(self.restored), 'stored file')} restored" if self.restored else "")


# ---------------------------------------------------------------------------- metadata CSV


def _normalise_column(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return COLUMN_ALIASES.get(key, key)


_DELIMITERS = (",", ";", "\t")  # Excel writes ';' where the decimal separator is a comma


def _choose_delimiter(text: str) -> str:
    """The delimiter whose header row has a 'filename' column (the most columns if several; ',' if none)."""
    best, best_width = ",", 0
    for delimiter in _DELIMITERS:
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), dialect="excel", delimiter=delimiter), [])
        except csv.Error:
            continue
        if FILENAME_COLUMN in {_normalise_column(name) for name in header} and len(header) > best_width:
            best, best_width = delimiter, len(header)
    return best


def _records(path: str | os.PathLike[str], text: str, delimiter: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, fields) records of RFC 4180 CSV: quoted fields may hold the delimiter,
    line breaks and doubled quotes (``"The ""Liberty"" bell, Philadelphia"``)."""
    reader = csv.reader(io.StringIO(text, newline=""), dialect="excel", delimiter=delimiter, strict=True)
    try:
        header = next(reader, [])
        records = [(reader.line_num, fields) for fields in reader]
    except csv.Error as exc:
        raise InvalidInput(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    while header and not header[-1].strip():  # spreadsheets may add empty trailing columns
        header.pop()
    return header, records


def read_metadata_csv(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """Rows of a metadata CSV keyed by file name.

    RFC 4180 as Excel and LibreOffice write it: UTF-8 with or without BOM, separated by
    commas, semicolons or tabs (the header row decides), fields in double quotes where they
    hold a separator, a line break or a quote (doubled). A row whose number of fields
    differs from the header's (beyond empty trailing cells) stops the import with the line
    numbers, like an unknown column: its values would land in the wrong fields.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: metadata CSV not found") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: metadata CSV is not UTF-8 text (save it as \"CSV UTF-8\")") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read metadata CSV ({exc.strerror})") from None
    delimiter = _choose_delimiter(text)
    header, records = _records(path, text, delimiter)
    columns = [_normalise_column(name) for name in header]
    if FILENAME_COLUMN not in columns:
        raise InvalidInput(f"{path}: the metadata CSV needs a '{FILENAME_COLUMN}' column")
    allowed = {FILENAME_COLUMN, "year", *DESCRIPTIVE_FIELDS}
    for original, name in zip(header, columns):
        if name not in allowed:
            raise InvalidInput(f"{path}: unknown column {original!r} (known: {', '.join(sorted(allowed))})")
    records = [(line, fields) for line, fields in records if any(field.strip() for field in fields)]  # blank lines
    mismatched = []
    for line, fields in records:
        while len(fields) > len(columns) and not fields[-1].strip():
            fields.pop()
        if len(fields) != len(columns):
            mismatched.append(f"line {line} has {len(fields)}")
    if mismatched:
        listed = ", ".join(mismatched[:5]) + (f" and {len(mismatched) - 5} more lines" if len(mismatched) > 5 else "")
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        raise InvalidInput(
            f"{path}: rows with a different number of fields than the header's {len(columns)}: {listed} "
            f"(separator {shown}; a value containing it must be in double quotes)"
        )
    rows: dict[str, dict[str, str]] = {}
    for line, fields in records:
        row = {name: value.strip() for name, value in zip(columns, fields)}
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

    A path that does not exist yields (name, None) so it is reported, not ignored. Symbolic
    links inside a folder are not followed (they could lead anywhere on the machine): each is
    skipped with a warning. (``rglob`` never descends into a linked folder, but it lists it.)
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.name.startswith("."):
                    continue
                if found.is_symlink():
                    log.warning("%s: skipped, a symbolic link (links inside an imported folder are not followed)", found)
                elif found.is_file() and found.suffix.lower() in IMAGE_SUFFIXES:
                    yield str(found), found
        elif path.exists():
            yield str(path), path
        else:
            yield str(given), None


# ---------------------------------------------------------------------------- importing


def _begin_read(session: Session) -> None:
    """Start a read transaction: on SQLite it does not take the write lock (BEGIN DEFERRED)."""
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})


@dataclass(frozen=True)
class _Existing:
    """The photo that already holds these bytes (plain values: safe after the transaction ends)."""

    photo_id: int
    filename: str
    sha256: str


def _existing_photo(*, session: Session, sha256: str) -> _Existing | None:
    photo = get_photo_by_sha256(session=session, sha256=sha256)
    return None if photo is None else _Existing(photo.id, photo.original_filename, photo.sha256)


def _existing_photo_committed(*, session: Session, sha256: str) -> _Existing | None:
    """:func:`_existing_photo` in a short read transaction of its own (on SQLite: no write lock)."""
    _begin_read(session)
    existing = _existing_photo(session=session, sha256=sha256)
    session.commit()
    return existing


def _duplicate(*, source: str, existing: _Existing, restored: bool) -> ImportOutcome:
    message = f"already in the catalog as photo #{existing.photo_id} ({existing.filename})"
    if restored:
        message += "; its stored file was missing or damaged and has been restored from this file"
    return ImportOutcome(source, "duplicate", message, existing.photo_id, existing.sha256, restored=restored)


def _restore_original(
    *, session: Session, store: FileStore, actor: User, existing: _Existing, stage: Callable[[], StagedFile], source: str
) -> bool:
    """Restore the photo's stored original from these (identical) bytes if it is missing or damaged.

    Stages the bytes first, then writes in the session's transaction (with a
    ``photo.restore_file`` audit event); True if restored.
    """
    verdict = store.matches(existing.sha256)
    if verdict is True:
        return False
    staged = stage()
    try:
        actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="import photos")
        store.restore(staged)
        record_event(
            session=session,
            actor=actor,
            action="photo.restore_file",
            entity_type="photo",
            entity_id=existing.photo_id,
            details={"sha256": existing.sha256, "was": "missing" if verdict is None else "altered", "from": source},
        )
    finally:
        store.discard(staged)
    return True


def _insert_photo(
    *,
    session: Session,
    store: FileStore,
    actor: User,
    source: str,
    filename: str,
    staged: StagedFile,
    info: ImageInfo,
    metadata: Mapping[str, object],
) -> ImportOutcome:
    """Insert the row and publish the staged file in the session's transaction (the caller commits).

    The store lock is taken first, so a concurrent repair cannot remove the object between
    its publication and the commit. InvalidInput (bad metadata) and StoreError propagate.
    """
    hold_store_lock(session=session, exclusive=False)
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="import photos")
    existing = _existing_photo(session=session, sha256=staged.sha256)
    if existing is not None:  # imported by someone else since this file was checked
        return _duplicate(source=source, existing=existing, restored=False)
    photo = Photo(
        sha256=staged.sha256,
        original_filename=filename[:500],
        format=info.format,
        width=info.width,
        height=info.height,
        mode=info.mode,
        bit_depth=info.bit_depth,
        size_bytes=staged.size,
        created_by_id=actor.id,
    )
    session.add(photo)
    apply_description(session=session, photo=photo, values=metadata)
    session.flush()
    store.publish(staged)
    record_event(
        session=session,
        actor=actor,
        action="photo.import",
        entity_type="photo",
        entity_id=photo.id,
        details={"filename": filename, "sha256": staged.sha256, "size": staged.size},
    )
    return ImportOutcome(source, "imported", f"imported as photo #{photo.id}", photo.id, staged.sha256)


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
    """Import files and folders; ``defaults`` (e.g. era, event) apply where the CSV says nothing.

    **Commits ``session`` after every file** (see the module docstring): pass a write session
    with nothing else pending. ``progress`` is called after each file's outcome is committed.
    """
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="import photos")
    metadata = read_metadata_csv(metadata_csv) if metadata_csv is not None else {}
    defaults = dict(defaults or {})
    session.commit()
    report = ImportReport()
    matched: set[str] = set()
    for source, path in iter_import_files(paths):
        outcome = _import_path(
            session=session, store=store, settings=settings, actor=actor, source=source, path=path,
            metadata={**defaults, **metadata.get(path.name if path else "", {})},
        )  # fmt: skip
        if path is not None and path.name in metadata:
            matched.add(path.name)
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
) -> ImportOutcome:
    """One file, committed on its own: hash, check, decode and stage it outside any write transaction."""
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
    existing = _existing_photo_committed(session=session, sha256=sha256)
    if existing is not None:
        try:
            restored = _restore_original(
                session=session, store=store, actor=actor, existing=existing, source=source,
                stage=lambda: store.stage_file(path, expected_sha256=sha256),
            )  # fmt: skip
            session.commit()
        except (StoreError, OSError) as exc:
            session.rollback()
            return ImportOutcome(source, "failed", f"same as photo #{existing.photo_id}, but {exc}", existing.photo_id, sha256)
        return _duplicate(source=source, existing=existing, restored=restored)
    try:
        info = image_info(path, max_pixels=settings.max_pixels)
    except FindColorError as exc:
        return ImportOutcome(source, "failed", str(exc).removeprefix(f"{path}: "), None, sha256)
    except OSError as exc:
        return ImportOutcome(source, "failed", f"cannot read the file ({exc.strerror or exc})", None, sha256)
    try:
        staged = store.stage_file(path, expected_sha256=sha256)
    except StoreError as exc:
        return ImportOutcome(source, "failed", str(exc), None, sha256)
    return _insert_staged(
        session=session, store=store, actor=actor, source=source, filename=path.name, staged=staged, info=info,
        metadata=metadata, commit=session.commit, rollback=session.rollback,
        find_existing=lambda: _existing_photo_committed(session=session, sha256=sha256),
    )  # fmt: skip


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
    """Import one uploaded file in the caller's transaction (which commits it).

    The bytes are hashed, decoded and staged before the first query, so when this is the first
    thing done in a transaction the write lock is not held while decoding.
    """
    name = os.path.basename(filename.replace("\\", "/")) or "upload"
    if len(data) > settings.max_upload_bytes:
        return ImportOutcome(
            name, "failed", f"file is {len(data) / 1e6:.0f} MB, more than the limit of {settings.max_upload_bytes / 1e6:.0f} MB"
        )
    sha256 = sha256_bytes(data)
    try:
        info = image_info(data, max_pixels=settings.max_pixels)
    except FindColorError as exc:  # a file never imported (nothing unreadable is ever stored)
        return ImportOutcome(name, "failed", str(exc).removeprefix("image: "), None, sha256)
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="import photos")
    existing = _existing_photo(session=session, sha256=sha256)
    if existing is not None:
        restored = _restore_original(
            session=session, store=store, actor=actor, existing=existing, source=name, stage=lambda: store.stage_bytes(data)
        )
        return _duplicate(source=name, existing=existing, restored=restored)
    staged = store.stage_bytes(data)
    savepoint = session.begin_nested()
    return _insert_staged(
        session=session, store=store, actor=actor, source=name, filename=name, staged=staged, info=info,
        metadata=dict(metadata or {}), commit=savepoint.commit, rollback=savepoint.rollback,
        find_existing=lambda: _existing_photo(session=session, sha256=sha256),
    )  # fmt: skip


def _insert_staged(
    *,
    session: Session,
    store: FileStore,
    actor: User,
    source: str,
    filename: str,
    staged: StagedFile,
    info: ImageInfo,
    metadata: Mapping[str, object],
    commit: Callable[[], None],
    rollback: Callable[[], None],
    find_existing: Callable[[], _Existing | None],
) -> ImportOutcome:
    """Insert a staged original and settle its transaction, the same way for files and uploads.

    A concurrent import of the same bytes (PostgreSQL's unique SHA-256) becomes a duplicate of
    the photo that won; a catalog rule the metadata breaks becomes a failed outcome; a refused
    permission and anything unexpected are raised. Every path but success rolls back, and the
    staged copy is always discarded (the published file, if any, is the store's own).
    """
    try:
        outcome = _insert_photo(
            session=session, store=store, actor=actor, source=source, filename=filename, staged=staged, info=info,
            metadata=metadata,
        )  # fmt: skip
        commit()
        return outcome
    except BaseException as exc:
        rollback()
        if isinstance(exc, IntegrityError) and (existing := find_existing()) is not None:
            return _duplicate(source=source, existing=existing, restored=False)
        if isinstance(exc, FindColorError) and not isinstance(exc, PermissionDenied):
            return ImportOutcome(source, "failed", str(exc), None, staged.sha256)
        raise
    finally:
        store.discard(staged)
