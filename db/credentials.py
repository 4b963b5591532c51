"""C2PA content credentials on exported colorizations: signing, reading back, a local test CA.

A signed colorization carries a C2PA manifest (``c2pa-python``, offline: no time-stamp
authority, no network) that says, tamper-evidently:

* the original scan is the ``parentOf`` ingredient; its SHA-256 is in the ingredient's
  metadata (``org.findcolor.sha256``), covered by the claim signature;
* ``c2pa.actions.v2``: ``c2pa.opened`` of the scan, then ``c2pa.edited`` with the IPTC digital
  source type ``compositeWithTrainedAlgorithmicMedia`` and ``softwareAgent`` Find Color
  (version, engine, model name and version, weights SHA-256);
* ``org.findcolor.colorization``: the hints exactly as used and their SHA-256 (of the
  ``hints.json`` written beside the image), the provenance note, the curator, the reviewer and
  the approval time.

C2PA accepts only an end-entity signing certificate (``CA:false``, ``keyUsage``
digitalSignature, an extended key usage such as emailProtection or documentSigning) issued by
a CA: :func:`check_signing_certificate` says which rule a certificate breaks before the C2PA
library gives a vaguer error. :func:`create_local_authority` makes such a pair for trying it
out (``findcolor c2pa init``); nobody else trusts it.

Order matters: the XMP packet is written first and the file is signed last; any change after
signing (XMP included) breaks the credentials.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from db.errors import InvalidInput
from db.xmp import DIGITAL_SOURCE_TYPE

if TYPE_CHECKING:
    from db.settings import Settings

ASSERTION_LABEL = "org.findcolor.colorization"  # our own assertion (reverse-domain label, as C2PA asks)
ORIGINAL_SHA256_KEY = "org.findcolor.sha256"  # in the parent ingredient's metadata
INGREDIENT_ID = "original-scan"
LOCAL_DIR = "c2pa"  # under the data folder: what 'findcolor c2pa init' writes
LOCAL_CA_CERT, LOCAL_CA_KEY = "local-ca.pem", "local-ca.key"
LOCAL_SIGNER_CERT, LOCAL_SIGNER_KEY = "signer.pem", "signer.key"

# Extended key usages C2PA accepts for a claim signer (C2PA 2.x, "Certificate profile").
C2PA_CLAIM_SIGNING = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
ACCEPTED_KEY_USAGES = {
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    DOCUMENT_SIGNING: "documentSigning",
    C2PA_CLAIM_SIGNING: "c2pa-kp-claimSigning",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}


@dataclass(frozen=True)
class SigningCredentials:
    """A C2PA signing certificate chain and its key, checked and ready to sign."""

    certificate_chain: bytes  # PEM: the signing certificate first, then any intermediates
    private_key: bytes  # PEM (PKCS#8 or traditional), unencrypted
    algorithm: str  # C2PA signing algorithm: es256, es384, es512, ps256 or ed25519
    signer: str  # the certificate's subject, for reports ("CN=..., O=...")
    expires: datetime  # the certificate's notAfter (UTC)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None


def _load_chain(data: bytes, path: Path) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise InvalidInput(f"{path}: not a PEM certificate file") from None
    return chain


def _algorithm(key: Any, path: Path) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        names = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name not in names:
            raise InvalidInput(f"{path}: elliptic curve {key.curve.name} is not allowed by C2PA (use P-256, P-384 or P-521)")
        return names[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise InvalidInput(f"{path}: key type {type(key).__name__} cannot sign C2PA manifests (use EC P-256, RSA or Ed25519)")


def check_signing_certificate(certificate: x509.Certificate, *, now: datetime | None = None) -> None:
    """Raise :class:`InvalidInput` naming the C2PA rule ``certificate`` breaks as a claim signer."""
    now = now or datetime.now(timezone.utc)
    subject = certificate.subject.rfc4514_string()
    if certificate.issuer == certificate.subject:
        raise InvalidInput(
            f"the signing certificate ({subject}) is self-signed: C2PA needs one issued by a CA "
            "(run 'findcolor c2pa init' for a local test CA and signer)"
        )
    try:
        basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    if basic is not None and basic.ca:
        raise InvalidInput(f"the signing certificate ({subject}) is a CA certificate (CA:true); C2PA needs an end-entity one")
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise InvalidInput(f"the signing certificate ({subject}) has no keyUsage; C2PA needs digitalSignature") from None
    if not usage.digital_signature:
        raise InvalidInput(f"the signing certificate ({subject}) lacks keyUsage digitalSignature")
    try:
        extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        extended = None
    if extended is None or not any(oid in ACCEPTED_KEY_USAGES for oid in extended):
        accepted = ", ".join(ACCEPTED_KEY_USAGES.values())
        raise InvalidInput(f"the signing certificate ({subject}) needs an extended key usage C2PA accepts: {accepted}")
    if ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in extended:
        raise InvalidInput(f"the signing certificate ({subject}) has anyExtendedKeyUsage, which C2PA refuses")
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise InvalidInput(
            f"the signing certificate ({subject}) is valid only from {certificate.not_valid_before_utc:%Y-%m-%d} "
            f"to {certificate.not_valid_after_utc:%Y-%m-%d}"
        )


def load_signing_credentials(cert_path: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> SigningCredentials:
    """Read and check a signing certificate chain (PEM) and its private key (PEM)."""
    cert_path, key_path = Path(cert_path), Path(key_path)
    chain_pem, key_pem = _read(cert_path, "signing certificate"), _read(key_path, "signing key")
    chain = _load_chain(chain_pem, cert_path)
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        reason = "it is encrypted (give an unencrypted key)" if "encrypted" in str(exc).lower() else "not a PEM private key"
        raise InvalidInput(f"{key_path}: cannot load the signing key: {reason}") from None
    algorithm = _algorithm(key, key_path)
    leaf = chain[0]
    if leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise InvalidInput(f"{key_path} is not the key of the first certificate in {cert_path}")
    check_signing_certificate(leaf)
    return SigningCredentials(
        certificate_chain=chain_pem, private_key=key_pem, algorithm=algorithm,
        signer=leaf.subject.rfc4514_string(), expires=leaf.not_valid_after_utc,
    )  # fmt: skip


def credentials_from_settings(settings: Settings) -> SigningCredentials | None:
    """The configured signing credentials, or None when neither FINDCOLOR_C2PA_CERT nor _KEY is set."""
    if settings.c2pa_cert is None and settings.c2pa_key is None:
        return None
    if settings.c2pa_cert is None or settings.c2pa_key is None:
        missing = "FINDCOLOR_C2PA_CERT" if settings.c2pa_cert is None else "FINDCOLOR_C2PA_KEY"
        raise InvalidInput(f"content credentials need both FINDCOLOR_C2PA_CERT and FINDCOLOR_C2PA_KEY; {missing} is not set")
    return load_signing_credentials(settings.c2pa_cert, settings.c2pa_key)


def load_trust_anchors(path: str | os.PathLike[str] | None) -> bytes | None:
    """PEM CA certificates to trust when verifying (checked to be certificates), or None."""
    if path is None:
        return None
    path = Path(path)
    data = _read(path, "trust anchors")
    _load_chain(data, path)
    return data


# ---------------------------------------------------------------------------- local test authority


@dataclass(frozen=True)
class LocalAuthority:
    """What ``findcolor c2pa init`` wrote: a local CA and a signing certificate it issued."""

    directory: Path
    ca_certificate: Path  # the trust anchor to give verifiers
    ca_key: Path  # kept so a new signer can be issued; private
    signer_certificate: Path  # the chain to configure as FINDCOLOR_C2PA_CERT
    signer_key: Path  # FINDCOLOR_C2PA_KEY; private
    signer: str  # subject of the signing certificate
    expires: datetime


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def create_local_authority(
    directory: str | os.PathLike[str],
    *,
    organization: str = "Find Color local archive",
    force: bool = False,
    now: datetime | None = None,
) -> LocalAuthority:
    """Make a local CA (10 years) and a C2PA signing certificate it issues (2 years), EC P-256.

    Refuses to overwrite existing files unless ``force``. Keys are written readable by the owner only.
    """
    directory = Path(directory)
    paths = {name: directory / name for name in (LOCAL_CA_CERT, LOCAL_CA_KEY, LOCAL_SIGNER_CERT, LOCAL_SIGNER_KEY)}
    existing = [str(path) for path in paths.values() if path.exists()]
    if existing and not force:
        raise InvalidInput(f"{directory} already holds C2PA credentials ({', '.join(existing)}); use --force to replace them")
    now = now or datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Find Color local test CA (not trusted by others)", organization)
    ca = _issue_certificate(
        subject=ca_name, key=ca_key, issuer=ca_name, issuer_key=ca_key, now=now, days=3650,
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_key_usage(key_cert_sign=True), True),
        ],
    )  # fmt: skip
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = _issue_certificate(
        subject=_name("Find Color signer (local test)", organization), key=signer_key, issuer=ca_name, issuer_key=ca_key,
        now=now, days=730,
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )  # fmt: skip
    check_signing_certificate(signer, now=now)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _write_private(paths[LOCAL_CA_KEY], _private_pem(ca_key))
        _write_private(paths[LOCAL_SIGNER_KEY], _private_pem(signer_key))
        paths[LOCAL_CA_CERT].write_bytes(_certificate_pem(ca))
        paths[LOCAL_SIGNER_CERT].write_bytes(_certificate_pem(signer) + _certificate_pem(ca))
    except OSError as exc:
        raise InvalidInput(f"{directory}: cannot write the credentials ({exc.strerror or exc})") from None
    return LocalAuthority(
        directory=directory, ca_certificate=paths[LOCAL_CA_CERT], ca_key=paths[LOCAL_CA_KEY],
        signer_certificate=paths[LOCAL_SIGNER_CERT], signer_key=paths[LOCAL_SIGNER_KEY],
        signer=signer.subject.rfc4514_string(), expires=signer.not_valid_after_utc,
    )  # fmt: skip


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])


def _issue_certificate(
    *,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    now: datetime,
    days: int,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    """One X.509 certificate for ``key``, signed by ``issuer_key`` (the same key for a self-signed CA).

    Valid from five minutes before ``now`` (clock skew between machines) for ``days``; every
    certificate carries its subject key identifier, the rest are ``(extension, critical)`` pairs.
    """
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=key_cert_sign,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


# ---------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class ColorizationClaim:
    """What a signed colorization states about itself (plain values, from the catalog records)."""

    title: str  # of the colorized image
    software_version: str  # findcolor version that made it
    engine: str
    model_name: str
    model_version: str
    weights_sha256: str | None
    parameters: dict[str, Any]
    hints: dict[str, Any]  # exactly as used
    hints_sha256: str  # of the hints file in the bag
    hints_file: str  # where that file is, relative to the image
    original_title: str  # file name of the original in the bag
    original_sha256: str
    original_format: str  # MIME type
    provenance_note: str
    curator: str
    created_at: str  # ISO 8601
    reviewer: str
    approved_at: str  # ISO 8601
    review_note: str
    colorization_id: int
    photo_id: int
    identifier: str


def canonical_hints(hints: dict[str, Any]) -> bytes:
    """The hints as the bag's ``hints.json`` holds them (their SHA-256 is the one signed)."""
    return (json.dumps(hints, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def manifest_definition(claim: ColorizationClaim, *, generator_version: str) -> dict[str, Any]:
    """The C2PA manifest definition (c2pa-python's JSON form) for one colorization."""
    model = {"name": claim.model_name, "version": claim.model_version, "weights_sha256": claim.weights_sha256}
    return {
        "claim_generator_info": [{"name": "Find Color", "version": generator_version}],
        "title": claim.title,
        "format": "image/png",
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.opened",
                            "description": "The black-and-white scan, which stays the archival record.",
                            "parameters": {"ingredientIds": [INGREDIENT_ID]},
                        },
                        {
                            "action": "c2pa.edited",
                            "description": (
                                "Colorized with an AI-assisted tool following a curator's colour hints; "
                                "approved in review before export (reviewer and time: org.findcolor.colorization)."
                            ),
                            "digitalSourceType": DIGITAL_SOURCE_TYPE,
                            "softwareAgent": {
                                "name": "Find Color", "version": claim.software_version, "engine": claim.engine,
                                "model": f"{claim.model_name} {claim.model_version}".strip(),
                                "weights_sha256": claim.weights_sha256,
                            },  # fmt: skip
                            "when": claim.created_at or None,
                            "parameters": {
                                "engine": claim.engine, "model": model, "hints_sha256": claim.hints_sha256,
                                "settings": claim.parameters,
                            },  # fmt: skip
                        },
                    ]
                },
            },
            {
                "label": ASSERTION_LABEL,
                "data": {
                    "colorization_id": claim.colorization_id,
                    "photo_id": claim.photo_id,
                    "identifier": claim.identifier,
                    "original_sha256": claim.original_sha256,
                    "engine": claim.engine,
                    "model": model,
                    "software_version": claim.software_version,
                    "hints": claim.hints,
                    "hints_sha256": claim.hints_sha256,
                    "hints_file": claim.hints_file,
                    "provenance_note": claim.provenance_note,
                    "curator": claim.curator,
                    "created_at": claim.created_at,
                    "reviewer": claim.reviewer,
                    "approved_at": claim.approved_at,
                    "review_note": claim.review_note,
                },
            },
        ],
    }


