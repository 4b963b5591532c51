"""The era and event vocabularies: seeded by migration 0002, extended by curators, never deleted."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.audit import record_event
from db.errors import DuplicateRecord, InvalidInput, parse_choice
from db.models import Photo, Role, TermKind, User, VocabularyTerm
from db.users import authorize

MIN_YEAR, MAX_YEAR = 1800, 2100


def parse_kind(kind: TermKind | str) -> TermKind:
    return parse_choice(TermKind, kind, what="vocabulary")


def parse_year(value: object, field: str) -> int | None:
    """A year between 1800 and 2100, or None for an empty value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field} {value!r} is not a year") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"{field} {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    return year


def list_terms(*, session: Session, kind: TermKind | str) -> list[VocabularyTerm]:
    """Chronological (terms without years, such as generic events, last), then by name."""
    query = (
        select(VocabularyTerm)
        .where(VocabularyTerm.kind == parse_kind(kind))
        .order_by(VocabularyTerm.year_from.is_(None), VocabularyTerm.year_from, VocabularyTerm.name)
    )
    return list(session.scalars(query))


def get_term(*, session: Session, kind: TermKind | str, name: str) -> VocabularyTerm | None:
    """Case-insensitive lookup by name."""
    query = select(VocabularyTerm).where(
        VocabularyTerm.kind == parse_kind(kind), func.lower(VocabularyTerm.name) == name.strip().lower()
    )
    return session.scalar(query)


def resolve_term(*, session: Session, kind: TermKind | str, name: str | None) -> VocabularyTerm | None:
    """The term named ``name`` (None for an empty name); InvalidInput when it is not in the vocabulary."""
    if name is None or not str(name).strip():
        return None
    term = get_term(session=session, kind=kind, name=str(name))
    if term is None:
        kind = parse_kind(kind)
        raise InvalidInput(f"unknown {kind.value} {name!r} (add it to the {kind.value} vocabulary first)")
    return term


def where_photo_in_context(query: Select, *, session: Session, era: str | None, event: str | None) -> Select:
    """Narrow a query that includes Photo to one era and/or event (by name; None means any)."""
    era_term = resolve_term(session=session, kind=TermKind.ERA, name=era)
    event_term = resolve_term(session=session, kind=TermKind.EVENT, name=event)
    if era_term is not None:
        query = query.where(Photo.era_id == era_term.id)
    if event_term is not None:
        query = query.where(Photo.event_id == event_term.id)
    return query


def add_term(
    *,
    session: Session,
    actor: User | None,
    kind: TermKind | str,
    name: str,
    year_from: int | str | None = None,
    year_to: int | str | None = None,
    description: str = "",
) -> VocabularyTerm:
    """Add an era or event (curators and above)."""
    kind = parse_kind(kind)
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action=f"add {kind.value}s")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput(f"a {kind.value} name must have 1-200 characters")
    if get_term(session=session, kind=kind, name=name) is not None:
        raise DuplicateRecord(f"{kind.value} {name!r} already exists")
    start, end = parse_year(year_from, "year_from"), parse_year(year_to, "year_to")
    if start is not None and end is not None and end < start:
        raise InvalidInput(f"year_to {end} is before year_from {start}")
    term = VocabularyTerm(
        kind=kind, name=name, year_from=start, year_to=end, description=description.strip(), created_by_id=actor.id
    )
    session.add(term)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="vocabulary.add",
        entity_type="vocabulary_term",
        entity_id=term.id,
        details={"kind": kind.value, "name": name},
    )
    return term
