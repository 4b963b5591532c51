"""Photo records: lookup, the catalog listing (filters, text search, sort, pages), counts per
workflow status, and edits of the descriptive fields (the scan itself is never touched).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Select, column, exists, func, select, table
from sqlalchemy.orm import Session

from db.audit import record_event
from db.errors import InvalidInput, NotFound, parse_choice
from db.metadata_columns import DESCRIPTIVE_FIELDS, TERM_FIELDS, TEXT_FIELDS, YEAR_FIELDS
from db.models import Colorization, ColorizationStatus, Photo, PhotoStatus, PhotoTag, Role, TermKind, User
from db.users import authorize
from db.vocabulary import parse_year, resolve_term, where_photo_in_context

MAX_TAG_LENGTH = 100
SORTS = ("date", "-date", "title", "newest", "oldest")
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class PhotoFilter:
    """What the catalog listing shows; every field is optional (None = any)."""

    era: str | None = None  # era name
    event: str | None = None  # event name
    status: PhotoStatus | str | None = None
    search: str | None = None  # every word must appear in title, description, place, identifier or tags
    tag: str | None = None
    year_from: int | None = None  # photos whose date range overlaps [year_from, year_to]
    year_to: int | None = None


@dataclass(frozen=True)
class PhotoPage:
    items: list[Photo]
    total: int  # photos matching the filter, all pages
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, math.ceil(self.total / self.per_page)))


def get_photo(*, session: Session, photo_id: int) -> Photo | None:
    return session.get(Photo, photo_id)


def require_photo(*, session: Session, photo_id: int, for_update: bool = False) -> Photo:
    """The photo, locked against concurrent changes when ``for_update`` (PostgreSQL row lock)."""
    if for_update:
        photo = session.scalar(
            select(Photo).where(Photo.id == photo_id).with_for_update(of=Photo).execution_options(populate_existing=True)
        )
    else:
        photo = get_photo(session=session, photo_id=photo_id)
    if photo is None:
        raise NotFound(f"no photo #{photo_id}")
    return photo


def get_photo_by_sha256(*, session: Session, sha256: str) -> Photo | None:
    return session.scalar(select(Photo).where(Photo.sha256 == sha256.lower()))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_words(text: str | None) -> list[str]:
    return [word for word in (text or "").lower().split() if word]


# SQLite's FTS5 trigram index of photos.search_text (migration 0003); the hidden column named
# after the table takes the MATCH query.
_photos_search = table("photos_search", column("rowid"), column("photos_search"))
_FTS_MIN_LENGTH = 3  # trigrams: shorter words cannot use the index


def _fts_phrase(word: str) -> str:
    """An FTS5 phrase matching ``word`` as a substring (trigram tokenizer); quotes doubled."""
    return '"' + word.replace('"', '""') + '"'


def _search_condition(*, session: Session, words: list[str], narrowed: bool) -> list[Any]:
    """Conditions for "every word occurs in search_text".

    On SQLite, when no era/event/tag filter narrows the photos first (a status alone does not:
    each status holds a large share of the catalog), words of three or more characters are
    looked up in the FTS5 trigram index; otherwise (and on PostgreSQL, whose pg_trgm index the
    planner uses by itself) a plain LIKE on the already-narrowed rows is fastest.
    """
    indexable = [word for word in words if len(word) >= _FTS_MIN_LENGTH]
    conditions: list[Any] = []
    if session.get_bind().dialect.name == "sqlite" and not narrowed and indexable:
        query = " AND ".join(_fts_phrase(word) for word in indexable)
        lookup = select(_photos_search.c.rowid).where(_photos_search.c.photos_search.op("MATCH")(query))
        conditions.append(Photo.id.in_(lookup))
        words = [word for word in words if len(word) < _FTS_MIN_LENGTH]
    conditions += [Photo.search_text.like(f"%{_escape_like(word)}%", escape="\\") for word in words]
    return conditions


def _parse_status(status: PhotoStatus | str) -> PhotoStatus:
    return parse_choice(PhotoStatus, status, what="status")


def _apply_filters(*, session: Session, query: Select[Any], filters: PhotoFilter, with_status: bool = True) -> Select[Any]:
    query = where_photo_in_context(query, session=session, era=filters.era, event=filters.event)
    if with_status and filters.status not in (None, ""):
        query = query.where(Photo.status == _parse_status(filters.status))  # type: ignore[arg-type]
    narrowed = any(value not in (None, "") for value in (filters.era, filters.event, filters.tag))
    for condition in _search_condition(session=session, words=search_words(filters.search), narrowed=narrowed):
        query = query.where(condition)
    if filters.tag:
        query = query.where(
            exists().where(PhotoTag.photo_id == Photo.id, PhotoTag.tag == filters.tag.strip().lower())
        )
    if filters.year_from is not None:
        query = query.where(func.coalesce(Photo.year_to, Photo.year_from) >= filters.year_from)
    if filters.year_to is not None:
        query = query.where(Photo.year_from <= filters.year_to)
    return query


def _order(query: Select[Any], sort: str) -> Select[Any]:
    if sort == "date":
        return query.order_by(Photo.year_from.asc().nulls_last(), Photo.id.asc())
    if sort == "-date":
        return query.order_by(Photo.year_from.desc().nulls_last(), Photo.id.desc())
    if sort == "title":
        return query.order_by(Photo.title, Photo.id)
    if sort == "newest":
        return query.order_by(Photo.id.desc())
    if sort == "oldest":
        return query.order_by(Photo.id.asc())
    raise InvalidInput(f"unknown sort {sort!r} (choose one of: {', '.join(SORTS)})")


def list_photos(
    *,
    session: Session,
    filters: PhotoFilter = PhotoFilter(),
    sort: str = "date",
    page: int = 1,
    per_page: int = 50,
) -> PhotoPage:
    """One page of the catalog listing, with the total number of matching photos."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_PER_PAGE}")
    page = max(1, int(page))
    base = _apply_filters(session=session, query=select(Photo), filters=filters)
    total = int(session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0)
    items = list(session.scalars(_order(base, sort).limit(per_page).offset((page - 1) * per_page)).unique())
    return PhotoPage(items=items, total=total, page=page, per_page=per_page)


