"""The photo workspace: canvas, hints in original pixels, preview run, save, candidates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import db
from dashboard import workspace_state
from dashboard_support import add_candidate, add_photo, assert_clean, errors, open_test_catalog, start_app

WORKSPACE = "views/workspace.py"
SCAN_SIDE = 1240  # a square scan shown on a 620 x 620 canvas: 2 scan pixels per canvas pixel

POINT_RED = {"type": "Circle", "originX": "left", "originY": "center", "left": 94, "top": 60, "radius": 6,
             "strokeWidth": 0, "stroke": "#C03020", "fill": "#C03020"}  # fmt: skip  # centre (100, 60)
POINT_BLUE = {**POINT_RED, "left": 294, "top": 300, "stroke": "#2050A0", "fill": "#2050A0"}  # centre (300, 300)
STROKE_GREEN = {"type": "Path", "originX": "center", "originY": "center", "left": 300, "top": 500,
                "stroke": "#30A040", "strokeWidth": 6,
                "path": [["M", 200, 500], ["Q", 300, 500, 400, 500]]}  # fmt: skip


def canvas(app: AppTest) -> Any:
    (element,) = app.get("bidi_component")
    return element


def draw(app: AppTest, *objects: dict[str, Any]) -> AppTest:
    """What the browser sends after drawing: the canvas's objects under its widget key."""
    app.session_state[canvas(app).key] = {"drawing": {"raw": {"objects": list(objects)}, "data": None}, "backgroundFit": None}
    return app.run()


def button(app: AppTest, label: str) -> Any:
    return next(b for b in app.button if b.label == label)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[db.Catalog, int, AppTest]:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    photo_id = add_photo(catalog, size=SCAN_SIDE, title="Dock workers", era="Japanese occupation")
    return catalog, photo_id, start_app(WORKSPACE, photo=str(photo_id))


def test_without_a_photo_the_workspace_points_to_the_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app(WORKSPACE)
    assert_clean(app)
    assert "Open a photo from the Catalog" in app.info[0].value


def test_an_unknown_photo_gets_an_error_with_a_next_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app(WORKSPACE, photo="999")
    assert errors(app) == ["Photo #999 is not in the catalog. Pick one from the Catalog page."]


def test_the_canvas_shows_a_display_size_copy_not_the_scan(workspace: tuple[db.Catalog, int, AppTest]) -> None:
    _, _, app = workspace
    assert_clean(app)
    arguments = json.loads(canvas(app).proto.json)
    assert (arguments["canvasWidth"], arguments["canvasHeight"]) == (620, 620)
    assert arguments["backgroundImageURL"].startswith("data:image/png;base64,")
    assert arguments["drawingMode"] == "point"


def test_painted_hints_are_counted_and_mapped_to_scan_pixels(workspace: tuple[db.Catalog, int, AppTest]) -> None:
    _, _, app = workspace
    draw(app, POINT_RED, POINT_BLUE, STROKE_GREEN)
    assert_clean(app)
    assert any("2 points · 1 strokes" in caption.value for caption in app.caption)


def test_run_shows_the_preview_with_its_latency(workspace: tuple[db.Catalog, int, AppTest]) -> None:
    _, _, app = workspace
    draw(app, POINT_RED, POINT_BLUE, STROKE_GREEN)
    button(app, "Run").click().run()
    assert_clean(app)
    assert any(caption.value.startswith("Preview 620×620 rendered in") for caption in app.caption)
    result = app.session_state[workspace_state.RESULT]
    red = result.image.getpixel((100, 60))
    assert red[0] > red[2] + 40  # the red hint is red in the preview


def test_saving_needs_a_provenance_note(workspace: tuple[db.Catalog, int, AppTest]) -> None:
    catalog, photo_id, app = workspace
    draw(app, POINT_RED)
    button(app, "Save candidate").click().run()
    assert errors(app) == ["Write the basis for these colours (sources, documents, site visit) before saving."]
    with catalog.read_session() as session:
        assert db.list_colorizations(session=session, photo_id=photo_id) == []


def test_saving_stores_the_hints_in_scan_pixels_and_a_full_resolution_output(
    workspace: tuple[db.Catalog, int, AppTest],
) -> None:
    catalog, photo_id, app = workspace
    draw(app, POINT_RED, POINT_BLUE, STROKE_GREEN)
    app.text_area(key="ws-note").input("Dock paint from the 1931 harbour board minutes")
    button(app, "Save candidate").click().run()
    assert_clean(app)
    with catalog.read_session() as session:
        (saved,) = db.list_colorizations(session=session, photo_id=photo_id)
        assert saved.provenance_note == "Dock paint from the 1931 harbour board minutes"
        assert (saved.output_width, saved.output_height) == (SCAN_SIDE, SCAN_SIDE)
        points = saved.hints["points"]
        assert [(p["x"], p["y"], p["color"]) for p in points] == [(200, 120, "#c03020"), (600, 600, "#2050a0")]
        assert saved.hints["strokes"][0]["path"][0] == [400, 1000]
    assert any("Saved candidate" in message.value for message in app.success)


def test_a_candidate_lists_its_provenance_and_its_hints_can_be_loaded_back(
    workspace: tuple[db.Catalog, int, AppTest],
) -> None:
    catalog, photo_id, app = workspace
    candidate_id = add_candidate(catalog, photo_id, note="colours from the tinted postcard")
    app.run()
    assert app.subheader[-1].value == "Candidates (1)"
    assert any("colours from the tinted postcard" in text.value for text in app.markdown)
    revision = app.session_state[workspace_state.REVISION]
    button(app, "Load these hints").click().run()
    assert_clean(app)
    assert app.session_state[workspace_state.REVISION] == revision + 1
    arguments = json.loads(canvas(app).proto.json)
    (point,) = arguments["initialDrawing"]["objects"]
    assert point["type"] == "Circle" and point["fill"] == "#a03020"
    assert candidate_id == 1


