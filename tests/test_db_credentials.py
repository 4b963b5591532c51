"""Signing credentials: the local test CA C2PA accepts, and clear refusals of certificates it would reject."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

import db
from db.credentials import (
    ColorizationClaim,
    ContentSigner,
    create_local_authority,
    credentials_from_settings,
    load_signing_credentials,
    load_trust_anchors,
    read_credentials,
)
from db.errors import InvalidInput


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _certificate(key, *, issuer_key=None, issuer_name=None, ca=False, digital_signature=True, usages=(ExtendedKeyUsageOID.EMAIL_PROTECTION,)):  # type: ignore[no-untyped-def]
    """A certificate like the ones archives are handed (openssl-style), with the given properties."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test signer")])
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                     encipher_only=False, decipher_only=False), critical=True)
    )  # fmt: skip
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def test_local_authority_issues_a_signer_c2pa_accepts_and_is_not_overwritten(tmp_path: Path) -> None:
    authority = create_local_authority(tmp_path / "c2pa", organization="City archive")
    chain = x509.load_pem_x509_certificates(authority.signer_certificate.read_bytes())
    ca = x509.load_pem_x509_certificate(authority.ca_certificate.read_bytes())
    assert chain[0].issuer == ca.subject and chain[1] == ca  # the chain names its CA
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert "City archive" in authority.signer and "local test" in authority.signer
    credentials = load_signing_credentials(authority.signer_certificate, authority.signer_key)
    assert credentials.algorithm == "es256" and credentials.expires > datetime.now(timezone.utc) + timedelta(days=700)
    with pytest.raises(InvalidInput, match="--force"):
        create_local_authority(tmp_path / "c2pa")
    assert authority.signer_certificate.read_bytes() == b"".join(_pem(c) for c in chain)  # untouched
    replaced = create_local_authority(tmp_path / "c2pa", force=True)
    assert replaced.ca_certificate.read_bytes() != _pem(ca)


def _write(tmp_path: Path, certificate_chain: bytes, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    cert, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(certificate_chain)
    key_path.write_bytes(_key_pem(key))
    return cert, key_path


def test_certificates_c2pa_would_reject_are_refused_with_the_reason(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidInput, match="self-signed"):  # what 'openssl req -x509' makes
        load_signing_credentials(*_write(tmp_path, _pem(_certificate(key)), key))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    cases = {
        "CA:true": dict(ca=True),
        "digitalSignature": dict(digital_signature=False),
        "extended key usage": dict(usages=()),
        "anyExtendedKeyUsage": dict(usages=(ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE)),
    }
    for reason, properties in cases.items():
        issued = _certificate(key, issuer_key=ca_key, issuer_name=ca_name, **properties)
        with pytest.raises(InvalidInput, match=reason):
            load_signing_credentials(*_write(tmp_path, _pem(issued), key))
    good = _certificate(key, issuer_key=ca_key, issuer_name=ca_name)
    assert load_signing_credentials(*_write(tmp_path, _pem(good), key)).algorithm == "es256"
    with pytest.raises(InvalidInput, match="not the key"):
        load_signing_credentials(*_write(tmp_path, _pem(good), ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(InvalidInput, match="not a PEM certificate"):
        load_signing_credentials(*_write(tmp_path, b"garbage", key))
    with pytest.raises(InvalidInput, match="cannot read"):
        load_signing_credentials(tmp_path / "missing.pem", tmp_path / "key.pem")


def test_settings_need_both_certificate_and_key(tmp_path: Path) -> None:
    authority = create_local_authority(tmp_path / "c2pa")
    assert credentials_from_settings(db.load_settings({}, data_dir=tmp_path)) is None
    half = db.load_settings({"FINDCOLOR_C2PA_KEY": str(authority.signer_key)}, data_dir=tmp_path)
    with pytest.raises(InvalidInput, match="FINDCOLOR_C2PA_CERT is not set"):
        credentials_from_settings(half)
    both = db.load_settings(
        {"FINDCOLOR_C2PA_CERT": str(authority.signer_certificate), "FINDCOLOR_C2PA_KEY": str(authority.signer_key),
         "FINDCOLOR_C2PA_TRUST_ANCHORS": str(authority.ca_certificate)}, data_dir=tmp_path,
    )  # fmt: skip
    assert credentials_from_settings(both).signer == authority.signer
    assert load_trust_anchors(both.c2pa_trust_anchors) == authority.ca_certificate.read_bytes()


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("fmt,mime", [("TIFF", "image/tiff"), ("JPEG", "image/jpeg"), ("BMP", "image/bmp")])
def test_any_imported_scan_format_can_be_the_parent_ingredient(tmp_path: Path, fmt: str, mime: str) -> None:
    authority = create_local_authority(tmp_path / "c2pa")
    scan = tmp_path / f"original.{fmt.lower()}"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (24, 40), dtype=np.uint8)).save(scan, format=fmt)
    claim = ColorizationClaim(
        title="t", software_version="1", engine="classical", model_name="", model_version="", weights_sha256=None,
        parameters={}, hints={}, hints_sha256="0" * 64, hints_file="hints.json", original_title=scan.name,
        original_sha256="1" * 64, original_format=mime, provenance_note="", curator="a", created_at="", reviewer="b",
        approved_at="", review_note="", colorization_id=1, photo_id=1, identifier="",
    )  # fmt: skip
    signer = ContentSigner(load_signing_credentials(authority.signer_certificate, authority.signer_key), generator_version="1")
    signed = signer.sign_png(_png(np.zeros((24, 40, 3), dtype=np.uint8)), claim=claim, original=scan)
    report = read_credentials(signed, trust_anchors=authority.ca_certificate.read_bytes())
    assert report.trusted and report.parent is not None and report.parent["title"] == scan.name
    assert report.parent_sha256 == "1" * 64