def _ingredient(claim: ColorizationClaim) -> dict[str, Any]:
    return {
        "title": claim.original_title,
        "format": claim.original_format,
        "relationship": "parentOf",
        "label": INGREDIENT_ID,
        "description": "Original black-and-white scan (the archival record), unaltered",
        "metadata": {ORIGINAL_SHA256_KEY: claim.original_sha256},
    }


def _c2pa_settings() -> dict[str, Any]:
    # Offline: never fetch remote manifests or certificate status.
    return {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


class ContentSigner:
    """Signs PNG colorizations with one set of credentials (reused for a whole export)."""

    def __init__(self, credentials: SigningCredentials, *, generator_version: str) -> None:
        self.credentials = credentials
        self.generator_version = generator_version

    def sign_png(self, png: bytes, *, claim: ColorizationClaim, original: str | os.PathLike[str]) -> bytes:
        """``png`` with a C2PA manifest embedded; ``original`` is the scan file (the parent ingredient)."""
        import c2pa  # the native library is loaded only when signing or reading

        definition = manifest_definition(claim, generator_version=self.generator_version)
        info = c2pa.C2paSignerInfo(
            alg=self.credentials.algorithm.encode("ascii"), sign_cert=self.credentials.certificate_chain,
            private_key=self.credentials.private_key, ta_url=None,
        )  # fmt: skip
        output = io.BytesIO()
        try:
            with (
                c2pa.Context.from_dict(_c2pa_settings()) as context,
                c2pa.Signer.from_info(info) as signer,
                c2pa.Builder(definition, context) as builder,
                open(original, "rb") as parent,
            ):
                builder.add_ingredient(_ingredient(claim), claim.original_format, parent)
                builder.sign(signer, "image/png", io.BytesIO(png), output)
        except c2pa.C2paError as exc:
            raise InvalidInput(f"C2PA signing failed: {exc}") from None
        return output.getvalue()


# ---------------------------------------------------------------------------- reading back


@dataclass
class CredentialReport:
    """What one file's content credentials say, and whether they hold."""

    name: str
    state: str  # "Trusted", "Valid", "Invalid" (C2PA validation states) or "absent"
    failures: list[str] = field(default_factory=list)  # "code: explanation"
    signer: str = ""
    issuer: str = ""
    signed_at: str = ""
    generator: str = ""
    title: str = ""
    actions: list[dict[str, Any]] = field(default_factory=list)
    parent: dict[str, Any] | None = None  # the parentOf ingredient as the reader reports it
    findcolor: dict[str, Any] = field(default_factory=dict)  # the org.findcolor.colorization data
    notes: list[str] = field(default_factory=list)  # checks made beyond C2PA (bag, original file)
    problems: list[str] = field(default_factory=list)  # those that failed

    @property
    def present(self) -> bool:
        return self.state != "absent"

    @property
    def valid(self) -> bool:
        return self.state in ("Valid", "Trusted") and not self.problems

    @property
    def trusted(self) -> bool:
        return self.state == "Trusted" and not self.problems

    @property
    def parent_sha256(self) -> str | None:
        return None if self.parent is None else (self.parent.get("metadata") or {}).get(ORIGINAL_SHA256_KEY)

    def verdict(self) -> str:
        if not self.present:
            return "NO content credentials"
        if self.state == "Invalid" or self.problems:
            return "credentials INVALID (the file or its manifest was altered, or a check failed)"
        if self.state == "Trusted":
            return "credentials valid, signer trusted"
        return "credentials valid, signer NOT trusted (no trust anchor vouches for it)"

    def lines(self) -> list[str]:
        lines = [f"{self.name}: {self.verdict()}"]
        if not self.present:
            return lines + [f"  {problem}" for problem in self.problems]
        when = f"; time-stamped {self.signed_at}" if self.signed_at else "; no time stamp"
        lines.append(f"  signed by: {self.signer or '?'}, issued by {self.issuer or '?'}{when}")
        lines.append(f"  claim generator: {self.generator}")
        if self.title:
            lines.append(f"  title: {self.title}")
        for action in self.actions:
            text = f"  action: {action.get('action')}"
            if action.get("digitalSourceType"):
                text += f", digital source type {action['digitalSourceType'].rsplit('/', 1)[-1]}"
            agent = action.get("softwareAgent")
            if isinstance(agent, dict) and agent.get("name"):
                text += f", by {agent['name']} {agent.get('version') or ''}".rstrip()
            lines.append(text)
        if self.parent is not None:
            lines.append(f"  parent ingredient: {self.parent.get('title')} (sha256 {self.parent_sha256 or 'not stated'})")
        data = self.findcolor
        if data:
            model = data.get("model") or {}
            if model.get("name"):
                lines.append(f"  model: {model.get('name')} {model.get('version') or ''}".rstrip()
                             + f", weights sha256 {model.get('weights_sha256') or 'not recorded'}")
            lines.append(f"  engine: {data.get('engine')}, Find Color {data.get('software_version')}")
            lines.append(f"  hints: sha256 {data.get('hints_sha256')} ({data.get('hints_file')})")
            lines.append(
                f"  curator: {data.get('curator')}; reviewer: {data.get('reviewer')}, approved {data.get('approved_at')}"
            )
            if data.get("provenance_note"):
                lines.append(f"  provenance note: {data['provenance_note']}")
        lines += [f"  ok: {note}" for note in self.notes]
        lines += [f"  FAILED: {failure}" for failure in [*self.failures, *self.problems]]
        return lines


def _reader_context(trust_anchors: bytes | None) -> dict[str, Any]:
    settings = _c2pa_settings()
    if trust_anchors is not None:
        settings["trust"] = {"trust_anchors": trust_anchors.decode("ascii")}
    return settings


def read_credentials(
    source: bytes | str | os.PathLike[str], *, name: str = "", trust_anchors: bytes | None = None
) -> CredentialReport:
    """Validate the C2PA manifest of an image (bytes or a path) and summarise its claims."""
    import c2pa

    if isinstance(source, bytes):
        data, mime = source, _sniff(source)
    else:
        path = Path(source)
        name = name or str(path)
        data = _read(path, "image")
        mime = mimetypes.guess_type(path.name)[0] or _sniff(data)
    name = name or "image"
    try:
        with c2pa.Context.from_dict(_reader_context(trust_anchors)) as context:
            reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, context)
            if reader is None:
                return CredentialReport(name=name, state="absent")
            with reader:
                store = json.loads(reader.json())
                state = reader.get_validation_state() or "Invalid"
    except c2pa.C2paError as exc:
        return CredentialReport(name=name, state="Invalid", failures=[f"unreadable manifest: {exc}"])
    return _report(name, store, state)