def test_remove_last_and_clear_remount_the_canvas_with_fewer_hints(workspace: tuple[db.Catalog, int, AppTest]) -> None:
    _, _, app = workspace
    draw(app, POINT_RED, POINT_BLUE, STROKE_GREEN)
    button(app, "Remove last").click().run()
    assert [o["type"] for o in json.loads(canvas(app).proto.json)["initialDrawing"]["objects"]] == ["Circle", "Circle"]
    assert any("2 points · 0 strokes" in caption.value for caption in app.caption)
    button(app, "Clear").click().run()
    assert json.loads(canvas(app).proto.json)["initialDrawing"]["objects"] == []


def test_a_reference_colour_is_one_click_away_and_cited_by_the_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    photo_id = add_photo(catalog, size=SCAN_SIDE, era="Japanese occupation", place="Busan")
    with catalog.session() as session:
        local = db.get_local_user(session=session)
        db.add_reference_color(session=session, actor=local, name="Harbour crane green", hex="#2e5e3a", era="Japanese occupation")
        db.add_reference_color(session=session, actor=local, name="Incheon dock red", hex="#8e2e2a", place="Incheon")
        db.add_reference_color(session=session, actor=local, name="War-time khaki", hex="#6b6a3a", era="Korean War")
    app = start_app(WORKSPACE, photo=str(photo_id))
    assert app.button_group(key="ws-reference").options == ["Harbour crane green"]  # era and place filter
    app.button_group(key="ws-reference").select("Harbour crane green").run()
    assert app.color_picker(key=workspace_state.COLOR).value == "#2e5e3a"
    draw(app, {**POINT_RED, "stroke": "#2E5E3A", "fill": "#2E5E3A"})
    app.text_area(key="ws-note").input("crane colour from the port archive")
    button(app, "Save candidate").click().run()
    with catalog.read_session() as session:
        (saved,) = db.list_colorizations(session=session, photo_id=photo_id)
        assert saved.hints["points"][0]["reference"] == "Harbour crane green"


def test_the_era_palette_of_approved_work_becomes_a_global_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    earlier = add_photo(catalog, shift=40, era="Japanese occupation")
    candidate_id = add_candidate(catalog, earlier)
    with catalog.session() as session:
        db.approve_colorization(
            session=session, settings=catalog.settings, actor=db.get_local_user(session=session),
            colorization_id=candidate_id, note="checked",
        )  # fmt: skip
    photo_id = add_photo(catalog, size=SCAN_SIDE, era="Japanese occupation")
    app = start_app(WORKSPACE, photo=str(photo_id))
    button(app, "Use this palette").click().run()
    assert_clean(app)
    palette = app.session_state[workspace_state.PALETTE]
    assert palette and all(entry["color"].startswith("#") for entry in palette)
    assert any(caption.value == f"0 points · 0 strokes · {len(palette)} palette colours" for caption in app.caption)


def test_colour_suggestions_are_hidden_without_model_weights(
    workspace: tuple[db.Catalog, int, AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, app = workspace
    monkeypatch.setattr("dashboard.workspace_panels.suggestions_available", lambda: False)
    draw(app, POINT_RED)
    assert not any(text.value == "**Suggest colours here**" for text in app.markdown)


def test_colour_suggestions_are_offered_as_one_click_colours(
    workspace: tuple[db.Catalog, int, AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, app = workspace
    asked: list[tuple[float, float]] = []

    def fake_suggest(preview: Any, hints: Any, original_size: Any, x: float, y: float, k: int = 6) -> list[tuple[str, float]]:
        asked.append((x, y))
        return [("#884422", 0.6), ("#224488", 0.3)]

    monkeypatch.setattr("dashboard.workspace_panels.suggestions_available", lambda: True)
    monkeypatch.setattr("dashboard.workspace_panels.suggest_colors", fake_suggest)
    draw(app, POINT_RED, POINT_BLUE)
    button(app, "Suggest colours at the last point").click().run()
    assert asked == [(600, 600)]  # the last point, in scan pixels
    app.button_group(key="ws-suggestion").select("#224488 (30%)").run()
    assert app.color_picker(key=workspace_state.COLOR).value == "#224488"


def test_a_saturation_hint_is_saved_and_restored_with_the_candidate(workspace: tuple[db.Catalog, int, AppTest]) -> None:
    catalog, photo_id, app = workspace
    app.toggle(key=workspace_state.SATURATION_ON).set_value(True).run()
    app.slider(key=workspace_state.SATURATION).set_value(0.6).run()
    draw(app, POINT_RED)
    app.text_area(key="ws-note").input("faded print: low saturation")
    button(app, "Save candidate").click().run()
    with catalog.read_session() as session:
        (saved,) = db.list_colorizations(session=session, photo_id=photo_id)
        assert saved.hints["saturation"] == 0.6
    app.toggle(key=workspace_state.SATURATION_ON).set_value(False).run()
    button(app, "Load these hints").click().run()
    assert app.toggle(key=workspace_state.SATURATION_ON).value is True
    assert app.slider(key=workspace_state.SATURATION).value == 0.6
