"""Palette memory: documented colours (a temple's column red, a uniform's khaki) that curators
reuse as hints. A hint made from one carries ``"reference": <id or name>``, which the catalog
checks when the colorization is saved.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from findcolor.color import hex_to_rgb, rgb_to_hex

from db.audit import record_event
from db.errors import DuplicateRecord, InvalidInput, NotFound
from db.models import ReferenceColor, Role, TermKind, User
from db.users import authorize
from db.vocabulary import resolve_term

EDITABLE_FIELDS = ("hex", "description", "citation", "era", "event", "place")


def normalize_hex(value: object) -> str:
    try:
        return rgb_to_hex(hex_to_rgb(str(value)))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a hex colour like '#a03020'") from None


def get_reference_color(*, session: Session, name: str) -> ReferenceColor | None:
    return session.scalar(select(ReferenceColor).where(func.lower(ReferenceColor.name) == name.strip().lower()))


def find_reference(*, session: Session, reference: str | int) -> ReferenceColor | None:
    """A reference colour by id (int or digits) or by name, as hints cite them."""
    if isinstance(reference, int) or (isinstance(reference, str) and reference.strip().isdigit()):
        found = session.get(ReferenceColor, int(reference))
        if found is not None:
            return found
    return get_reference_color(session=session, name=str(reference))


def list_reference_colors(
    *, session: Session, era: str | None = None, event: str | None = None, search: str | None = None
) -> list[ReferenceColor]:
    """By name; an era/event filter also keeps colours without a scope (they apply everywhere)."""
    query = select(ReferenceColor).order_by(ReferenceColor.name)
    era_term = resolve_term(session=session, kind=TermKind.ERA, name=era)
    event_term = resolve_term(session=session, kind=TermKind.EVENT, name=event)
    if era_term is not None:
        query = query.where(or_(ReferenceColor.era_id == era_term.id, ReferenceColor.era_id.is_(None)))
    if event_term is not None:
        query = query.where(or_(ReferenceColor.event_id == event_term.id, ReferenceColor.event_id.is_(None)))
    for word in (search or "").lower().split():
        pattern = f"%{word}%"
        query = query.where(
            or_(
                func.lower(ReferenceColor.name).like(pattern),
                func.lower(ReferenceColor.description).like(pattern),
                func.lower(ReferenceColor.place).like(pattern),
            )
        )
    return list(session.scalars(query).unique())


def _apply(*, session: Session, color: ReferenceColor, values: Mapping[str, object]) -> dict[str, list[object]]:
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r} (known: {', '.join(EDITABLE_FIELDS)})")
    changes: dict[str, list[object]] = {}
    for name, value in values.items():
        if name == "hex":
            old, new = color.hex, normalize_hex(value)
            color.hex = new
        elif name in ("era", "event"):
            term = resolve_term(session=session, kind=TermKind(name), name=None if value is None else str(value))
            old = getattr(color, name).name if getattr(color, name) else None
            new = term.name if term else None
            setattr(color, name, term)
        else:
            old, new = getattr(color, name), "" if value is None else str(value).strip()
            setattr(color, name, new)
        if old != new:
            changes[name] = [old, new]
    return changes


def add_reference_color(
    *,
    session: Session,
    actor: User | None,
    name: str,
    hex: str,
    description: str = "",
    citation: str = "",
    era: str | None = None,
    event: str | None = None,
    place: str = "",
) -> ReferenceColor:
    """Add a documented colour to the palette memory (curators and above)."""
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="add reference colours")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("a reference colour needs a name of 1-200 characters")
    if name.isdigit():
        raise InvalidInput("a reference colour name cannot be only digits (hints cite ids that way)")
    if get_reference_color(session=session, name=name) is not None:
        raise DuplicateRecord(f"reference colour {name!r} already exists")
    color = ReferenceColor(name=name, hex="#000000", created_by_id=actor.id)
    _apply(
        session=session,
        color=color,
        values={"hex": hex, "description": description, "citation": citation, "era": era, "event": event, "place": place},
    )
    session.add(color)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="reference_color.add",
        entity_type="reference_color",
        entity_id=color.id,
        details={"name": name, "hex": color.hex},
    )
    return color


def update_reference_color(
    *, session: Session, actor: User | None, name: str, changes: Mapping[str, object]
) -> ReferenceColor:
    """Edit a reference colour (its name stays: hints cite it)."""
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="edit reference colours")
    color = get_reference_color(session=session, name=name)
    if color is None:
        raise NotFound(f"no reference colour named {name!r}")
    applied = _apply(session=session, color=color, values=changes)
    if applied:
        session.flush()
        record_event(
            session=session,
            actor=actor,
            action="reference_color.update",
            entity_type="reference_color",
            entity_id=color.id,
            details=applied,
        )
    return color
