"""A newcomer's first session in a real browser, then the curator's import and the pages' roles.

The newcomer test does what README's "Two commands" section promises: the dashboard on a fresh,
empty catalog in local single-user mode (as ``scripts/dashboard.sh`` serves it: ``streamlit run
dashboard/app.py`` on 127.0.0.1), the sample collection loaded with the catalog's button, one sample
photo painted, run and saved with a provenance note, the README's user commands run as written
(an admin, then a reviewer: the second account), the reviewer's approval, and the export downloaded.

Runs against its own dashboard server on a free port in Debian's Chromium (see ``conftest.py``).
With ``FINDCOLOR_SCREENSHOTS=1`` it also writes the README's screenshots of the catalog and the
workspace, showing the sample collection, to ``docs/screenshots/``; without it the committed
files are left alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Locator

import db
from conftest import REPO_ROOT, DashboardServer
from core_fixtures import readme_user_commands
from dashboard_page import DashboardPage

SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
WRITE_SCREENSHOTS = os.environ.get("FINDCOLOR_SCREENSHOTS") == "1"
PASSWORD = "correct horse battery"

# The sample photo the newcomer paints: a gray version of NASA's colour portrait of Eileen Collins
# (512 x 512). Hint positions are the scan's pixels; colours are measured on the colour original.
SAMPLE_TITLE = "Astronaut Eileen Collins"
SAMPLE_FILE = REPO_ROOT / "db" / "sample_photos" / "eileen-collins-gray.png"
SAMPLE_POINTS = [
    ((225, 120), "#deb69b"),  # face
    ((30, 160), "#7a0e17"),  # red stripe of the flag
    ((10, 100), "#201147"),  # the flag's blue canton
    ((320, 330), "#d35a33"),  # orange launch and entry suit
    ((330, 150), "#ddd0ca"),  # the backdrop, near gray
]
SAMPLE_STROKE = ([(55, 320), (60, 380), (70, 440), (80, 490)], "#ea815b")  # down the left sleeve
NOTE = "Suit, skin and flag colours measured on NASA's colour original of this portrait."


def test_a_newcomer_loads_the_sample_paints_runs_saves_has_it_reviewed_and_exports(
    browser_page, dashboard_server: DashboardServer  # type: ignore[no-untyped-def]
) -> None:
    app = DashboardPage(browser_page, dashboard_server.url)
    app.open()  # the printed address: no accounts yet, so no sign-in (local single-user mode)
    assert app.title() == "Catalog"
    app.expect_text("The catalog has no photos yet.")

    # The empty catalog offers the sample collection: five photos with their metadata.
    app.click("Load the sample collection")
    app.expect_text(SAMPLE_TITLE)
    app.expect_text("5 photos match")
    app.wait_for_images(5)
    if WRITE_SCREENSHOTS:
        write_screenshot(app, "catalog.png", down_to=app.button("Open in workspace"), margin=32)
    app.open_in_workspace(SAMPLE_TITLE)

    # Paint five points and one stroke with the mouse; the canvas reports them to Python. The canvas
    # is as wide as its column, so the scan's pixels are scaled to it.
    scale = app.canvas_box()["width"] / 512
    for (x, y), color in SAMPLE_POINTS:
        app.pick_color("Colour", color)
        app.click_canvas(x * scale, y * scale)
    stroke, color = SAMPLE_STROKE
    app.pick_color("Colour", color)
    app.after_run(browser_page.get_by_text("Stroke", exact=True).click)
    app.drag_on_canvas([(x * scale, y * scale) for x, y in stroke])
    app.expect_text("5 points · 1 strokes")

    # Run the preview; then save a candidate with its provenance note.
    app.click("Run")
    app.expect_text("rendered in")
    if WRITE_SCREENSHOTS:
        write_screenshot(app, "workspace.png", down_to=browser_page.get_by_text("Colorized preview", exact=True), margin=24)
    app.fill_in_form("Basis for these colours (required)", NOTE)
    app.click("Save candidate")
    app.expect_text("Saved candidate #1")
    # Continue from the saved candidate: its hints come back onto a fresh canvas.
    app.click("Clear")
    app.expect_text("0 points · 0 strokes")
    app.click("Load these hints")
    app.expect_text("5 points · 1 strokes")

    # Four-eyes needs a second person: the README's user commands, as written, end single-user mode.
    _admin, reviewer = create_readme_accounts(dashboard_server)
    app.open("review")  # from now on the dashboard asks everyone to sign in
    assert app.title() == "Find Color"
    app.sign_in(reviewer, account_password(1), lands_on="Review")
    app.expect_text(NOTE)
    app.fill("Review note", "Compared with the colour original.")
    app.click("Approve")
    app.expect_text("Approved candidate #1.")

    # Export the approved work and check the bag that the browser downloads.
    app.go_to("Export")
    app.click("Build the bag")
    with browser_page.expect_download() as download_info:
        app.button("Download the bag").click()
    bag = zipfile.ZipFile(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    check_bag(bag, SAMPLE_FILE, size=(512, 512))
    assert "released into the public domain" in bag_metadata(bag), "the sample's licence travels with it"


def write_screenshot(app: DashboardPage, name: str, *, down_to: Locator, margin: int) -> None:
    """Write ``docs/screenshots/<name>`` for the README: the window's width, from the top down to
    ``margin`` pixels below the lowest element ``down_to`` matches (the window is made tall enough
    for it, then restored)."""
    app.wait_for_images(1)
    app.settle()  # every element drawn (placeholders replaced)
    window = app.page.viewport_size
    assert window is not None
    app.page.mouse.move(window["width"] - 8, 400)  # over the empty right margin: no hover decorations
    app.page.evaluate("() => document.activeElement?.blur()")  # no focus ring on the last button pressed
    boxes = [element.bounding_box() for element in down_to.all()]
    height = math.ceil(max(box["y"] + box["height"] for box in boxes if box is not None)) + margin
    if height > window["height"]:  # the app scrolls inside its own pane: a full-page shot stops at the window
        app.page.set_viewport_size({"width": window["width"], "height": height})
        app.settle()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    app.page.screenshot(path=str(SCREENSHOTS / name), clip={"x": 0, "y": 0, "width": window["width"], "height": height})
    app.page.set_viewport_size(window)


def account_password(number: int) -> str:
    """The password given to the README's ``number``-th user command (0: the admin)."""
    return f"passphrase of account {number}"


