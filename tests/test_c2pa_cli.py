"""`findcolor c2pa init`, a signed `findcolor export`, and `findcolor c2pa verify` on files, zips and bags."""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

import db
from findcolor.cli import main


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: db.Settings) -> db.Settings:
    monkeypatch.setenv("FINDCOLOR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FINDCOLOR_DATABASE_URL", settings.database_url)
    for name in ("USER", "PASSWORD", "C2PA_CERT", "C2PA_KEY", "C2PA_TRUST_ANCHORS"):
        monkeypatch.delenv(f"FINDCOLOR_{name}", raising=False)
    return settings


def _approve_one(settings: db.Settings, make_scan, make_colorized) -> None:  # type: ignore[no-untyped-def]
    catalog = db.open_catalog(settings)
    try:
        with catalog.session() as session:
            me = db.get_local_user(session=session)
            outcome = db.import_bytes(
                session=session, store=catalog.store, settings=catalog.settings, actor=me, filename="pier.png",
                data=make_scan(3), metadata={"title": "Pier", "era": "Korean War"},
            )  # fmt: skip
            candidate = db.create_colorization(
                session=session, store=catalog.store, settings=catalog.settings, actor=me, photo_id=outcome.photo_id,
                hints={"version": 1, "points": [{"x": 4, "y": 4, "color": "#a03020"}]}, engine="classical",
                output_png=make_colorized(48, 32), provenance_note="paint from the harbour office's 1952 order book",
            )  # fmt: skip
            db.approve_colorization(session=session, settings=catalog.settings, actor=me, colorization_id=candidate.id)
    finally:
        catalog.close()


def test_init_export_and_verify(
    cli_env: db.Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_scan, make_colorized, capsys  # type: ignore[no-untyped-def]
) -> None:
    assert main(["c2pa", "init"]) == 0
    out = capsys.readouterr().out
    folder = cli_env.data_dir / "c2pa"
    assert "LOCAL TEST credentials" in out and f"FINDCOLOR_C2PA_CERT={folder / 'signer.pem'}" in out
    signer = x509.load_pem_x509_certificates((folder / "signer.pem").read_bytes())[0]
    assert signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert signer.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert stat.S_IMODE(os.stat(folder / "signer.key").st_mode) == 0o600
    assert main(["c2pa", "init"]) == 2  # never overwrites silently
    assert "--force" in capsys.readouterr().err

    _approve_one(cli_env, make_scan, make_colorized)
    monkeypatch.setenv("FINDCOLOR_C2PA_CERT", str(folder / "signer.pem"))
    monkeypatch.setenv("FINDCOLOR_C2PA_KEY", str(folder / "signer.key"))
    out_zip = tmp_path / "out.zip"
    assert main(["export", "-o", str(out_zip), "--iiif-base-url", "https://archive.example/bag/"]) == 0
    out = capsys.readouterr().out
    assert "content credentials: C2PA content credentials signed by" in out and "Find Color signer (local test)" in out
    zip_sha256 = hashlib.sha256(out_zip.read_bytes()).hexdigest()
    assert f"sha256 of the zip: {zip_sha256}" in out

    assert main(["c2pa", "verify", str(out_zip)]) == 0
    out = capsys.readouterr().out
    assert "credentials valid, signer NOT trusted" in out and "parent ingredient: original.png" in out
    assert "digital source type compositeWithTrainedAlgorithmicMedia" in out and "bag checksums: valid" in out
    assert "1 with valid credentials, 0 from a trusted signer" in out
    assert main(["c2pa", "verify", str(out_zip), "--require-trusted"]) == 1
    capsys.readouterr()
    monkeypatch.setenv("FINDCOLOR_C2PA_TRUST_ANCHORS", str(folder / "local-ca.pem"))
    assert main(["c2pa", "verify", str(out_zip), "--require-trusted"]) == 0
    out = capsys.readouterr().out
    assert "credentials valid, signer trusted" in out and "1 from a trusted signer" in out

    with zipfile.ZipFile(out_zip) as archive:
        archive.extractall(tmp_path / "bag")
        (image_name,) = [name for name in archive.namelist() if name.endswith("/colorized.png")]
    image = tmp_path / "bag" / image_name
    assert main(["c2pa", "verify", str(image)]) == 0
    out = capsys.readouterr().out
    assert "paint from the harbour office's 1952 order book" in out
    data = bytearray(image.read_bytes())
    data[-30] ^= 0xFF  # inside the last chunks of the file
    image.write_bytes(bytes(data))
    assert main(["c2pa", "verify", str(image.parents[2])]) == 1  # the unpacked bag
    out = capsys.readouterr().out
    assert "credentials INVALID" in out and "assertion.dataHash.mismatch" in out
    assert "bag checksums: " in out and "bag checksums: valid" not in out  # the bag flags it too

    catalog = db.open_catalog(cli_env)
    try:
        with catalog.read_session() as session:
            (event,) = db.list_audit_events(session=session, entity_type="export")
    finally:
        catalog.close()
    assert event.username == "local" and event.details["sha256"] == zip_sha256 and event.details["signed"] == 1
    assert event.details["iiif_base_url"] == "https://archive.example/bag/" and event.details["era"] is None


def test_half_configured_credentials_stop_the_export_before_any_work(
    cli_env: db.Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_scan, make_colorized, capsys  # type: ignore[no-untyped-def]
) -> None:
    _approve_one(cli_env, make_scan, make_colorized)
    monkeypatch.setenv("FINDCOLOR_C2PA_CERT", str(tmp_path / "signer.pem"))
    assert main(["export", "-o", str(tmp_path / "out.zip")]) == 2
    err = capsys.readouterr().err
    assert "FINDCOLOR_C2PA_KEY is not set" in err and err.count("\n") == 1
    assert not (tmp_path / "out.zip").exists()


def test_export_without_credentials_says_so_and_verify_fails(
    cli_env: db.Settings, tmp_path: Path, make_scan, make_colorized, capsys  # type: ignore[no-untyped-def]
) -> None:
    _approve_one(cli_env, make_scan, make_colorized)
    assert main(["export", "-o", str(tmp_path / "out.zip")]) == 0
    assert "content credentials: no C2PA content credentials added" in capsys.readouterr().out
    assert main(["c2pa", "verify", str(tmp_path / "out.zip")]) == 1
    out = capsys.readouterr().out
    assert "NO content credentials" in out and "0 with valid credentials" in out
