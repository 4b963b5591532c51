"""A sign-in and the hints on the canvas survive a reload; sign-out ends the sign-in in every tab;
the whole photo is on screen and paintable at the window widths curators use."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import db
from conftest import DashboardServer
from dashboard_page import DashboardPage

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def landscape_photo(dashboard_server: DashboardServer) -> int:
    """A wide scan (1600 x 1000, the shape that was cut off) and a curator 'cora' to paint it."""
    catalog = db.open_catalog(db.load_settings(dict(dashboard_server.environment)))
    try:
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
    finally:
        catalog.close()


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
    canvas = browser_page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()
    assert box is not None
    column_right = browser_page.evaluate(
        """() => { let el = document.querySelector('[data-testid="stBidiComponentIsolated"]');
                   while (el && el.getAttribute('data-testid') !== 'stColumn') el = el.parentElement;
                   const r = el.getBoundingClientRect(); return r.x + r.width; }"""
    )
    assert box["x"] + box["width"] <= column_right + 1, (box, column_right)  # not cut off by the column
    assert box["x"] + box["width"] <= window_width
    app.click("Clear")
    app.click_canvas(box["width"] - 4, box["height"] / 2)  # the far right edge of the scan can be painted
    app.expect_text("1 points · 0 strokes")
    app.click("Clear")
