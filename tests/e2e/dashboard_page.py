"""A small page object for driving the dashboard in Chromium (Playwright, sync API).

Streamlit updates the page element by element while a script run is in progress, so every
action waits for the run marker that ``dashboard/app.py`` writes last (``.findcolor-run``,
numbered per run) to change from the number it had before the action (signing out starts
the count again).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

RUN_TIMEOUT_MS = 120_000  # a full-resolution render on a busy 2-core machine


class DashboardPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    # ---------------------------------------------------------------- runs

    def run_number(self) -> int:
        numbers = self.page.eval_on_selector_all(
            ".findcolor-run", "markers => markers.map(marker => Number(marker.dataset.run))"
        )
        return max(numbers, default=0)

    def after_run(self, action: Callable[[], object]) -> None:
        """Do ``action`` and wait until the script run it causes has finished."""
        before = self.run_number()
        action()
        self.page.wait_for_function(
            "before => [...document.querySelectorAll('.findcolor-run')]"
            ".some(marker => Number(marker.dataset.run) !== before)",
            arg=before,
            timeout=RUN_TIMEOUT_MS,
        )

    def open(self, path: str = "") -> None:
        self.page.goto(f"{self.base_url}/{path}")
        self.page.wait_for_selector(".findcolor-run", state="attached", timeout=RUN_TIMEOUT_MS)

    # ---------------------------------------------------------------- widgets

    def title(self) -> str:
        return self.page.locator("h1").first.inner_text()

    def go_to(self, page_title: str) -> None:
        link = self.page.locator('[data-testid="stSidebarNav"] a', has_text=page_title)
        self.after_run(link.first.click)
        self.page.locator("h1", has_text=page_title).first.wait_for()

    def button(self, label: str) -> Locator:
        return self.page.get_by_role("button", name=label, exact=True)

    def click(self, label: str) -> None:
        self.after_run(self.button(label).first.click)

    def fill(self, label: str, text: str) -> None:
        """Type into a text input or area outside a form (committed with Tab: one run)."""
        field = self.page.get_by_label(label, exact=True)
        field.fill(text)
        self.after_run(lambda: field.press("Tab"))

    def fill_in_form(self, label: str, text: str) -> None:
        """Type into a field inside ``st.form`` (no run until the form is submitted)."""
        self.page.get_by_label(label, exact=True).fill(text)

    def select(self, label: str, option: str) -> None:
        self.page.get_by_role("combobox", name=label, exact=True).click()
        self.after_run(self.page.get_by_role("option", name=option, exact=True).click)

    def pick_color(self, label: str, hex_color: str) -> None:
        """Type a colour into the picker's hex field; closing the picker sends it (one run)."""
        self.page.get_by_role("button", name=f"{label} color picker").click()
        field = self.page.locator('input[id^="rc-editable-input"]').first
        field.fill(hex_color)
        field.press("Enter")
        self.after_run(lambda: self.page.keyboard.press("Escape"))

    def upload(self, label: str, files: Sequence[Path]) -> None:
        uploader = self.page.locator('[data-testid="stFileUploader"]', has=self.page.get_by_text(label))
        self.after_run(lambda: uploader.locator('input[type="file"]').set_input_files([str(f) for f in files]))

    def expect_text(self, text: str) -> None:
        self.page.get_by_text(text).first.wait_for(timeout=RUN_TIMEOUT_MS)

    def wait_for_images(self, count: int) -> None:
        """Wait until at least ``count`` of the page's ``st.image`` pictures have loaded."""
        self.page.wait_for_function(
            """count => [...document.querySelectorAll('[data-testid="stImage"] img')]
                        .filter(img => img.complete && img.naturalWidth > 0).length >= count""",
            arg=count,
            timeout=RUN_TIMEOUT_MS,
        )

    # ---------------------------------------------------------------- catalog

    def open_in_workspace(self, title: str) -> None:
        """Click "Open in workspace" on the catalog card of the photo titled ``title``."""
        opener = self.button("Open in workspace")
        card = self.page.locator('[data-testid="stVerticalBlock"]').filter(has_text=title).filter(has=opener).last
        self.after_run(card.get_by_role("button", name="Open in workspace", exact=True).click)
        self.page.locator("h1", has_text="Workspace").wait_for(timeout=RUN_TIMEOUT_MS)

    # ---------------------------------------------------------------- session

    def sign_in(self, username: str, password: str, *, lands_on: str = "Catalog") -> None:
        self.page.get_by_label("User name", exact=True).fill(username)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.after_run(self.button("Sign in").click)
        self.page.locator("h1", has_text=lands_on).wait_for(timeout=RUN_TIMEOUT_MS)
        # The sign-in's cookie is written by a component after the page has drawn (it reruns the
        # page once more): wait for the cookie and for that run, so the next action is not raced.
        self.page.wait_for_function("() => document.cookie.includes('findcolor_session=')", timeout=RUN_TIMEOUT_MS)
        self.settle()

    def settle(self, quiet_ms: int = 1500) -> None:
        """Wait until no script run has started for ``quiet_ms`` (component-triggered reruns are over)."""
        while True:
            before = self.run_number()
            self.page.wait_for_timeout(quiet_ms)
            if self.run_number() == before:
                return

    def sign_out(self) -> None:
        self.after_run(self.button("Sign out").click)
        self.page.locator("h1", has_text="Find Color").wait_for(timeout=RUN_TIMEOUT_MS)

    # ---------------------------------------------------------------- canvas

    def canvas_box(self) -> dict[str, float]:
        """The drawing canvas's box in page pixels (inside the component's shadow root), once it is ready.

        A fresh canvas (a new photo, Clear, loaded hints, a column that changed width) replaces
        the old one and reports its background to Python in a run of its own; a click before
        that lands on a canvas being removed, or on one not yet listening, and is lost.
        """
        self.settle(quiet_ms=1000)
        canvas = self.page.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=RUN_TIMEOUT_MS)
        box = canvas.bounding_box()
        assert box is not None
        return box

    def canvas_origin(self) -> tuple[float, float]:
        """Top-left of the drawing canvas in page pixels."""
        box = self.canvas_box()
        return round(box["x"]), round(box["y"])

    def click_canvas(self, x: float, y: float) -> None:
        left, top = self.canvas_origin()
        self.after_run(lambda: self.page.mouse.click(left + x, top + y))

    def paint_point(self, x: float, y: float, expected: str, attempts: int = 3) -> None:
        """Click a point hint at (x, y) on the canvas until the page shows ``expected`` (its hint count).

        On a loaded machine a fresh canvas can still be replaced (its background report, a column
        width that arrived late) after ``canvas_box`` saw the page quiet, and a click on the
        canvas being replaced is lost. Clicking again on the canvas now on the page is what a
        curator does; a spot that cannot be painted still fails every attempt.
        """
        for _ in range(attempts):
            self.click_canvas(x, y)
            try:
                self.page.get_by_text(expected).first.wait_for(timeout=20_000)
                return
            except PlaywrightTimeoutError:
                continue
        raise AssertionError(f"{attempts} clicks at ({x:.0f}, {y:.0f}) on the canvas did not give {expected!r}")

    def drag_on_canvas(self, points: Sequence[tuple[float, float]]) -> None:
        left, top = self.canvas_origin()
        mouse = self.page.mouse

        def stroke() -> None:
            mouse.move(left + points[0][0], top + points[0][1])
            mouse.down()
            for x, y in points[1:]:
                mouse.move(left + x, top + y, steps=8)
            mouse.up()

        self.after_run(stroke)
