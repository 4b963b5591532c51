"""The import page: a batch with one description, per-file outcomes, a metadata CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

import db
from dashboard_support import assert_clean, camera_png, errors, open_test_catalog, shown, start_app

IMPORT = "views/import_photos.py"


def outcomes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    table = app.dataframe[0].value
    return list(zip(table["file"], table["outcome"]))


def test_a_batch_is_stored_with_its_description_and_each_file_gets_an_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    app = start_app(IMPORT)
    app.file_uploader(key="import-files").set_value(
        [
            ("harbour.png", camera_png(shift=1), "image/png"),
            ("harbour-copy.png", camera_png(shift=1), "image/png"),
            ("notes.png", b"this is not an image", "image/png"),
        ]
    ).run()
    app.text_input(key="import-title").input("Harbour, winter")
    app.selectbox(key="import-era").select("Korean War")
    app.text_input(key="import-place").input("Busan")
    app.text_input(key="import-tags").input("harbour, cranes").run()
    next(b for b in app.button if b.label == "Import").click().run()
    assert_clean(app)
    assert app.success[0].value == "1 stored, 1 duplicates, 1 rejected."
    assert outcomes(app) == [("harbour.png", "stored"), ("harbour-copy.png", "duplicate"), ("notes.png", "rejected")]
    with catalog.read_session() as session:
        (photo,) = db.list_photos(session=session).items
        assert (photo.title, photo.era_name, photo.place, photo.tags) == ("Harbour, winter", "Korean War", "Busan", ["cranes", "harbour"])


def test_a_metadata_csv_describes_each_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    app = start_app(IMPORT)
    app.file_uploader(key="import-files").set_value(
        [("a.png", camera_png(shift=1), "image/png"), ("b.png", camera_png(shift=2), "image/png")]
    )
    csv = "filename,title,year,place\na.png,Tram depot,1938,Seoul\nb.png,Fish market,1952,Busan\nc.png,Missing,1900,\n"
    app.file_uploader(key="import-csv").set_value(("meta.csv", csv.encode(), "text/csv")).run()
    next(b for b in app.button if b.label == "Import").click().run()
    assert app.success[0].value == "2 stored, 0 duplicates, 0 rejected."
    assert "c.png" in shown(app.warning[0].value)  # a CSV row that matched no upload is reported
    with catalog.read_session() as session:
        photos = {p.title: (p.year_from, p.place) for p in db.list_photos(session=session).items}
    assert photos == {"Tram depot": (1938, "Seoul"), "Fish market": (1952, "Busan")}


def test_a_bad_csv_stops_the_import_with_a_next_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    app = start_app(IMPORT)
    app.file_uploader(key="import-files").set_value(("a.png", camera_png(), "image/png"))
    app.file_uploader(key="import-csv").set_value(("meta.csv", b"filename,colour\na.png,red\n", "text/csv")).run()
    next(b for b in app.button if b.label == "Import").click().run()
    assert not app.exception
    (error,) = errors(app)
    assert "unknown column 'colour'" in error and "nothing was stored" in error
    with catalog.read_session() as session:
        assert db.list_photos(session=session).total == 0


def test_import_needs_files_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app(IMPORT)
    assert_clean(app)
    assert next(b for b in app.button if b.label == "Import").disabled


def test_the_upload_limit_suits_archival_scans() -> None:
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] >= 1024  # MB: large TIFF scans
    assert config["server"]["address"] == "127.0.0.1"
