"""The whole curator workflow in a real browser: import, paint, run, save, review, export.

Runs against ``streamlit run dashboard/app.py`` on a free port with an empty catalog, in
Debian's Chromium. Screenshots of the catalog and the workspace are written to
``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import db
from conftest import REPO_ROOT, DashboardServer
from dashboard_page import DashboardPage

SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
PASSWORD = "correct horse battery"
NOTE = "Coat colour from the 1962 studio order book; grass from the site visit."


@pytest.fixture(scope="module")
def accounts(dashboard_server: DashboardServer) -> dict[str, str]:
    """An admin, a curator and a reviewer (the four-eyes rule needs two people)."""
    catalog = db.open_catalog(db.load_settings(dict(dashboard_server.environment)))
    with catalog.session() as session:
        boss = db.create_user(session=session, actor=None, username="boss", password=PASSWORD, role="admin")
        for username, role in (("carla", "curator"), ("rita", "reviewer"), ("vic", "viewer")):
            db.create_user(session=session, actor=boss, username=username, password=PASSWORD, role=role)
    catalog.close()
    return {"curator": "carla", "reviewer": "rita", "viewer": "vic"}


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


def test_import_paint_run_save_review_export(
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

    # Catalog: the photos are there, oldest first; open the cameraman in the workspace.
    app.go_to("Catalog")
    app.expect_text("Photographer with camera")
    browser_page.locator('[data-testid="stImage"] img').nth(3).wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(SCREENSHOTS / "catalog.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 1000})
    app.after_run(app.button("Open in workspace").first.click)
    browser_page.locator("h1", has_text="Workspace").wait_for()

    # Paint two points and one stroke with the mouse; the canvas reports them to Python.
    app.pick_color("Colour", "#8a5a3c")  # skin
    app.click_canvas(250, 120)
    app.pick_color("Colour", "#1f2a44")  # dark blue coat
    app.click_canvas(120, 420)
    app.pick_color("Colour", "#4f7a32")  # grass
    app.after_run(browser_page.get_by_text("Stroke", exact=True).click)
    app.drag_on_canvas([(30, 480), (150, 470), (300, 490), (450, 480)])
    app.expect_text("2 points · 1 strokes")

    # Run the preview; then save a candidate with its provenance note.
    app.click("Run")
    app.expect_text("rendered in")
    browser_page.screenshot(path=str(SCREENSHOTS / "workspace.png"), full_page=True)
    app.fill_in_form("Basis for these colours (required)", NOTE)
    app.click("Save candidate")
    app.expect_text("Saved candidate #1")
    # Continue from the saved candidate: its hints come back onto a fresh canvas.
    app.click("Clear")
    app.expect_text("0 points · 0 strokes")
    app.click("Load these hints")
    app.expect_text("2 points · 1 strokes")
    app.sign_out()

    # A reviewer approves it (four-eyes: not the author). Signing in keeps the address.
    app.sign_in(accounts["reviewer"], PASSWORD, lands_on="Workspace")
    app.go_to("Review")
    app.expect_text(NOTE)
    app.fill("Review note", "Checked against the order book.")
    app.click("Approve")
    app.expect_text("Approved candidate #1.")

    # Export the approved work and check the bag that the browser downloads.
    app.go_to("Export")
    app.click("Build the bag")
    with browser_page.expect_download() as download_info:
        app.button("Download the bag").click()
    bag = zipfile.ZipFile(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    check_bag(bag, scan_paths[0])


def check_bag(bag: zipfile.ZipFile, original: Path) -> None:
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
    pngs = [name for name in names if name.endswith(".png") and "/data/" in f"/{name}"]
    assert pngs, names
    colorized = np.asarray(Image.open(io.BytesIO(bag.read(pngs[0]))).convert("RGB")).astype(int)
    assert colorized.shape[:2] == (512, 512)
    assert np.abs(colorized[..., 0] - colorized[..., 2]).max() > 20  # it carries colour
    metadata_name = next(name for name in names if name.endswith("/data/metadata.json"))
    assert NOTE in json.dumps(json.loads(bag.read(metadata_name)), ensure_ascii=False)


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
    app.expect_text("Photographer with camera")