def count_photos_by_status(*, session: Session, filters: PhotoFilter = PhotoFilter()) -> dict[PhotoStatus, int]:
    """How many photos (matching every filter but status) are in each workflow status.

    One pass with ``COUNT(*) FILTER (WHERE status = …)`` per status rather than GROUP BY: a
    GROUP BY lures SQLite into walking the whole status index instead of the era/event index.
    """
    columns = [func.count().filter(Photo.status == status).label(status.value) for status in PhotoStatus]
    query = _apply_filters(session=session, query=select(*columns).select_from(Photo), filters=filters, with_status=False)
    row = session.execute(query).one()
    return {status: int(row[index] or 0) for index, status in enumerate(PhotoStatus)}


def normalize_tags(tags: object) -> list[str]:
    """Tags from a list or a ';'/','-separated string: trimmed, lower case, unique, sorted."""
    if tags is None:
        return []
    if isinstance(tags, str):
        parts: Sequence[object] = tags.replace(";", ",").split(",")
    elif isinstance(tags, Sequence):
        parts = tags
    else:
        raise InvalidInput(f"tags must be a list or a comma-separated string, not {type(tags).__name__}")
    cleaned = sorted({str(part).strip().lower() for part in parts if str(part).strip()})
    for tag in cleaned:
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidInput(f"tag {tag[:20]!r}… is longer than {MAX_TAG_LENGTH} characters")
    return cleaned


def build_search_text(photo: Photo, tags: Sequence[str]) -> str:
    parts = [photo.title, photo.description, photo.place, photo.identifier, photo.date_text, photo.original_filename, *tags]
    return " ".join(part for part in parts if part).lower()


def apply_description(*, session: Session, photo: Photo, values: Mapping[str, object]) -> dict[str, list[Any]]:
    """Set descriptive fields from ``values``; returns {field: [old, new]} for what changed.

    Raises InvalidInput naming the field for an unknown field, a too-long text, a bad year,
    or an era/event not in the vocabulary.
    """
    unknown = sorted(set(values) - set(DESCRIPTIVE_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r} (known: {', '.join(DESCRIPTIVE_FIELDS)})")
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        if name in TEXT_FIELDS:
            text = "" if value is None else str(value).strip()
            limit = TEXT_FIELDS[name]
            if limit is not None and len(text) > limit:
                raise InvalidInput(f"{name} is longer than {limit} characters")
            old: Any = getattr(photo, name)
            new: Any = text
            setattr(photo, name, text)
        elif name in YEAR_FIELDS:
            old, new = getattr(photo, name), parse_year(value, name)
            setattr(photo, name, new)
        elif name in TERM_FIELDS:
            term = resolve_term(session=session, kind=TERM_FIELDS[name], name=None if value is None else str(value))
            old = getattr(photo, f"{name}_name")
            new = term.name if term else None
            setattr(photo, name, term)
        else:  # tags
            old, new = photo.tags, normalize_tags(value)
            if old != new:
                photo.tag_rows = [PhotoTag(tag=tag) for tag in new]
        if old != new:
            changes[name] = [old, new]
    if photo.year_from is not None and photo.year_to is not None and photo.year_to < photo.year_from:
        raise InvalidInput(f"year_to {photo.year_to} is before year_from {photo.year_from}")
    if photo.year_from is None and photo.year_to is not None:
        photo.year_from = photo.year_to
    photo.search_text = build_search_text(photo, [row.tag for row in photo.tag_rows])
    return changes


def update_photo(*, session: Session, actor: User | None, photo_id: int, changes: Mapping[str, object]) -> Photo:
    """Edit descriptive fields (curators and above); the scan and its hash never change."""
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="edit photo descriptions")
    photo = require_photo(session=session, photo_id=photo_id, for_update=True)
    applied = apply_description(session=session, photo=photo, values=changes)
    if applied:
        photo.updated_at = datetime.now(timezone.utc)
        session.flush()
        record_event(
            session=session, actor=actor, action="photo.update", entity_type="photo", entity_id=photo.id, details=applied
        )
    return photo


def refresh_photo_status(*, session: Session, photo: Photo) -> PhotoStatus:
    """Recompute the photo's workflow status from its colorizations (call after any change)."""
    session.flush()
    statuses = set(
        session.scalars(select(Colorization.status).where(Colorization.photo_id == photo.id).distinct())
    )
    if ColorizationStatus.DRAFT in statuses:
        status = PhotoStatus.IN_REVIEW
    elif ColorizationStatus.APPROVED in statuses:
        status = PhotoStatus.APPROVED
    elif statuses:
        status = PhotoStatus.REJECTED
    else:
        status = PhotoStatus.NEW
    if photo.status is not status:
        photo.status = status
        session.flush()
    return status
