"""Helpers for the batch-run tests (imported explicitly): real photos in a catalog, drafts per photo."""

from __future__ import annotations

import io
import os
from collections import Counter

import numpy as np
from PIL import Image
from skimage import data as skdata

import db
from db.batch_runner import WorkItem, WorkResult, colorize_work_item
from db.catalog import Catalog

ERA, EVENT = "Korean War", "War"
PALETTE_RED = (160, 48, 32)
KHAKI = "#6b6b47"
# Real photographs bundled with scikit-image (no download): camera, coffee, chelsea, rocket, astronaut.
_SOURCES = ("camera", "coffee", "chelsea", "rocket", "astronaut")


def real_scans(count: int = 20, size: tuple[int, int] = (96, 72)) -> list[bytes]:
    """``count`` distinct gray PNG crops of real photographs, ``size`` (w, h) each."""
    scans = []
    width, height = size
    for index in range(count):
        photo = getattr(skdata, _SOURCES[index % len(_SOURCES)])()
        gray = Image.fromarray(photo).convert("L")
        step = index // len(_SOURCES)
        left, top = 30 + 53 * step, 20 + 41 * step
        crop = gray.crop((left, top, left + 2 * width, top + 2 * height)).resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        crop.save(buffer, format="PNG")
        scans.append(buffer.getvalue())
    assert len(set(scans)) == count
    return scans


def fill_catalog(catalog: Catalog, *, count: int = 20, palette_source: bool = True) -> list[int]:
    """``count`` new photos of the Korean War era and War event; with ``palette_source`` also an approved
    colorization of that era/event (its red becomes the era palette) and a khaki reference colour.
    Returns the new photos' ids."""
    ids = []
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        for index, scan in enumerate(real_scans(count)):
            outcome = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=me,
                                      filename=f"scan-{index:02d}.png", data=scan,
                                      metadata={"era": ERA, "event": EVENT, "place": "Busan" if index % 2 else ""})
            ids.append(outcome.photo_id)
        if palette_source:
            source = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=me,
                                     filename="approved.png", data=real_scans(21)[20],
                                     metadata={"era": ERA, "event": EVENT}).photo_id
            array = np.empty((72, 96, 3), dtype=np.uint8)
            array[...] = PALETTE_RED
            buffer = io.BytesIO()
            Image.fromarray(array, "RGB").save(buffer, format="PNG")
            candidate = db.create_colorization(session=session, store=catalog.store, settings=catalog.settings,
                                               actor=me, photo_id=source, hints={}, engine="classical",
                                               output_png=buffer.getvalue())
            db.approve_colorization(session=session, settings=catalog.settings, actor=me, colorization_id=candidate.id)
            db.add_reference_color(session=session, actor=me, name="Army khaki", hex=KHAKI, era=ERA)
    return ids


def drafts_by_photo(catalog: Catalog, photo_ids: list[int]) -> dict[int, list[db.Colorization]]:
    with catalog.read_session() as session:
        return {
            photo_id: db.list_colorizations(session=session, photo_id=photo_id, status="draft") for photo_id in photo_ids
        }


def candidate_signature(catalog: Catalog, photo_ids: list[int]) -> dict[str, tuple[object, str, str]]:
    """Per original (by SHA-256): the draft's hints, output SHA-256 and engine version, for comparisons."""
    signature = {}
    with catalog.read_session() as session:
        for photo_id in photo_ids:
            photo = db.get_photo(session=session, photo_id=photo_id)
            (draft,) = db.list_colorizations(session=session, photo_id=photo_id, status="draft")
            hints = {key: value for key, value in draft.hints.items()}
            for item in hints.get("palette", []):
                item.pop("reference", None)  # reference ids are per catalog; the colour and weight are compared
            signature[photo.sha256] = (hints, draft.output_sha256, draft.model_version)
    return signature


def duplicates(catalog: Catalog, photo_ids: list[int]) -> Counter[int]:
    return Counter({photo_id: len(items) for photo_id, items in drafts_by_photo(catalog, photo_ids).items()})


def crash_once(item: WorkItem) -> WorkResult:
    """A worker task that kills its own process the first time it sees the photo named by a marker file."""
    marker = os.path.join(item.store_root, f"crash-{item.photo_id}")  # the local store folder
    if os.path.exists(marker):
        os.unlink(marker)
        os._exit(1)
    return colorize_work_item(item)
