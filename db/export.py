"""Export of approved colorizations as a BagIt bag (RFC 8493) in a ZIP file.

Layout inside the ZIP (one top folder, the bag)::

    findcolor-export-YYYYMMDD-HHMMSS/
        bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
        data/metadata.csv  data/metadata.json
        data/000042-ACC-1950-17/original.tif      the scan, byte for byte as stored
        data/000042-ACC-1950-17/colorized.png     the approved colorization: XMP disclosure, then C2PA credentials
        data/000042-ACC-1950-17/hints.json        the hints exactly as used (their SHA-256 is signed)
        data/000042-ACC-1950-17/manifest.json     IIIF Presentation 3 manifest (db.iiif), iiif/ its static images
        data/collection.json                      IIIF collection of every manifest

``metadata.json`` (and the flat ``metadata.csv``) hold, per photo: the descriptive fields,
hints exactly as used, engine/model/weights hash, parameters, curator, reviewer, notes and
the SHA-256 of every file. With signing credentials (``db.credentials``) each colorized PNG
carries a signed C2PA manifest, added after the XMP and before the bag's checksums are made;
without them the export says that credentials were not added. The bag is validated with ``bagit`` before the ZIP is published
(written to a temporary name, then renamed), so a failed export leaves nothing behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import mimetypes
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import select
from sqlalchemy.orm import Session

import findcolor

from db.audit import record_event
from db.credentials import ColorizationClaim, ContentSigner, SigningCredentials, canonical_hints
from db.iiif import normalise_base_url, write_collection, write_photo_iiif
from db.errors import InvalidInput, StoreError
from db.models import AuditEvent, Colorization, ColorizationStatus, Photo, Role, User
from db.references import find_reference
from db.store import CHUNK_SIZE, FileStore
from db.users import authorize
from db.vocabulary import where_photo_in_context
from db.xmp import Disclosure, build_xmp_packet, embed_xmp_png

log = logging.getLogger(__name__)

CSV_COLUMNS = (
    "photo_id", "identifier", "title", "description", "date", "year_from", "year_to", "place", "source", "rights",
    "era", "event", "tags", "original_filename", "original_path", "original_sha256", "colorized_path",
    "colorized_sha256", "stored_output_sha256", "colorization_id", "engine", "model_name", "model_version",
    "weights_sha256", "software_version", "parameters", "hints", "curator", "created_at", "reviewer",
    "reviewed_at", "provenance_note", "review_note",
)


@dataclass(frozen=True)
class ExportReport:
    path: Path
    photos: int
    files: int  # payload files, metadata included
    bytes: int  # size of the ZIP
    sha256: str = ""  # of the ZIP file
    signed: int = 0  # colorizations carrying C2PA content credentials
    credentials: str = ""  # one line: signed by whom, or why credentials were not added
    signing_seconds: float = 0.0  # time spent in C2PA signing


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:60]


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # SQLite returns naive UTC
    return moment.isoformat(timespec="seconds")


def _copy_verified(store: FileStore, sha256: str, target: Path, what: str) -> None:
    """Copy a stored file, checking its hash on the way: an altered original is never exported."""
    digest = hashlib.sha256()
    with store.open(sha256) as reader, open(target, "wb") as writer:
        for chunk in iter(lambda: reader.read(CHUNK_SIZE), b""):
            digest.update(chunk)
            writer.write(chunk)
    if digest.hexdigest() != sha256:
        raise StoreError(f"the stored {what} {sha256[:12]}… does not match its checksum; run 'findcolor verify'")


def _person(user: Any) -> str:
    return "" if user is None else (user.display_name or user.username)


def _disclosure(photo: Photo, colorization: Colorization, created: str) -> Disclosure:
    system = f"Find Color ({colorization.engine} engine)"
    version_parts = [f"findcolor {colorization.software_version}"]
    if colorization.model_name:
        version_parts.append(f"model {colorization.model_name} {colorization.model_version}".strip())
    if colorization.weights_sha256:
        version_parts.append(f"weights sha256:{colorization.weights_sha256}")
    note = colorization.provenance_note or "No provenance note was recorded."
    description = (
        f"Colorized derivative of a black-and-white photograph; the original scan is the record. "
        f"Colours by {_person(colorization.created_by)}, reviewed by {_person(colorization.reviewed_by)}, "
        f"made with {system}. Basis for the colours: {note}"
    )
    source = f"{photo.identifier or photo.original_filename} (original scan sha256:{photo.sha256})"
    return Disclosure(
        ai_system=system,
        ai_system_version="; ".join(version_parts),
        description=description,
        source=source,
        title=f"{photo.title} (colorized)" if photo.title else "",
        rights=photo.rights,
        creators=tuple(name for name in (_person(colorization.created_by), _person(colorization.reviewed_by)) if name),
        create_date=created,
        identifier=f"findcolor:colorization:{colorization.id}",
        credit="Colorized with Find Color",
    )


def _approved(*, session: Session, era: str | None, event: str | None) -> list[tuple[Photo, Colorization]]:
    query = (
        select(Photo, Colorization)
        .join(Colorization, Colorization.photo_id == Photo.id)
        .where(Colorization.status == ColorizationStatus.APPROVED)
        .order_by(Photo.id)
    )
    query = where_photo_in_context(query, session=session, era=era, event=event)
    return [(row[0], row[1]) for row in session.execute(query).unique()]


def _reference_colors(*, session: Session, hints: dict[str, Any]) -> list[dict[str, Any]]:
    cited = []
    for item in [*hints.get("points", []), *hints.get("strokes", []), *hints.get("palette", [])]:
        if item.get("reference") is None:
            continue
        color = find_reference(session=session, reference=item["reference"])
        if color is not None and all(entry["id"] != color.id for entry in cited):
            cited.append(
                {
                    "id": color.id, "name": color.name, "hex": color.hex, "description": color.description,
                    "citation": color.citation, "place": color.place,
                    "era": color.era.name if color.era else None, "event": color.event.name if color.event else None,
                }
            )
    return cited


def export_bag(
    *,
    session: Session,
    store: FileStore,
    out_path: str | os.PathLike[str],
    era: str | None = None,
    event: str | None = None,
    credentials: SigningCredentials | None = None,
    iiif_base_url: str | None = None,
) -> ExportReport:
    """Write the approved colorizations (optionally of one era and/or event) as a zipped BagIt bag.

    ``credentials`` (see :func:`db.credentials.credentials_from_settings`) sign every colorization;
    ``iiif_base_url`` is where the bag's top folder will be published (IIIF ids are relative without it).
    """
    out_path = Path(out_path)
    base = normalise_base_url(iiif_base_url)
    if out_path.suffix.lower() != ".zip":
        raise InvalidInput(f"{out_path}: the export file name must end in .zip")
    pairs = _approved(session=session, era=era, event=event)
    if not pairs:
        scope = " and ".join(f"{kind} {name!r}" for kind, name in (("era", era), ("event", event)) if name)
        raise InvalidInput("nothing to export: no approved colorizations" + (f" for {scope}" if scope else ""))
    now = datetime.now(timezone.utc)
    bag_name = f"findcolor-export-{now:%Y%m%d-%H%M%S}"
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".findcolor-export-", dir=out_path.parent))
    except OSError as exc:
        raise InvalidInput(f"{out_path}: cannot write there ({exc.strerror})") from None
    try:
        bag_dir = work / bag_name
        bag_dir.mkdir()
        signer = None if credentials is None else ContentSigner(credentials, generator_version=findcolor.__version__)
        records = [
            _export_one(
                session=session, store=store, bag_dir=bag_dir, photo=photo, colorization=colorization, now=now,
                signer=signer,
            )  # fmt: skip
            for photo, colorization in pairs
        ]
        signing_seconds = sum(record["files"]["colorized"]["content_credentials"].pop("seconds") for record in records)
        note = (
            f"C2PA content credentials signed by {credentials.signer}" if credentials is not None
            else "no C2PA content credentials added: no signing certificate configured (FINDCOLOR_C2PA_CERT, FINDCOLOR_C2PA_KEY)"
        )  # fmt: skip
        manifests = [write_photo_iiif(bag_dir, record, base=base) for record in records]
        write_collection(bag_dir, manifests, base=base, label=f"Find Color export {_iso(now)}: {len(records)} approved colorizations")
        _write_metadata(bag_dir, records, now=now, era=era, event=event, credentials=note, iiif_base_url=base)
        bag = bagit.make_bag(
            str(bag_dir),
            bag_info={
                "Source-Organization": "Find Color catalog",
                "External-Description": f"{len(records)} approved colorizations with their original scans, "
                "XMP disclosure, C2PA content credentials (see Content-Credentials), IIIF Presentation 3 "
                "manifests and provenance metadata.",
                "Bag-Software-Agent": f"findcolor {findcolor.__version__} with bagit {bagit.VERSION}",
                "Content-Credentials": note,
                "IIIF-Collection": base + "data/collection.json",
            },
            checksums=["sha256"],
        )
        bag.validate()
        files = sum(1 for _ in Path(bag_dir, "data").rglob("*") if _.is_file())
        temp_zip = work / "bag.zip"
        with zipfile.ZipFile(temp_zip, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for path in sorted(bag_dir.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(work).as_posix())
        zip_sha256 = _sha256_path(temp_zip)
        os.replace(temp_zip, out_path)
    except bagit.BagError as exc:
        raise StoreError(f"the export bag did not validate: {exc}") from None
    except OSError as exc:
        raise StoreError(f"{out_path}: cannot write the export ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("exported %d colorizations to %s", len(records), out_path)
    return ExportReport(
        path=out_path, photos=len(records), files=files, bytes=out_path.stat().st_size, sha256=zip_sha256,
        signed=0 if credentials is None else len(records), credentials=note, signing_seconds=signing_seconds,
    )  # fmt: skip


def _sha256_path(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _claim(photo: Photo, colorization: Colorization, *, original: Path, hints_sha256: str, title: str) -> ColorizationClaim:
    return ColorizationClaim(
        title=title, software_version=colorization.software_version, engine=colorization.engine,
        model_name=colorization.model_name, model_version=colorization.model_version,
        weights_sha256=colorization.weights_sha256, parameters=colorization.parameters, hints=colorization.hints,
        hints_sha256=hints_sha256, hints_file="hints.json", original_title=original.name, original_sha256=photo.sha256,
        original_format=mimetypes.guess_type(original.name)[0] or "application/octet-stream",
        provenance_note=colorization.provenance_note, curator=_person(colorization.created_by),
        created_at=_iso(colorization.created_at), reviewer=_person(colorization.reviewed_by),
        approved_at=_iso(colorization.reviewed_at), review_note=colorization.review_note,
        colorization_id=colorization.id, photo_id=photo.id, identifier=photo.identifier,
    )  # fmt: skip


def _export_one(
    *,
    session: Session,
    store: FileStore,
    bag_dir: Path,
    photo: Photo,
    colorization: Colorization,
    now: datetime,
    signer: ContentSigner | None,
) -> dict[str, Any]:
    folder = f"{photo.id:06d}" + (f"-{_slug(photo.identifier)}" if _slug(photo.identifier) else "")
    target = bag_dir / folder
    target.mkdir()
    suffix = "." + (_slug(Path(photo.original_filename).suffix.lower().lstrip(".")) or _slug(photo.format.lower()) or "bin")
    original = target / f"original{suffix}"
    _copy_verified(store, photo.sha256, original, f"original of photo #{photo.id}")
    output = store.read_bytes(colorization.output_sha256)
    if hashlib.sha256(output).hexdigest() != colorization.output_sha256:
        raise StoreError(
            f"the stored colorization #{colorization.id} does not match its checksum; run 'findcolor verify'"
        )
    disclosure = _disclosure(photo, colorization, _iso(now))
    tagged = embed_xmp_png(output, build_xmp_packet(disclosure))  # XMP first: signing comes last
    hints = canonical_hints(colorization.hints)
    (target / "hints.json").write_bytes(hints)
    hints_sha256 = hashlib.sha256(hints).hexdigest()
    credentials: dict[str, Any] = {"signed": False, "seconds": 0.0}
    if signer is not None:
        started = time.perf_counter()
        claim = _claim(photo, colorization, original=original, hints_sha256=hints_sha256, title=disclosure.title or "colorized.png")
        tagged = signer.sign_png(tagged, claim=claim, original=original)
        credentials = {
            "signed": True, "standard": "C2PA", "signer": signer.credentials.signer,
            "seconds": time.perf_counter() - started,
        }  # fmt: skip
    colorized = target / "colorized.png"
    colorized.write_bytes(tagged)
    return {
        "photo": {
            "id": photo.id, "identifier": photo.identifier, "title": photo.title, "description": photo.description,
            "date": photo.date_text, "year_from": photo.year_from, "year_to": photo.year_to, "place": photo.place,
            "source": photo.source, "rights": photo.rights, "era": photo.era_name, "event": photo.event_name,
            "tags": photo.tags, "original_filename": photo.original_filename, "format": photo.format,
            "width": photo.width, "height": photo.height, "mode": photo.mode, "bit_depth": photo.bit_depth,
            "imported_by": photo.created_by.username, "imported_at": _iso(photo.created_at),
        },
        "files": {
            "original": {"path": f"data/{folder}/{original.name}", "sha256": photo.sha256},
            "colorized": {
                "path": f"data/{folder}/colorized.png",
                "sha256": hashlib.sha256(tagged).hexdigest(),
                "stored_output_sha256": colorization.output_sha256,
                "note": "the stored output with an XMP packet added; pixels identical",
                "content_credentials": credentials,
            },
            "hints": {"path": f"data/{folder}/hints.json", "sha256": hints_sha256},
        },
        "colorization": {
            "id": colorization.id, "hints": colorization.hints, "engine": colorization.engine,
            "model_name": colorization.model_name, "model_version": colorization.model_version,
            "weights_sha256": colorization.weights_sha256, "parameters": colorization.parameters,
            "software_version": colorization.software_version,
            "digital_source_type": "compositeWithTrainedAlgorithmicMedia",
            "curator": colorization.created_by.username, "created_at": _iso(colorization.created_at),
            "reviewer": colorization.reviewed_by.username if colorization.reviewed_by else None,
            "reviewed_at": _iso(colorization.reviewed_at), "provenance_note": colorization.provenance_note,
            "review_note": colorization.review_note,
            "reference_colors": _reference_colors(session=session, hints=colorization.hints),
            "disclosure": disclosure.description,
        },
    }


# A spreadsheet opening metadata.csv runs a cell starting with one of these as a formula
# (=HYPERLINK(...), @cmd|...); OWASP's CSV-injection advice: prefix such a cell with a quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """``value`` for a CSV cell that spreadsheets show as text: a leading ``'`` before a formula character.

    Only text is changed (numbers stay numbers); metadata.json always holds the exact values.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _write_metadata(
    bag_dir: Path,
    records: list[dict[str, Any]],
    *,
    now: datetime,
    era: str | None,
    event: str | None,
    credentials: str,
    iiif_base_url: str,
) -> None:
    document = {
        "export": {
            "created_at": _iso(now), "software": f"findcolor {findcolor.__version__}",
            "selection": {"status": "approved", "era": era, "event": event}, "count": len(records),
            "content_credentials": credentials,
            "iiif": {"collection": f"{iiif_base_url}data/collection.json", "base_url": iiif_base_url or None},
        },
        "photos": records,
    }
    (bag_dir / "metadata.json").write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for record in records:
        photo, files, colorization = record["photo"], record["files"], record["colorization"]
        row = {
            "photo_id": photo["id"], "identifier": photo["identifier"], "title": photo["title"],
            "description": photo["description"], "date": photo["date"], "year_from": photo["year_from"],
            "year_to": photo["year_to"], "place": photo["place"], "source": photo["source"],
            "rights": photo["rights"], "era": photo["era"] or "", "event": photo["event"] or "",
            "tags": "; ".join(photo["tags"]), "original_filename": photo["original_filename"],
            "original_path": files["original"]["path"], "original_sha256": files["original"]["sha256"],
            "colorized_path": files["colorized"]["path"], "colorized_sha256": files["colorized"]["sha256"],
            "stored_output_sha256": files["colorized"]["stored_output_sha256"],
            "colorization_id": colorization["id"], "engine": colorization["engine"],
            "model_name": colorization["model_name"], "model_version": colorization["model_version"],
            "weights_sha256": colorization["weights_sha256"] or "",
            "software_version": colorization["software_version"],
            "parameters": json.dumps(colorization["parameters"], ensure_ascii=False),
            "hints": json.dumps(colorization["hints"], ensure_ascii=False),
            "curator": colorization["curator"], "created_at": colorization["created_at"],
            "reviewer": colorization["reviewer"] or "", "reviewed_at": colorization["reviewed_at"],
            "provenance_note": colorization["provenance_note"], "review_note": colorization["review_note"],
        }
        writer.writerow({column: csv_safe(value) for column, value in row.items()})
    (bag_dir / "metadata.csv").write_text(buffer.getvalue(), encoding="utf-8")


def record_export(
    *,
    session: Session,
    actor: User | None,
    report: ExportReport,
    era: str | None = None,
    event: str | None = None,
    iiif_base_url: str | None = None,
) -> AuditEvent:
    """Record a finished export as an audit event (who, the filters, how many, the zip's SHA-256); call in a write session."""
    actor = authorize(session=session, actor=actor, role=Role.VIEWER, action="export")
    return record_event(
        session=session,
        actor=actor,
        action="export.bag",
        entity_type="export",
        entity_id=None,
        details={
            "path": str(report.path), "photos": report.photos, "files": report.files, "bytes": report.bytes,
            "era": era, "event": event, "sha256": report.sha256, "signed": report.signed,
            "credentials": report.credentials, "iiif_base_url": iiif_base_url or None,
        },
    )  # fmt: skip
