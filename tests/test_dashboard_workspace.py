"""The photo workspace: canvas, hints in original pixels, preview run, save, candidates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import db
from dashboard import workspace_state
from dashboard_support import add_candidate, add_photo, assert_clean, errors, open_test_catalog, shown, start_app

WORKSPACE = "views/workspace.py"
SCAN_SIDE = 1200  # a square scan shown on a 600 x 600 canvas: 2 scan pixels per canvas pixel

POINT_RED = {"type": "Circle", "originX": "left", "originY": "center", "left": 94, "top": 60, "radius": 6,
             "strokeWidth": 0, "stroke": "#C03020", "fill": "#C03020"}  # fmt: skip  # centre (100, 60)
POINT_BLUE = {**POINT_RED, "left": 294, "top": 300, "stroke": "#2050A0", "fill": "#2050A0"}  # centre (300, 300)
STROKE_GREEN = {"type": "Path", "originX": "center", "originY": "center", "left": 300, "top": 500,
                "stroke": "#30A040", "strokeWidth": 6,
                "path": [["M", 200, 500], ["Q", 300, 500, 400, 500]]}  # fmt: skip


def canvas(app: AppTest) -> Any:
    """The drawable canvas (the other component on the page measures its column)."""
    (element,) = [element for element in app.get("bidi_component") if element.key.startswith("ws-canvas")]
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
    assert (arguments["canvasWidth"], arguments["canvasHeight"]) == (600, 600)
    assert arguments["backgroundImageURL"].startswith("data:image/jpeg;base64,")
    assert arguments["drawingMode"] == "point"


@pytest.mark.parametrize("column_width", [404, 904, 1504])
def test_the_canvas_fills_its_column_and_the_hints_stay_on_their_scan_pixels(
    workspace: tuple[db.Catalog, int, AppTest], column_width: int
) -> None:
    """The browser reports the canvas column's width; the whole scan is drawn that wide (never wider)."""
    from dashboard.canvas_hints import CanvasMapping, canvas_to_hints

    _, _, app = workspace
    draw(app, POINT_RED, STROKE_GREEN)
    app.session_state["canvas-column-width"] = {"width": column_width}  # what the measuring component sends
    app.run()
    assert_clean(app)
    arguments = json.loads(canvas(app).proto.json)
    side = min(column_width - 4, 900)  # a square scan: as wide as the column, at most 900 px high
    assert (arguments["canvasWidth"], arguments["canvasHeight"]) == (side, side)
    mapping = CanvasMapping.for_canvas(canvas_size=(side, side), original_size=(SCAN_SIDE, SCAN_SIDE))
    hints = canvas_to_hints(arguments["initialDrawing"]["objects"], mapping, image_size=(SCAN_SIDE, SCAN_SIDE))
    assert [(p["x"], p["y"], p["radius"]) for p in hints["points"]] == [(200, 120, 12)]  # as painted on 600 px
    assert hints["strokes"][0]["path"][0] == [400, 1000] and hints["strokes"][0]["width"] == 12
    assert "1 points · 1 strokes" in " ".join(caption.value for caption in app.caption)


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
    assert any(caption.value.startswith("Preview 600×600 rendered in") for caption in app.caption)
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
    assert app.text_area(key="ws-note").value == ""  # the next candidate needs its own basis


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


SUGGESTED = [("#884422", 0.4), ("#224488", 0.2), ("#448822", 0.15), ("#888888", 0.1), ("#aa2222", 0.1), ("#222222", 0.05)]


@pytest.fixture
def asking(workspace: tuple[db.Catalog, int, AppTest], monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, list[Any]]:
    """The workspace with a stand-in model; records where it was asked and with which hints."""
    _, _, app = workspace
    asked: list[Any] = []

    def fake_suggest(preview: Any, hints: Any, original_size: Any, x: float, y: float, k: int = 6) -> list[tuple[str, float]]:
        asked.append((x, y, [(p["x"], p["y"]) for p in hints["points"]]))
        return SUGGESTED

    monkeypatch.setattr("dashboard.workspace_panels.suggestions_available", lambda: True)
    monkeypatch.setattr("dashboard.workspace_panels.suggest_colors", fake_suggest)
    app.run()
    return app, asked


def ask_click(x: float, y: float) -> dict[str, Any]:
    """The Circle a click at canvas (x, y) leaves while the "Ask colours" tool is chosen."""
    return {**POINT_RED, "left": x - 6, "top": y, "stroke": "#A03020", "fill": "#A03020"}


def test_a_click_anywhere_asks_for_colours_and_paints_nothing(asking: tuple[AppTest, list[Any]]) -> None:
    app, asked = asking
    draw(app, POINT_RED)
    app.button_group(key="ws-tool").select("Ask colours").run()
    draw(app, POINT_RED, ask_click(300, 300))
    assert_clean(app)
    assert asked == [(600, 600, [(200, 120)])]  # the clicked spot in scan pixels; the click is no hint
    assert [o["fill"] for o in json.loads(canvas(app).proto.json)["initialDrawing"]["objects"]] == ["#C03020"]
    labels = [b.label for b in app.button if b.key and b.key.startswith("ws-suggestion-")]
    assert labels == [f"{hex_} · {p:.0%}" for hex_, p in SUGGESTED]  # all six, with their probabilities


