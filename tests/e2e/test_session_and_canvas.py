"""A sign-in and the hints on the canvas survive a reload; sign-out ends the sign-in in every tab;
the whole photo is on screen and paintable at the window widths curators use."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

import db
from conftest import DashboardServer
from dashboard_page import DashboardPage

PASSWORD = "correct horse battery"


@contextmanager
def open_catalog(server: DashboardServer) -> Iterator[db.Catalog]:
    """The catalog the dashboard server uses, opened from the test."""
    catalog = db.open_catalog(db.load_settings(dict(server.environment)))
    try:
        yield catalog
    finally:
        catalog.close()


@pytest.fixture(scope="module")
def landscape_photo(dashboard_server: DashboardServer) -> int:
    """A wide scan (1600 x 1000, the shape that was cut off) and a curator 'cora' to paint it."""
    with open_catalog(dashboard_server) as catalog:
        with catalog.session() as session:
            boss = db.get_user_by_name(session=session, username="boss")
            if boss is None:
                boss = db.create_user(session=session, actor=None, username="boss", password=PASSWORD, role="admin")
            if db.get_user_by_name(session=session, username="cora") is None:
                db.create_user(session=session, actor=boss, username="cora", password=PASSWORD, role="curator")
            ramp = np.tile(np.linspace(0, 255, 1600, dtype=np.float32), (1000, 1)).astype(np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(ramp).save(buffer, format="PNG")
            outcome = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=boss,
                                      filename="landscape.png", data=buffer.getvalue(), metadata={"title": "Landscape"})  # fmt: skip
            assert outcome.photo_id is not None
            return outcome.photo_id


def test_a_reload_while_painting_keeps_the_sign_in_and_the_hints(
    browser_page, dashboard_server: DashboardServer, landscape_photo: int  # type: ignore[no-untyped-def]
) -> None:
    app = DashboardPage(browser_page, dashboard_server.url)
    app.open(f"workspace?photo={landscape_photo}")
    app.sign_in("cora", PASSWORD, lands_on="Workspace")
    app.click_canvas(60, 50)
    app.click_canvas(200, 120)
    app.expect_text("2 points · 0 strokes")

    browser_page.reload()  # in the middle of painting, nothing saved
    app.page.wait_for_selector(".findcolor-run", state="attached", timeout=120_000)
    browser_page.locator("h1", has_text="Workspace").wait_for()
    app.expect_text("2 points · 0 strokes")
    app.expect_text("unsaved hints for this photo")

    other = DashboardPage(browser_page.context.new_page(), dashboard_server.url)  # a second tab
    other.open("catalog")  # a typed address, signed in from the cookie
    assert other.title() == "Catalog"
    assert other.page.get_by_text("Page not found").count() == 0
    app.sign_out()
    other.open("catalog")  # signing out ended the sign-in everywhere
    assert other.title() == "Find Color"


@pytest.mark.parametrize("window_width", [1280, 1400])
def test_the_whole_photo_is_on_screen_and_paintable(
    browser_page, dashboard_server: DashboardServer, landscape_photo: int, window_width: int  # type: ignore[no-untyped-def]
) -> None:
    browser_page.set_viewport_size({"width": window_width, "height": 1100})
    app = DashboardPage(browser_page, dashboard_server.url)
    app.open(f"workspace?photo={landscape_photo}")
    if app.title() == "Find Color":
        app.sign_in("cora", PASSWORD, lands_on="Workspace")
    box = app.canvas_box()  # once the column's width is known and the canvas drawn at it
    column_right = browser_page.evaluate(
        """() => { let el = document.querySelector('[data-testid="stBidiComponentIsolated"]');
                   while (el && el.getAttribute('data-testid') !== 'stColumn') el = el.parentElement;
                   const r = el.getBoundingClientRect(); return r.x + r.width; }"""
    )
    assert box["x"] + box["width"] <= column_right + 1, (box, column_right)  # not cut off by the column
    assert box["x"] + box["width"] >= column_right - 12, (box, column_right)  # scaled to it, not a fixed size
    assert box["x"] + box["width"] <= window_width
    app.click("Clear")
    app.paint_point(box["width"] - 4, box["height"] / 2, "1 points · 0 strokes")  # the far right edge of the scan can be painted
    ((x, y),) = [(point["x"], point["y"]) for point in draft_points(dashboard_server, landscape_photo, app)]
    assert x > 1600 * (1 - 10 / box["width"]) and abs(y - 500) < 10, (x, y)  # in the scan's own pixels
    app.click("Clear")


def test_ask_for_colours_anywhere_then_paint_the_spot_or_load_the_brush(
    browser_page, dashboard_server: DashboardServer, landscape_photo: int  # type: ignore[no-untyped-def]
) -> None:
    """A click with "Ask colours" paints nothing; every suggestion is a swatch with its probability;
    one click paints the asked spot, or (with "Use as brush") sets the colour the next point gets."""
    app = DashboardPage(browser_page, dashboard_server.url)
    app.open(f"workspace?photo={landscape_photo}")
    if app.title() == "Find Color":
        app.sign_in("cora", PASSWORD, lands_on="Workspace")
    app.click("Clear")
    app.after_run(browser_page.get_by_text("Ask colours", exact=True).click)
    box = app.canvas_box()
    app.click_canvas(box["width"] * 0.75, box["height"] / 2)  # anywhere: no hint there
    app.expect_text("At scan pixel (")
    app.expect_text("0 points · 0 strokes")  # the click asked; it painted nothing
    suggestions = browser_page.get_by_role("button", name=re.compile(r"^#[0-9a-f]{6} · \d+%$"))
    assert suggestions.count() == 6
    assert all(suggestions.nth(index).is_visible() for index in range(6))  # all of them, not 2 of 6

    first = hex_in(suggestions.first.inner_text())
    app.after_run(suggestions.first.click)  # "Paint that spot" is the default action
    app.expect_text("1 points · 0 strokes")
    assert [point["color"] for point in draft_points(dashboard_server, landscape_photo, app)] == [first]

    app.after_run(browser_page.get_by_text("Use as brush", exact=True).click)
    second = hex_in(suggestions.nth(1).inner_text())
    app.after_run(suggestions.nth(1).click)
    app.expect_text("1 points · 0 strokes")  # the brush changed; nothing was painted
    app.after_run(browser_page.get_by_text("Point", exact=True).click)
    app.click_canvas(box["width"] * 0.25, box["height"] / 2)
    app.expect_text("2 points · 0 strokes")
    assert [point["color"] for point in draft_points(dashboard_server, landscape_photo, app)] == [first, second]
    app.click("Clear")


def hex_in(label: str) -> str:
    match = re.search(r"#[0-9a-f]{6}", label)
    assert match is not None, label
    return match.group()


def draft_points(server: DashboardServer, photo_id: int, app: DashboardPage) -> list[dict[str, object]]:
    """Cora's autosaved hint points for the photo (after the runs in flight have ended)."""
    app.settle()
    with open_catalog(server) as catalog, catalog.read_session() as session:
        user = db.get_user_by_name(session=session, username="cora")
        draft = db.get_hint_draft(session=session, actor=user, photo_id=photo_id)
        return list(draft.hints["points"]) if draft is not None else []