def _sniff(data: bytes) -> str:
    signatures = {b"\x89PNG": "image/png", b"\xff\xd8": "image/jpeg", b"II*\x00": "image/tiff", b"MM\x00*": "image/tiff"}
    for magic, mime in signatures.items():
        if data.startswith(magic):
            return mime
    return "application/octet-stream"


def _report(name: str, store: dict[str, Any], state: str) -> CredentialReport:
    manifest = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = [f"{item.get('code')}: {item.get('explanation', '')}" for item in results.get("failure", [])]
    # An unknown signer is not tampering: it is reported as "not trusted" instead.
    failures = [failure for failure in failures if not failure.startswith("signingCredential.untrusted")]
    signature = manifest.get("signature_info") or {}
    generator = ", ".join(
        f"{info.get('name', '')} {info.get('version', '')}".strip() for info in manifest.get("claim_generator_info", [])
    )
    actions: list[dict[str, Any]] = []
    findcolor: dict[str, Any] = {}
    for assertion in manifest.get("assertions", []):
        if assertion.get("label", "").startswith("c2pa.actions"):
            actions += assertion.get("data", {}).get("actions", [])
        elif assertion.get("label") == ASSERTION_LABEL:
            findcolor = assertion.get("data", {})
    parents = [item for item in manifest.get("ingredients", []) if item.get("relationship") == "parentOf"]
    return CredentialReport(
        name=name, state=state, failures=failures, signer=signature.get("common_name", ""),
        issuer=signature.get("issuer", ""), signed_at=signature.get("time", ""), generator=generator,
        title=manifest.get("title", ""), actions=actions, parent=parents[0] if parents else None, findcolor=findcolor,
    )  # fmt: skip


