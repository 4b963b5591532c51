"""Colorization candidates: storing one with everything needed to disclose how it was made.

Only curators create candidates. The hints are validated against the photo's size and stored
in their normalised v1 form, exactly as the engine used them; a hint citing palette memory
must name an existing reference colour. The output must be a PNG of the photo's exact size
(the library keeps the input's size); it goes to the file store by SHA-256 and its colour
summary is computed once, for era palettes.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

import findcolor
from findcolor.errors import FindColorError
from findcolor.hints import parse_hints
from findcolor.imageio import image_info

from db.audit import record_event
from db.errors import InvalidInput
from db.models import Colorization, ColorizationStatus, Role, User
from db.palettes import summarize_colors
from db.photos import refresh_photo_status, require_photo
from db.references import find_reference
from db.settings import Settings
from db.store import FileStore, hold_store_lock
from db.users import authorize

_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
MAX_NOTE_LENGTH = 20_000


def _hint_references(hints: Mapping[str, Any]) -> list[str | int]:
    items = [*hints.get("points", []), *hints.get("strokes", []), *hints.get("palette", [])]
    return [item["reference"] for item in items if item.get("reference") is not None]


def _check_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise InvalidInput("parameters must be a mapping of names to values")
    try:
        return json.loads(json.dumps(dict(parameters), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"parameters must be plain JSON values ({exc})") from None


def create_colorization(
    *,
    session: Session,
    store: FileStore,
    settings: Settings,
    actor: User | None,
    photo_id: int,
    hints: Any,
    engine: str,
    output_png: bytes,
    model_name: str = "",
    model_version: str = "",
    weights_sha256: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    provenance_note: str = "",
) -> Colorization:
    """Store a new draft candidate for ``photo_id`` (curators and above)."""
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="create colorizations")
    hold_store_lock(session=session, exclusive=False)  # the output is stored before the commit
    photo = require_photo(session=session, photo_id=photo_id, for_update=True)
    parsed = parse_hints(hints, image_size=(photo.width, photo.height))  # HintError names the field
    hint_dict = parsed.to_dict()
    for reference in _hint_references(hint_dict):
        if find_reference(session=session, reference=reference) is None:
            raise InvalidInput(f"hint cites reference colour {reference!r}, which is not in the palette memory")
    engine = (engine or "").strip()
    if not engine or len(engine) > 32:
        raise InvalidInput("engine must be a name of 1-32 characters, e.g. 'classical' or 'neural'")
    if weights_sha256 is not None:
        weights_sha256 = weights_sha256.strip().lower()
        if not _SHA256_PATTERN.match(weights_sha256):
            raise InvalidInput(f"weights_sha256 {weights_sha256!r} is not a SHA-256 hex digest")
    if len(provenance_note or "") > MAX_NOTE_LENGTH:
        raise InvalidInput(f"the provenance note is longer than {MAX_NOTE_LENGTH} characters")
    if not isinstance(output_png, (bytes, bytearray)) or len(output_png) > settings.max_upload_bytes:
        raise InvalidInput("the colorized output must be PNG bytes within the upload size limit")
    try:
        info = image_info(bytes(output_png), max_pixels=settings.max_pixels)
    except FindColorError as exc:
        raise InvalidInput(f"the colorized output is not a readable image ({exc})") from None
    if info.format != "PNG":
        raise InvalidInput(f"the colorized output must be a PNG, not {info.format}")
    if (info.width, info.height) != (photo.width, photo.height):
        raise InvalidInput(
            f"the colorized output is {info.width}x{info.height} but photo #{photo.id} is "
            f"{photo.width}x{photo.height}; colorize at full size"
        )
    with Image.open(io.BytesIO(bytes(output_png))) as image:
        palette = summarize_colors(image)
    output_sha256 = store.put_bytes(bytes(output_png))
    colorization = Colorization(
        photo_id=photo.id,
        status=ColorizationStatus.DRAFT,
        hints=hint_dict,
        engine=engine,
        model_name=(model_name or "").strip()[:200],
        model_version=(model_version or "").strip()[:100],
        weights_sha256=weights_sha256,
        parameters=_check_parameters(parameters),
        software_version=findcolor.__version__,
        output_sha256=output_sha256,
        output_width=info.width,
        output_height=info.height,
        palette=palette,
        provenance_note=(provenance_note or "").strip(),
        created_by_id=actor.id,
    )
    session.add(colorization)
    session.flush()
    refresh_photo_status(session=session, photo=photo)
    record_event(
        session=session,
        actor=actor,
        action="colorization.create",
        entity_type="colorization",
        entity_id=colorization.id,
        details={"photo_id": photo.id, "engine": engine, "output_sha256": output_sha256},
    )
    return colorization


def get_colorization(*, session: Session, colorization_id: int) -> Colorization | None:
    return session.get(Colorization, colorization_id)


def list_colorizations(
    *,
    session: Session,
    photo_id: int | None = None,
    status: ColorizationStatus | str | None = None,
    limit: int | None = None,
) -> list[Colorization]:
    """Newest first; for one photo and/or one status (e.g. every draft waiting for review)."""
    query = select(Colorization).order_by(Colorization.id.desc())
    if photo_id is not None:
        query = query.where(Colorization.photo_id == photo_id)
    if status is not None:
        try:
            query = query.where(Colorization.status == ColorizationStatus(status))
        except ValueError:
            raise InvalidInput(f"unknown colorization status {status!r}") from None
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query).unique())


def get_approved_colorization(*, session: Session, photo_id: int) -> Colorization | None:
    return session.scalar(
        select(Colorization).where(
            Colorization.photo_id == photo_id, Colorization.status == ColorizationStatus.APPROVED
        )
    )