def test_a_suggestion_recolours_the_hinted_spot_or_becomes_the_brush(asking: tuple[AppTest, list[Any]]) -> None:
    app, asked = asking
    draw(app, POINT_RED)
    app.button_group(key="ws-tool").select("Ask colours").run()
    draw(app, POINT_RED, ask_click(100, 60))  # on the magenta-ish point itself
    assert asked[-1][:2] == (200, 120)
    button(app, "#224488 · 20%").click().run()
    assert_clean(app)
    (point,) = json.loads(canvas(app).proto.json)["initialDrawing"]["objects"]
    assert point["fill"] == "#224488"  # the point asked about, recoloured; no second point
    app.button_group(key="ws-suggest-action").select("Use as brush").run()
    button(app, "#448822 · 15%").click().run()
    assert app.color_picker(key=workspace_state.COLOR).value == "#448822"
    assert len(json.loads(canvas(app).proto.json)["initialDrawing"]["objects"]) == 1


def test_a_suggestion_applied_to_an_empty_spot_paints_a_point_there(asking: tuple[AppTest, list[Any]]) -> None:
    app, _ = asking
    app.button_group(key="ws-tool").select("Ask colours").run()
    draw(app, ask_click(300, 300))
    button(app, "#884422 · 40%").click().run()
    app.button_group(key="ws-tool").select("Point").run()
    assert "1 points" in " ".join(caption.value for caption in app.caption)
    (point,) = json.loads(canvas(app).proto.json)["initialDrawing"]["objects"]
    assert point["fill"] == "#884422"


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


def test_painted_hints_are_autosaved_and_back_on_the_canvas_after_a_reload(
    workspace: tuple[db.Catalog, int, AppTest],
) -> None:
    """A reload (a new browser session) opens the photo with the hints painted before it, in scan pixels."""
    catalog, photo_id, app = workspace
    draw(app, POINT_RED, POINT_BLUE)
    with catalog.read_session() as session:
        draft = db.get_hint_draft(session=session, actor=db.get_local_user(session=session), photo_id=photo_id)
        assert [(p["x"], p["y"]) for p in draft.hints["points"]] == [(200, 120), (600, 600)]
    reloaded = start_app(WORKSPACE, photo=str(photo_id))
    assert_clean(reloaded)
    objects = json.loads(canvas(reloaded).proto.json)["initialDrawing"]["objects"]
    assert [(o["type"], o["fill"]) for o in objects] == [("Circle", "#c03020"), ("Circle", "#2050a0")]
    assert any("unsaved hints" in message.value for message in reloaded.info)
    assert "2 points" in " ".join(caption.value for caption in reloaded.caption)


def test_saving_a_candidate_or_clearing_the_canvas_drops_the_draft(workspace: tuple[db.Catalog, int, AppTest]) -> None:
    catalog, photo_id, app = workspace

    def draft() -> Any:
        with catalog.read_session() as session:
            return db.get_hint_draft(session=session, actor=db.get_local_user(session=session), photo_id=photo_id)

    draw(app, POINT_RED)
    assert draft() is not None
    button(app, "Clear").click().run()
    assert draft() is None
    draw(app, POINT_BLUE)
    app.text_area(key="ws-note").input("Dock paint from the 1931 harbour board minutes")
    button(app, "Save candidate").click().run()
    assert_clean(app)
    assert draft() is None
    reloaded = start_app(WORKSPACE, photo=str(photo_id))
    assert json.loads(canvas(reloaded).proto.json)["initialDrawing"]["objects"] == []


def test_a_curator_edits_the_description_and_only_the_edits_are_audited(
    workspace: tuple[db.Catalog, int, AppTest],
) -> None:
    catalog, photo_id, app = workspace
    app.text_input(key=f"photo-title-{photo_id}").input("Dock workers, Incheon")
    app.selectbox(key=f"photo-era-{photo_id}").select("Korean War")
    app.text_input(key=f"photo-tags-{photo_id}").input("harbour, workers")
    button(app, "Save the description").click().run()
    assert_clean(app)
    assert shown(app.subheader[0].value) == "Dock workers, Incheon"
    with catalog.read_session() as session:
        photo = db.get_photo(session=session, photo_id=photo_id)
        assert (photo.title, photo.era_name, sorted(photo.tags)) == ("Dock workers, Incheon", "Korean War", ["harbour", "workers"])
        (event,) = [e for e in db.list_audit_events(session=session, entity_type="photo") if e.action == "photo.update"]
    assert set(event.details) == {"title", "era", "tags"}
