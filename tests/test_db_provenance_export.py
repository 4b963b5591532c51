"""Provenance that travels with the exported file: C2PA content credentials and IIIF manifests.

The signed images are read back with c2pa-python's own Reader (not through db.credentials),
and the IIIF documents are validated with iiif-prezi3's Presentation 3 models.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import bagit
import c2pa
import numpy as np
import pytest
from iiif_prezi3 import Collection, Manifest
from PIL import Image
from pydantic import ValidationError

import db
from db.catalog import Catalog
from db.credentials import LocalAuthority, create_local_authority, load_signing_credentials, verify_path
from db.errors import InvalidInput
from db.xmp import DIGITAL_SOURCE_TYPE, build_xmp_packet, embed_xmp_png, Disclosure

WEIGHTS = "ab" * 32
HINTS = {"version": 1, "points": [{"x": 5, "y": 6, "color": "#a03020", "radius": 2}],
         "strokes": [{"path": [[1, 1], [20, 9]], "color": "#204080", "width": 3}]}  # fmt: skip
BASE = "https://archive.example.org/iiif/export-1/"


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> LocalAuthority:
    return create_local_authority(tmp_path_factory.mktemp("c2pa"))


def _tiff(seed: int, width: int, height: int) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 65535, size=(height, width), dtype=np.uint16)).save(buffer, format="TIFF")
    return buffer.getvalue()


@pytest.fixture
def approved(catalog: Catalog, catalog_users, make_scan, make_colorized) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Two approved colorizations: a PNG scan (1000x600, so it gets fixed-size copies) and a 16-bit TIFF scan."""
    curator, reviewer = catalog_users["curator"], catalog_users["reviewer"]
    ids: dict[str, int] = {}
    scans = {
        "harbour": ("harbour.png", make_scan(1, 1000, 600), (1000, 600), "https://rightsstatements.org/vocab/NoC-US/1.0/"),
        "school": ("school.tif", _tiff(2, 64, 40), (64, 40), "Courtesy of the city archive"),
    }
    with catalog.session() as session:
        for key, (filename, data, (width, height), rights) in scans.items():
            outcome = db.import_bytes(
                session=session, store=catalog.store, settings=catalog.settings, actor=curator, filename=filename,
                data=data, metadata={"title": f"Photo {key}", "era": "Korean War", "event": "War", "place": "Busan",
                                     "identifier": f"ACC/{key}", "rights": rights, "date_text": "1951",
                                     "year_from": 1951, "year_to": 1951},
            )  # fmt: skip
            assert outcome.status == "imported", outcome.message
            candidate = db.create_colorization(
                session=session, store=catalog.store, settings=catalog.settings, actor=curator,
                photo_id=outcome.photo_id, hints=HINTS, engine="neural", output_png=make_colorized(width, height),
                model_name="findcolor-hintnet", model_version="2.0", weights_sha256=WEIGHTS,
                parameters={"working_side": 768}, provenance_note=f"{key}: colours from the 1950 harbour survey",
            )  # fmt: skip
            db.approve_colorization(session=session, settings=catalog.settings, actor=reviewer,
                                    colorization_id=candidate.id, note="checked against plate 12")  # fmt: skip
            ids[key], ids[f"{key}_colorization"] = outcome.photo_id, candidate.id
    return ids


def _export(catalog: Catalog, out: Path, **kwargs: Any) -> tuple[db.ExportReport, Path]:
    with catalog.read_session() as session:
        report = db.export_bag(session=session, store=catalog.store, out_path=out, **kwargs)
    with zipfile.ZipFile(report.path) as archive:
        archive.extractall(out.parent / "unzipped")
    (bag_dir,) = list((out.parent / "unzipped").iterdir())
    return report, bag_dir


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(data: bytes, anchors: bytes | None = None) -> tuple[str, dict[str, Any]]:
    """c2pa-python's Reader, on its own: (validation state, active manifest)."""
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False}}
    if anchors is not None:
        settings["trust"] = {"trust_anchors": anchors.decode()}
    with c2pa.Context.from_dict(settings) as context, c2pa.Reader("image/png", io.BytesIO(data), context=context) as reader:
        store = json.loads(reader.json())
        return reader.get_validation_state(), store["manifests"][store["active_manifest"]]