# ---------------------------------------------------------------------------- files, bags, zips


@dataclass
class VerifyResult:
    """Every checked image of a file, bag or export zip."""

    reports: list[CredentialReport]
    bag_problems: list[str] = field(default_factory=list)  # from bagit, for a bag or zip
    bag_checked: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.reports) and all(report.valid for report in self.reports) and not self.bag_problems

    @property
    def all_trusted(self) -> bool:
        return self.ok and all(report.trusted for report in self.reports)


@contextmanager
def _opened_bag(path: Path) -> Iterator[Path]:
    """The folder to check: ``path`` itself, or an export zip unpacked to a temporary folder."""
    if path.is_dir():
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="findcolor-verify-"))
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                target = (folder / member.filename).resolve()
                if not target.is_relative_to(folder.resolve()):
                    raise InvalidInput(f"{path}: unsafe path in the zip: {member.filename!r}")
            archive.extractall(folder)
        tops = [child for child in folder.iterdir() if child.is_dir()]
        yield tops[0] if len(tops) == 1 and (tops[0] / "bagit.txt").exists() else folder
    except zipfile.BadZipFile:
        raise InvalidInput(f"{path}: not a zip file") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def verify_path(path: str | os.PathLike[str], *, trust_anchors: bytes | None = None) -> VerifyResult:
    """Check one image, an export bag (folder) or an export zip.

    For a bag: every ``colorized.png`` must carry valid credentials whose parent ingredient's
    SHA-256 is that of the original beside it, and the bag's own checksums must validate.
    """
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder")
    if path.is_file() and not zipfile.is_zipfile(path):
        return VerifyResult(reports=[read_credentials(path, trust_anchors=trust_anchors)])
    with _opened_bag(path) as folder:
        return _verify_bag(folder, trust_anchors=trust_anchors)


def _verify_bag(folder: Path, *, trust_anchors: bytes | None) -> VerifyResult:
    import bagit

    result = VerifyResult(reports=[])
    if (folder / "bagit.txt").exists():
        result.bag_checked = True
        try:
            bagit.Bag(str(folder)).validate()
        except bagit.BagError as exc:
            result.bag_problems.append(str(exc))
    images = sorted(folder.rglob("colorized.png"))
    if not images:
        raise InvalidInput(f"{folder}: no colorized.png found (is this a Find Color export?)")
    for image in images:
        report = read_credentials(image, name=image.relative_to(folder).as_posix(), trust_anchors=trust_anchors)
        originals = [item for item in image.parent.glob("original.*") if item.is_file()]
        if report.present and len(originals) == 1:
            actual = _sha256_file(originals[0])
            if report.parent_sha256 == actual:
                report.notes.append(f"parent ingredient is {originals[0].name} in the bag (sha256 matches)")
            else:
                report.problems.append(
                    f"parent ingredient sha256 {report.parent_sha256} is not that of {originals[0].name} ({actual})"
                )
        result.reports.append(report)
    return result


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
