"""Import of files, folders and a metadata CSV: duplicates and bad files are reported, the rest stored."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

import db
from db.catalog import Catalog
from db.errors import InvalidInput, PermissionDenied

ERAS = ["Korean War", "Liberation", "Japanese occupation", "Korean Empire"]
EVENTS = ["Daily life", "Demonstration", "Ceremony", "Portrait"]


def _write_scan(path: Path, seed: int) -> None:
    """Small distinct scans in the formats archives hold: 8-bit PNG, JPEG, 16-bit TIFF."""
    rng = np.random.default_rng(seed)
    if path.suffix == ".tif":
        Image.fromarray(rng.integers(0, 65535, size=(16, 24), dtype=np.uint16)).save(path)
    else:
        Image.fromarray(rng.integers(0, 256, size=(16, 24), dtype=np.uint8), "L").save(path)


@pytest.fixture
def batch(tmp_path: Path) -> dict[str, object]:
    """200 files in nested folders: 195 distinct scans, 3 corrupt files, 2 duplicates; plus a CSV."""
    root = tmp_path / "incoming"
    names: list[Path] = []
    for index in range(195):
        suffix = (".png", ".jpg", ".tif")[index % 3]
        path = root / f"box{index % 4}" / f"scan_{index:03d}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_scan(path, seed=index)
        names.append(path)
    corrupt = [root / "box0" / "truncated.png", root / "box1" / "garbage.jpg", root / "box2" / "empty.tif"]
    corrupt[0].write_bytes(names[0].read_bytes()[:60])
    corrupt[1].write_bytes(b"this is not a JPEG at all" * 10)
    corrupt[2].write_bytes(b"")
    duplicates = [root / "box3" / f"copy_of_{names[5].name}", root / "box3" / f"copy_of_{names[10].name}"]
    duplicates[0].write_bytes(names[5].read_bytes())
    duplicates[1].write_bytes(names[10].read_bytes())
    (root / "notes.txt").write_text("not an image: ignored when searching folders")
    metadata = tmp_path / "metadata.csv"
    with open(metadata, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Filename", "Title", "Description", "Date", "Year", "Place", "Era", "Event", "Tags", "Identifier"])
        for index, path in enumerate(names):
            writer.writerow(
                [path.name, f"Scene {index}", f"Street scene number {index}", f"c. {1900 + index % 80}",
                 1900 + index % 80, "Seoul" if index % 2 else "Busan", ERAS[index % 4], EVENTS[index % 4],
                 "market; street" if index % 5 == 0 else "", f"ACC-{index:04d}"]
            )
    return {"root": root, "csv": metadata, "corrupt": corrupt, "duplicates": duplicates, "names": names}


def _counts(catalog: Catalog) -> tuple[int, int, int]:
    with catalog.read_session() as session:
        photos = session.scalar(select(func.count()).select_from(db.Photo))
        events = session.scalar(select(func.count()).select_from(db.AuditEvent))
    return int(photos or 0), int(events or 0), len(list(catalog.store.iter_keys()))


def test_folder_import_reports_exactly_the_bad_files_and_duplicates(catalog: Catalog, batch: dict) -> None:  # type: ignore[type-arg]
    with catalog.session() as session:
        actor = db.get_local_user(session=session)
        report = db.import_paths(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor,
            paths=[batch["root"]], metadata_csv=batch["csv"],
        )
    assert len(report.outcomes) == 200
    assert len(report.imported) == 195
    assert sorted(Path(outcome.source) for outcome in report.failed) == sorted(batch["corrupt"])
    assert sorted(Path(outcome.source) for outcome in report.duplicates) == sorted(batch["duplicates"])
    reasons = {Path(outcome.source).name: outcome.message for outcome in report.failed}
    assert "empty" in reasons["empty.tif"]
    assert "not an image" in reasons["garbage.jpg"]
    assert "truncated" in reasons["truncated.png"] or "corrupt" in reasons["truncated.png"]
    assert all("\n" not in outcome.message for outcome in report.outcomes)
    assert report.unmatched_metadata == []
    photos, events, files = _counts(catalog)
    assert (photos, files) == (195, 195)

    # The CSV landed in the right fields.
    with catalog.read_session() as session:
        photo = session.scalar(select(db.Photo).where(db.Photo.original_filename == "scan_010.jpg"))
        assert photo is not None
        assert (photo.title, photo.year_from, photo.year_to, photo.place) == ("Scene 10", 1910, 1910, "Busan")
        assert (photo.era_name, photo.event_name, photo.identifier) == ("Japanese occupation", "Ceremony", "ACC-0010")
        assert photo.tags == ["market", "street"]
        assert photo.date_text == "c. 1910"
        tiff = session.scalar(select(db.Photo).where(db.Photo.original_filename == "scan_002.tif"))
        assert tiff is not None and tiff.bit_depth == 16 and (tiff.width, tiff.height) == (24, 16)
        assert catalog.store.read_bytes(tiff.sha256) == (batch["root"] / "box2" / "scan_002.tif").read_bytes()

    # Running the same import again changes nothing.
    with catalog.session() as session:
        actor = db.get_local_user(session=session)
        again = db.import_paths(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor,
            paths=[batch["root"]], metadata_csv=batch["csv"],
        )
    assert len(again.imported) == 0 and len(again.duplicates) == 197 and len(again.failed) == 3
    assert _counts(catalog) == (photos, events, files)


def test_bad_csv_stops_before_anything_is_written(catalog: Catalog, tmp_path: Path, make_scan) -> None:  # type: ignore[no-untyped-def]
    scan = tmp_path / "a.png"
    scan.write_bytes(make_scan(1))
    bad = tmp_path / "meta.csv"
    bad.write_text("filename,titel\na.png,Typo in the header\n", encoding="utf-8")
    with catalog.session() as session:
        actor = db.get_local_user(session=session)
        with pytest.raises(InvalidInput, match="unknown column 'titel'"):
            db.import_paths(
                session=session, store=catalog.store, settings=catalog.settings, actor=actor, paths=[scan],
                metadata_csv=bad,
            )
    assert _counts(catalog)[0] == 0 and _counts(catalog)[2] == 0


def test_unknown_era_fails_only_that_file(catalog: Catalog, tmp_path: Path, make_scan) -> None:  # type: ignore[no-untyped-def]
    for seed in range(3):
        (tmp_path / f"s{seed}.png").write_bytes(make_scan(seed))
    meta = tmp_path / "meta.csv"
    meta.write_text("filename;era;year_from\ns0.png;Korean War;1951\ns1.png;Atlantis;1951\ns2.png;;19x1\n", encoding="utf-8")
    with catalog.session() as session:
        actor = db.get_local_user(session=session)
        report = db.import_paths(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor,
            paths=[tmp_path / f"s{seed}.png" for seed in range(3)] + [tmp_path / "missing.png"], metadata_csv=meta,
            defaults={"event": "Portrait"},
        )
    messages = {Path(outcome.source).name: (outcome.status, outcome.message) for outcome in report.outcomes}
    assert messages["s0.png"][0] == "imported"
    assert messages["s1.png"] == ("failed", "unknown era 'Atlantis' (add it to the era vocabulary first)")
    assert messages["s2.png"] == ("failed", "year_from '19x1' is not a year")
    assert messages["missing.png"] == ("failed", "file not found")
    with catalog.read_session() as session:
        photos = session.scalars(select(db.Photo)).all()
        assert [(photo.original_filename, photo.era_name, photo.event_name) for photo in photos] == [
            ("s0.png", "Korean War", "Portrait")
        ]
        assert session.scalar(select(func.count()).select_from(db.PhotoTag)) == 0
    assert len(list(catalog.store.iter_keys())) == 1  # nothing half-written for the failed files


def test_import_bytes_from_an_upload(catalog: Catalog, make_scan) -> None:  # type: ignore[no-untyped-def]
    data = make_scan(7)
    with catalog.session() as session:
        actor = db.get_local_user(session=session)
        first = db.import_bytes(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor, filename="C:\\scans\\up.png",
            data=data, metadata={"title": "Upload", "era": "Liberation"},
        )
        second = db.import_bytes(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor, filename="again.png", data=data
        )
        broken = db.import_bytes(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor, filename="x.png", data=b"\x89PNG"
        )
    assert first.status == "imported" and first.photo_id is not None
    assert second.status == "duplicate" and second.photo_id == first.photo_id and "up.png" in second.message
    assert broken.status == "failed"
    with catalog.read_session() as session:
        photo = db.get_photo(session=session, photo_id=first.photo_id)
        assert photo is not None and photo.original_filename == "up.png" and photo.era_name == "Liberation"
        events = db.list_audit_events(session=session, entity_type="photo", entity_id=photo.id)
        assert [event.action for event in events] == ["photo.import"]


def test_upload_size_limit(catalog: Catalog, make_scan) -> None:  # type: ignore[no-untyped-def]
    settings = catalog.settings.with_changes(max_upload_bytes=100)
    with catalog.session() as session:
        actor = db.get_local_user(session=session)
        outcome = db.import_bytes(
            session=session, store=catalog.store, settings=settings, actor=actor, filename="big.png", data=make_scan(1)
        )
    assert outcome.status == "failed" and "limit" in outcome.message


def test_viewers_cannot_import(catalog: Catalog, catalog_users: dict[str, db.User], make_scan) -> None:  # type: ignore[no-untyped-def]
    with catalog.session() as session:
        with pytest.raises(PermissionDenied):
            db.import_bytes(
                session=session, store=catalog.store, settings=catalog.settings, actor=catalog_users["viewer"],
                filename="a.png", data=make_scan(1),
            )


# ----------------------------------------------------------------------------- metadata CSV as spreadsheets write it

LIBERTY = 'x.jpg,"The ""Liberty"" bell, Philadelphia",Philadelphia'


@pytest.mark.parametrize(
    "name,data",
    [
        ("issue example", f"filename,title,place\n{LIBERTY}\n".encode()),
        ("Excel UTF-8, semicolons, BOM, CRLF",
         '\ufefffilename;title;place\r\nx.jpg;"The ""Liberty"" bell, Philadelphia";Philadelphia\r\n'.encode("utf-8")),
        ("LibreOffice, line break in a quoted field",
         b'filename,title,place\nx.jpg,"The ""Liberty"" bell, Philadelphia",Philadelphia\ny.jpg,"two\nlines",Busan\n'),
        ("tab separated", b'filename\ttitle\tplace\nx.jpg\t"The ""Liberty"" bell, Philadelphia"\tPhiladelphia\n'),
        ("Excel trailing empty cells", f"filename,title,place,,\n{LIBERTY},,\n".encode()),
        ("a comma-only header row, quoted", f'"filename","title","place"\n{LIBERTY}\n'.encode()),
    ],
)
def test_metadata_csv_is_read_as_rfc_4180(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / "meta.csv"
    path.write_bytes(data)
    rows = db.ingest.read_metadata_csv(path)
    assert rows["x.jpg"] == {"title": 'The "Liberty" bell, Philadelphia', "place": "Philadelphia"}, name
    if "y.jpg" in rows:
        assert rows["y.jpg"]["title"] == "two\nlines"


@pytest.mark.parametrize(
    "data,detail",
    [
        ("filename,title,place\nx.jpg,The Liberty bell, Philadelphia,Philadelphia\n", "line 2 has 4"),  # unquoted comma
        ("filename,title,place\na.jpg,A,Seoul\nx.jpg,Only a title\n", "line 3 has 2"),  # a column dropped
        ("filename;title;place\na.jpg;A;Seoul;Busan\n", "line 2 has 4"),
    ],
)
def test_rows_whose_field_count_differs_from_the_header_stop_the_import(
    catalog: Catalog, tmp_path: Path, make_scan, data: str, detail: str  # type: ignore[no-untyped-def]
) -> None:
    scan = tmp_path / "a.jpg"
    scan.write_bytes(make_scan(3))
    meta = tmp_path / "meta.csv"
    meta.write_text(data, encoding="utf-8")
    with catalog.session() as session:
        with pytest.raises(InvalidInput) as excinfo:
            db.import_paths(
                session=session, store=catalog.store, settings=catalog.settings,
                actor=db.get_local_user(session=session), paths=[scan], metadata_csv=meta,
            )  # fmt: skip
    message = str(excinfo.value)
    assert detail in message and "header's 3" in message and "double quotes" in message and "\n" not in message
    assert _counts(catalog)[0] == 0 and _counts(catalog)[2] == 0


def test_malformed_quoting_is_one_clear_error(tmp_path: Path) -> None:
    meta = tmp_path / "meta.csv"
    meta.write_text('filename,title\nx.jpg,"The "Liberty" bell"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"line 2: not valid CSV"):
        db.ingest.read_metadata_csv(meta)


# ----------------------------------------------------------------------------- symbolic links inside a folder


def test_symbolic_links_inside_a_folder_are_skipped_with_a_warning(
    catalog: Catalog, tmp_path: Path, make_scan, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.png").write_bytes(make_scan(1))
    (outside / "inner.png").write_bytes(make_scan(2))
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "scan.png").write_bytes(make_scan(3))
    (folder / "link.png").symlink_to(outside / "private.png")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    with catalog.session() as session:
        with caplog.at_level("WARNING", logger="db.ingest"):
            report = db.import_paths(
                session=session, store=catalog.store, settings=catalog.settings,
                actor=db.get_local_user(session=session), paths=[folder],
            )  # fmt: skip
    assert [Path(outcome.source).name for outcome in report.outcomes] == ["scan.png"]
    assert len(report.imported) == 1 and _counts(catalog)[0] == 1
    warned = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("link.png" in message and "symbolic link" in message for message in warned), warned
    assert any("linked-folder" in message and "symbolic link" in message for message in warned), warned
    with catalog.session() as session:  # a link named explicitly is the user's choice, and is followed
        report = db.import_paths(
            session=session, store=catalog.store, settings=catalog.settings,
            actor=db.get_local_user(session=session), paths=[folder / "link.png"],
        )  # fmt: skip
    assert len(report.imported) == 1
