"""Colour summaries of colorizations, era palettes of approved work, and palette memory."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import db
from db.catalog import Catalog
from db.errors import DuplicateRecord, InvalidInput, PermissionDenied
from db.palettes import PALETTE_CELLS, summarize_colors
from findcolor.color import hex_to_lab
from findcolor.model import HintNetConfig, palette_histogram


def test_summary_of_a_two_colour_image() -> None:
    array = np.zeros((40, 100, 3), dtype=np.uint8)
    array[:, :70] = (160, 48, 32)  # 70 % brick red
    array[:, 70:] = (128, 128, 128)  # 30 % neutral gray: not a colour
    summary = summarize_colors(Image.fromarray(array, "RGB"))
    assert len(summary["colors"]) == 1
    assert summary["colors"][0]["hex"] == "#a03020" and summary["colors"][0]["weight"] == pytest.approx(1.0)
    assert summary["coloured_share"] == pytest.approx(0.7, abs=0.02)
    assert sum(summary["ab_histogram"]) == pytest.approx(1.0, abs=1e-3)
    _, a, b = hex_to_lab("#a03020")
    assert summary["mean_chroma"] == pytest.approx(0.7 * float(np.hypot(a, b)), rel=0.03)


def test_summary_histogram_counts_in_the_cells_of_the_networks_palette_hint() -> None:
    """One ab binning everywhere: a stored summary's cell is the network's palette cell (format unchanged)."""
    assert PALETTE_CELLS == HintNetConfig().palette_cells
    array = np.zeros((20, 30, 3), dtype=np.uint8)
    array[:] = (40, 110, 60)  # one green
    summary = summarize_colors(Image.fromarray(array, "RGB"))
    assert summary["version"] == 1 and summary["ab_bins"] == 11 and summary["ab_range"] == 110.0
    _, a, b = summary["colors"][0]["lab"]
    expected = palette_histogram(np.array([[a, b]]), np.array([1.0]), HintNetConfig())
    np.testing.assert_allclose(summary["ab_histogram"], expected, atol=1e-5)


def test_era_palette_uses_only_approved_colorizations(catalog: Catalog, make_scan, make_colorized) -> None:  # type: ignore[no-untyped-def]
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        photos = []
        for seed, era in enumerate(("Korean War", "Korean War", "Liberation")):
            photos.append(db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=me,
                                          filename=f"{seed}.png", data=make_scan(seed), metadata={"era": era}).photo_id)
        for photo_id, color, approve in (
            (photos[0], (160, 48, 32), True), (photos[1], (40, 70, 150), True), (photos[1], (30, 160, 40), False),
            (photos[2], (200, 190, 30), True),
        ):
            candidate = db.create_colorization(session=session, store=catalog.store, settings=catalog.settings, actor=me,
                                               photo_id=photo_id, hints={}, engine="classical",
                                               output_png=make_colorized(48, 32, color))
            if approve:
                db.approve_colorization(session=session, settings=catalog.settings, actor=me, colorization_id=candidate.id)
    with catalog.read_session() as session:
        items = db.approved_palettes(session=session, era="Korean War")
        palette = db.combined_palette(session=session, era="Korean War")
    assert sorted(item.photo_id for item in items) == sorted(photos[:2])
    assert sorted(entry.hex for entry in palette) == ["#284696", "#a03020"]
    assert sum(entry.weight for entry in palette) == pytest.approx(1.0)


def test_reference_colours(catalog: Catalog, catalog_users) -> None:  # type: ignore[no-untyped-def]
    curator = catalog_users["curator"]
    with catalog.session() as session:
        red = db.add_reference_color(session=session, actor=curator, name="Gyeongbokgung column red", hex="#A32",
                                     description="Dancheong red of the palace columns", citation="CHA survey 2010",
                                     era="Korean Empire", place="Seoul")
        assert red.hex == "#aa3322"
        db.add_reference_color(session=session, actor=curator, name="Army khaki", hex="#6b6b47", era="Korean War")
        db.add_reference_color(session=session, actor=curator, name="Paper white", hex="#f4f1e8")
        with pytest.raises(DuplicateRecord):
            db.add_reference_color(session=session, actor=curator, name="army KHAKI", hex="#000000")
        with pytest.raises(InvalidInput, match="hex colour"):
            db.add_reference_color(session=session, actor=curator, name="Bad", hex="red")
        with pytest.raises(PermissionDenied):
            db.add_reference_color(session=session, actor=catalog_users["viewer"], name="V", hex="#000000")
        names = [color.name for color in db.list_reference_colors(session=session, era="Korean War")]
        assert names == ["Army khaki", "Paper white"]  # unscoped colours apply everywhere
        assert [c.name for c in db.list_reference_colors(session=session, search="palace")] == ["Gyeongbokgung column red"]
        updated = db.update_reference_color(session=session, actor=curator, name="Army khaki",
                                            changes={"hex": "#6B6B48", "citation": "Uniform regulations 1951"})
        assert updated.hex == "#6b6b48"
        with pytest.raises(InvalidInput, match="unknown field 'name'"):
            db.update_reference_color(session=session, actor=curator, name="Army khaki", changes={"name": "Khaki"})
        actions = [event.action for event in db.list_audit_events(session=session, entity_type="reference_color")]
        assert actions == ["reference_color.update", "reference_color.add", "reference_color.add", "reference_color.add"]