def _records(bag_dir: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((bag_dir / "data" / "metadata.json").read_text(encoding="utf-8"))
    return {record["photo"]["title"]: record for record in document["photos"]}


def test_signed_export_carries_valid_trusted_credentials(
    catalog: Catalog, approved: dict[str, int], authority: LocalAuthority, tmp_path: Path
) -> None:
    credentials = load_signing_credentials(authority.signer_certificate, authority.signer_key)
    report, bag_dir = _export(catalog, tmp_path / "export.zip", credentials=credentials)
    assert report.signed == 2 and "signed by" in report.credentials and report.signing_seconds > 0
    assert report.sha256 == _sha256(report.path)
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    manifest = {path: digests["sha256"] for path, digests in bag.entries.items()}
    anchors = authority.ca_certificate.read_bytes()
    records = _records(bag_dir)
    with catalog.read_session() as session:
        for key in ("harbour", "school"):
            photo = db.get_photo(session=session, photo_id=approved[key])
            colorization = db.get_colorization(session=session, colorization_id=approved[f"{key}_colorization"])
            files = records[photo.title]["files"]
            signed = (bag_dir / files["colorized"]["path"]).read_bytes()
            # the bag's checksums cover the signed file
            assert manifest[files["colorized"]["path"]] == hashlib.sha256(signed).hexdigest() == files["colorized"]["sha256"]

            state, active = _read(signed)
            assert state == "Valid"  # a locally made signer: valid, not trusted
            state, active = _read(signed, anchors)
            assert state == "Trusted"
            (parent,) = [item for item in active["ingredients"] if item["relationship"] == "parentOf"]
            original = bag_dir / files["original"]["path"]
            assert parent["title"] == original.name
            assert parent["metadata"]["org.findcolor.sha256"] == photo.sha256 == _sha256(original)
            assert manifest[files["original"]["path"]] == photo.sha256
            assertions = {assertion["label"]: assertion["data"] for assertion in active["assertions"]}
            actions = assertions["c2pa.actions.v2"]["actions"]
            assert [action["action"] for action in actions] == ["c2pa.opened", "c2pa.edited"]
            assert actions[1]["digitalSourceType"] == DIGITAL_SOURCE_TYPE
            agent = actions[1]["softwareAgent"]
            assert agent["name"] == "Find Color" and agent["version"] == colorization.software_version
            assert agent["model"] == "findcolor-hintnet 2.0" and agent["weights_sha256"] == WEIGHTS
            assert actions[1]["parameters"]["model"] == {"name": "findcolor-hintnet", "version": "2.0", "weights_sha256": WEIGHTS}
            ours = assertions["org.findcolor.colorization"]
            hints_file = bag_dir / files["hints"]["path"]
            assert ours["hints_sha256"] == _sha256(hints_file) == manifest[files["hints"]["path"]] == files["hints"]["sha256"]
            assert ours["hints"] == json.loads(hints_file.read_text(encoding="utf-8")) == colorization.hints
            assert ours["model"]["weights_sha256"] == WEIGHTS
            assert ours["curator"] == "curator" and ours["reviewer"] == "reviewer"
            assert ours["approved_at"].startswith(str(colorization.reviewed_at.year))
            assert ours["provenance_note"] == colorization.provenance_note
            # the XMP written before signing is still there, and the pixels are the stored output's
            assert db.read_xmp(signed)["DigitalSourceType"] == DIGITAL_SOURCE_TYPE
            with Image.open(io.BytesIO(signed)) as image, Image.open(catalog.store.path(colorization.output_sha256)) as stored:
                assert np.array_equal(np.asarray(image), np.asarray(stored))
    verified = verify_path(report.path, trust_anchors=anchors)
    assert verified.ok and verified.all_trusted and len(verified.reports) == 2


def _idat_offset(png: bytes) -> int:
    """Offset of the first byte of pixel data (inside the first IDAT chunk)."""
    position = 8
    while True:
        (length,) = struct.unpack(">I", png[position : position + 4])
        if png[position + 4 : position + 8] == b"IDAT":
            return position + 8 + length // 2
        position += 12 + length


def test_one_altered_byte_or_a_later_xmp_edit_breaks_the_credentials(
    catalog: Catalog, approved: dict[str, int], authority: LocalAuthority, tmp_path: Path
) -> None:
    credentials = load_signing_credentials(authority.signer_certificate, authority.signer_key)
    _, bag_dir = _export(catalog, tmp_path / "export.zip", credentials=credentials)
    anchors = authority.ca_certificate.read_bytes()
    path = bag_dir / _records(bag_dir)["Photo harbour"]["files"]["colorized"]["path"]
    signed = path.read_bytes()
    assert _read(signed, anchors)[0] == "Trusted"

    altered = bytearray(signed)
    altered[_idat_offset(signed)] ^= 0x01  # one bit of the image data
    assert _read(bytes(altered), anchors)[0] == "Invalid"

    # editing the XMP after signing (here: a changed description) invalidates them too
    relabelled = embed_xmp_png(signed, build_xmp_packet(Disclosure(ai_system="x", ai_system_version="y", description="edited later", source="z")))
    assert _read(relabelled, anchors)[0] == "Invalid"

    path.write_bytes(bytes(altered))
    result = verify_path(bag_dir, trust_anchors=anchors)
    assert not result.ok
    (broken,) = [report for report in result.reports if not report.valid]
    assert broken.name.endswith("colorized.png") and broken.state == "Invalid"
    assert result.bag_problems  # the bag's checksum of the file no longer matches either


def test_export_without_a_certificate_says_credentials_were_not_added(
    catalog: Catalog, approved: dict[str, int], tmp_path: Path
) -> None:
    report, bag_dir = _export(catalog, tmp_path / "export.zip")
    assert report.signed == 0 and "no C2PA content credentials added" in report.credentials
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert "no C2PA content credentials added" in bag.info["Content-Credentials"]
    document = json.loads((bag_dir / "data" / "metadata.json").read_text(encoding="utf-8"))
    assert "no C2PA content credentials added" in document["export"]["content_credentials"]
    for record in document["photos"]:
        assert record["files"]["colorized"]["content_credentials"] == {"signed": False}
        data = (bag_dir / record["files"]["colorized"]["path"]).read_bytes()
        assert c2pa.Reader.try_create("image/png", io.BytesIO(data)) is None
        assert db.read_xmp(data)["DigitalSourceType"] == DIGITAL_SOURCE_TYPE  # the XMP disclosure is still there
        iiif = json.loads((bag_dir / "data" / Path(record["files"]["colorized"]["path"]).parent.name / "manifest.json").read_text())
        labels = {entry["label"]["en"][0]: entry["value"]["none"][0] for entry in iiif["metadata"]}
        assert labels["Content credentials (C2PA)"].startswith("not added")
    result = verify_path(report.path)
    assert not result.ok and all(not item.present for item in result.reports)


def _bag_path(identifier: str, base: str) -> str:
    assert identifier.startswith(base), identifier
    return identifier[len(base) :].split("#", 1)[0]


def test_iiif_manifests_validate_and_point_at_files_in_the_bag(
    catalog: Catalog, approved: dict[str, int], tmp_path: Path
) -> None:
    report, bag_dir = _export(catalog, tmp_path / "export.zip", iiif_base_url=BASE.rstrip("/"))
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    manifest_sha = {path: digests["sha256"] for path, digests in bag.entries.items()}
    records = _records(bag_dir)
    collection = json.loads((bag_dir / "data" / "collection.json").read_text(encoding="utf-8"))
    Collection(**collection)  # iiif-prezi3 validates the whole document
    assert collection["id"] == BASE + "data/collection.json" and len(collection["items"]) == report.photos == 2
    assert bag.info["IIIF-Collection"] == collection["id"]
    with catalog.read_session() as session:
        for item in collection["items"]:
            path = bag_dir / _bag_path(item["id"], BASE)
            document = json.loads(path.read_text(encoding="utf-8"))
            Manifest(**document)  # iiif-prezi3 validates the whole document
            assert document["@context"] == "http://iiif.io/api/presentation/3/context.json"
            assert document["id"] == item["id"] and document["partOf"][0]["id"] == collection["id"]
            photo_title = document["items"][0]["label"]["none"][0]
            record = records[photo_title]
            photo = db.get_photo(session=session, photo_id=record["photo"]["id"])
            (canvas,) = document["items"]
            assert (canvas["width"], canvas["height"]) == (photo.width, photo.height)
            (page,) = canvas["items"]
            (painting,) = page["items"]
            assert painting["motivation"] == "painting" and painting["target"] == canvas["id"]
            choice = painting["body"]
            assert choice["type"] == "Choice" and len(choice["items"]) == 2
            colorized, original = choice["items"]
            assert "colorization" in colorized["label"]["en"][0] and "Original" in original["label"]["en"][0]
            assert _bag_path(colorized["id"], BASE) == record["files"]["colorized"]["path"]
            assert _bag_path(original["id"], BASE) == record["files"]["original"]["path"]
            for body in (colorized, original):
                file_path = _bag_path(body["id"], BASE)
                assert manifest_sha[file_path] == _sha256(bag_dir / file_path)
                service = body["service"][0]
                info = json.loads((bag_dir / _bag_path(service["id"], BASE) / "info.json").read_text())
                assert info["profile"] == "level0" and (info["width"], info["height"]) == (photo.width, photo.height)
                for size in info["sizes"]:
                    copy = bag_dir / _bag_path(service["id"], BASE) / "full" / f"{size['width']},{size['height']}" / "0" / "default.jpg"
                    with Image.open(copy) as image:
                        assert image.size == (size["width"], size["height"])
                with Image.open(bag_dir / _bag_path(service["id"], BASE) / "full" / "max" / "0" / "default.jpg") as image:
                    assert image.size == (photo.width, photo.height)
            with Image.open(bag_dir / _bag_path(document["thumbnail"][0]["id"], BASE)) as thumbnail:
                assert max(thumbnail.size) == (200 if max(photo.width, photo.height) > 200 else max(photo.width, photo.height))
            metadata = {entry["label"]["en"][0]: entry["value"]["none"][0] for entry in document["metadata"]}
            assert metadata["Era"] == "Korean War" and metadata["Event"] == "War" and metadata["Place"] == "Busan"
            assert metadata["Identifier"] == photo.identifier and metadata["Date"] == "1951"
            assert record["colorization"]["provenance_note"] in document["requiredStatement"]["value"]["en"][0]
            assert "Colorized derivative" in document["requiredStatement"]["value"]["en"][0]
            if photo.rights.startswith("https://rightsstatements.org/"):
                assert document["rights"] == photo.rights
            else:
                assert "rights" not in document and metadata["Rights"] == photo.rights
            assert document["navDate"].startswith("1951-")
            see_also = {_bag_path(entry["id"], BASE) for entry in document["seeAlso"]}
            assert see_also == {"data/metadata.json", record["files"]["hints"]["path"]}
            assert all((bag_dir / path).is_file() for path in see_also)
            assert document["provider"][0]["type"] == "Agent"

    broken = json.loads((bag_dir / _bag_path(collection["items"][0]["id"], BASE)).read_text())
    del broken["label"]
    with pytest.raises(ValidationError):  # the validator does reject a manifest that breaks the model
        Manifest(**broken)


def test_relative_iiif_ids_by_default(catalog: Catalog, approved: dict[str, int], tmp_path: Path) -> None:
    _, bag_dir = _export(catalog, tmp_path / "export.zip")
    collection_text = (bag_dir / "data" / "collection.json").read_text(encoding="utf-8")
    collection = json.loads(collection_text)
    assert collection["id"] == "data/collection.json"
    for item in collection["items"]:
        text = (bag_dir / item["id"]).read_text(encoding="utf-8")
        document = json.loads(text)
        assert all(body["id"].startswith("data/") for body in document["items"][0]["items"][0]["items"][0]["body"]["items"])
        # the same document with the published base in front of every id is valid IIIF
        Manifest(**json.loads(text.replace('"data/', f'"{BASE}data/')))
    Collection(**json.loads(collection_text.replace('"data/', f'"{BASE}data/')))


@pytest.mark.parametrize("url", ["ftp://archive.example/bag/", "archive.example/bag", "https://archive.example/bag/?x=1"])
def test_iiif_base_url_must_be_an_http_url(catalog: Catalog, approved: dict[str, int], tmp_path: Path, url: str) -> None:
    with pytest.raises(InvalidInput, match="iiif-base-url"):
        _export(catalog, tmp_path / "export.zip", iiif_base_url=url)
    assert not (tmp_path / "export.zip").exists()


def test_record_export_keeps_who_filters_count_and_zip_sha256(
    catalog: Catalog, approved: dict[str, int], catalog_users, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    report, _ = _export(catalog, tmp_path / "export.zip", era="Korean War")
    with catalog.session() as session:
        db.record_export(session=session, actor=catalog_users["viewer"], report=report, era="Korean War")
    with catalog.read_session() as session:
        (event,) = db.list_audit_events(session=session, entity_type="export")
    assert event.username == "viewer" and event.action == "export.bag" and event.at is not None
    assert event.details["era"] == "Korean War" and event.details["event"] is None and event.details["photos"] == 2
    assert event.details["sha256"] == _sha256(report.path) and event.details["signed"] == 0