def create_readme_accounts(server: DashboardServer) -> tuple[str, str]:
    """Run the README's user commands in order (passwords on standard input, the admin's in
    ``FINDCOLOR_PASSWORD``, as a script would); the names of the admin and the second account."""
    commands = readme_user_commands()
    names = []
    for number, command in enumerate(commands):
        assert command[0] == ".venv/bin/findcolor", command
        password = account_password(number)
        acting_admin = {"FINDCOLOR_PASSWORD": account_password(0)} if number else {}
        server.run_cli(*command[1:], stdin=f"{password}\n{password}\n", environment=acting_admin)
        if command[1:3] == ["user", "add"]:
            names.append(command[3])
    admin, second, *_ = names
    return admin, second


@pytest.fixture(scope="module")
def accounts(dashboard_server: DashboardServer) -> dict[str, str]:
    """A curator and a viewer, added by the admin, on a catalog holding the sample collection.

    After the newcomer test the admin and the sample are there already; run alone, this adds them.
    """
    catalog = db.open_catalog(db.load_settings(dict(dashboard_server.environment)))
    try:
        with catalog.session() as session:
            admin = db.get_user_by_name(session=session, username="ana")
            if admin is None:
                admin = db.create_user(session=session, actor=None, username="ana", password=PASSWORD, role="admin")
            for username, role in (("carla", "curator"), ("vic", "viewer")):
                db.create_user(session=session, actor=admin, username=username, password=PASSWORD, role=role)
            db.load_sample_collection(session=session, store=catalog.store, settings=catalog.settings, actor=admin)
    finally:
        catalog.close()
    return {"curator": "carla", "viewer": "vic"}


# Real photographs bundled with scikit-image, saved as gray TIFF scans, described by a CSV.
SCANS = {
    "cameraman-1962.tif": ("camera", "Photographer with camera", 1962, "Seoul"),
    "astronaut-1969.tif": ("astronaut", "Portrait in a space suit", 1969, "Houston"),
    "cat-1975.tif": ("chelsea", "Cat on a doorstep", 1975, "Busan"),
    "coffee-1978.tif": ("coffee", "Coffee cup", 1978, "Daegu"),
}


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """The scan files and a metadata CSV naming each one."""
    from skimage import data

    folder = tmp_path_factory.mktemp("scans")
    paths = []
    for filename, (sample, _, _, _) in SCANS.items():
        Image.fromarray(getattr(data, sample)()).convert("L").save(folder / filename)
        paths.append(folder / filename)
    rows = [f"{name},{title},{year},{place}" for name, (_, title, year, place) in SCANS.items()]
    csv_path = folder / "metadata.csv"
    csv_path.write_text("filename,title,year,place\n" + "\n".join(rows) + "\n")
    return paths, csv_path


def test_a_curator_imports_scans_with_a_metadata_csv(
    browser_page, dashboard_server: DashboardServer, accounts: dict[str, str], scans: tuple[list[Path], Path]  # type: ignore[no-untyped-def]
) -> None:
    scan_paths, metadata_csv = scans
    app = DashboardPage(browser_page, dashboard_server.url)
    app.open()
    assert app.title() == "Find Color"  # accounts exist: sign-in first
    app.sign_in(accounts["curator"], PASSWORD)

    # Import real scans: the era for the whole batch, titles, years and places from a CSV.
    app.go_to("Import")
    app.upload("Scans", scan_paths)
    app.select("Era", "Park Chung-hee era")
    app.upload("Or a metadata CSV", [metadata_csv])
    app.click("Import")
    app.expect_text("4 stored, 0 duplicates, 0 rejected.")

    # The catalog lists them with the sample collection, with the titles from the CSV.
    app.go_to("Catalog")
    app.expect_text("9 photos match")
    app.expect_text("Photographer with camera")


def check_bag(bag: zipfile.ZipFile, original: Path, *, size: tuple[int, int]) -> None:
    """A valid bag holding ``original`` byte for byte, its colorization (``size``, in colour) and the note."""
    names = bag.namelist()
    assert any(name.endswith("bagit.txt") for name in names)
    manifest_name = next(name for name in names if name.endswith("manifest-sha256.txt"))
    manifest = dict(
        reversed(line.split(maxsplit=1)) for line in bag.read(manifest_name).decode().splitlines() if line.strip()
    )
    root = manifest_name.rsplit("manifest-sha256.txt", 1)[0]
    for path, digest in manifest.items():  # every payload file matches its checksum
        assert hashlib.sha256(bag.read(root + path)).hexdigest() == digest, path
    original_sha = hashlib.sha256(original.read_bytes()).hexdigest()
    assert original_sha in manifest.values(), "the original scan is in the bag, byte for byte"
    colorized_names = [name for name in names if name.endswith("/colorized.png")]
    assert len(colorized_names) == 1, names
    colorized = np.asarray(Image.open(io.BytesIO(bag.read(colorized_names[0]))).convert("RGB")).astype(int)
    assert colorized.shape[:2] == size[::-1]
    assert np.abs(colorized[..., 0] - colorized[..., 2]).max() > 20  # it carries colour
    assert NOTE in bag_metadata(bag)


def bag_metadata(bag: zipfile.ZipFile) -> str:
    """The bag's ``metadata.json``, as JSON text with every character as written."""
    metadata_name = next(name for name in bag.namelist() if name.endswith("/data/metadata.json"))
    return json.dumps(json.loads(bag.read(metadata_name)), ensure_ascii=False)


def test_an_address_opens_a_page_only_after_sign_in_and_only_for_its_role(
    browser_page, dashboard_server: DashboardServer, accounts: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    app = DashboardPage(browser_page, dashboard_server.url)
    for address in ("import", "workspace?photo=1", "review", "admin"):
        app.open(address)  # a new session: the sign-in form stands in for the page
        assert app.title() == "Find Color"
        app.sign_in(accounts["viewer"], PASSWORD, lands_on="Not available")
        app.expect_text("Your role (viewer) does not include this page.")
        assert browser_page.get_by_role("button", name="Save candidate").count() == 0
        assert browser_page.get_by_role("button", name="Import").count() == 0
        app.sign_out()  # the sign-in would otherwise survive the next address (the session cookie)
    app.open("workspace?photo=1")
    app.sign_in(accounts["curator"], PASSWORD, lands_on="Workspace")  # the same address, the right role
    app.expect_text("Photographer with a camera on a tripod")  # the sample collection's first photo
