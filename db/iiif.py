"""IIIF Presentation 3 manifests and static level-0 images inside an export bag.

Per photo, ``data/<folder>/manifest.json`` is a Manifest with one Canvas the size of the scan;
its painting annotation's body is a ``Choice`` of the colorization (first, so viewers show it,
labelled as an AI-assisted colorization) and the original scan. Each choice item is the very
file in the bag (the signed ``colorized.png``, the original byte for byte) with a level-0
IIIF Image API 3 service beside it (``iiif/colorized/``, ``iiif/original/``): ``info.json``
and JPEG copies at full size and at fixed sizes (200 and 800 px longer side), so a static web
server can publish the bag as it is and deep-zoom viewers (Mirador, Universal Viewer) can
show TIFF scans too. ``data/collection.json`` lists every manifest of the export.

Ids are ``<base URL><path in the bag>``: with ``--iiif-base-url https://host/bag/`` they are
absolute, as IIIF requires for publication; without one they are relative to the bag's top
folder, which keeps an unpublished bag portable (re-export with the base URL to publish it).
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from db.errors import InvalidInput
from findcolor.imageio import preview

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
DERIVATIVE_SIDES = (200, 800)  # longer side of the fixed-size copies, below the full size
JPEG_QUALITY = 90
COLLECTION_PATH = "data/collection.json"
PROVIDER = "Find Color catalog"
# IIIF 'rights' takes only Creative Commons and RightsStatements.org URIs; other texts go to metadata.
_RIGHTS_URI = re.compile(r"^https?://(creativecommons\.org/(licenses|publicdomain)/|rightsstatements\.org/vocab/)\S+$")


def normalise_base_url(url: str | None) -> str:
    """``""`` for relative ids, else an http(s) URL ending in ``/`` (the bag's top folder, published)."""
    if url is None or url.strip() == "":
        return ""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidInput(
            f"--iiif-base-url {url!r} must be an http(s) URL of the published bag folder, "
            "e.g. https://archive.example/iiif/export-1/"
        )
    return url if url.endswith("/") else url + "/"


def _local(payload_dir: Path, bag_path: str) -> Path:
    """Where a file the bag will hold at ``bag_path`` (``data/...``) is while the payload is written."""
    return payload_dir / bag_path.removeprefix("data/")


def _en(text: str) -> dict[str, list[str]]:
    return {"en": [text]}


def _none(text: str) -> dict[str, list[str]]:
    return {"none": [text]}  # catalogue values: their language is not recorded


@dataclass(frozen=True)
class ImageResource:
    """One choice item: a file in the bag and its level-0 image service."""

    body: dict[str, Any]  # the Presentation 3 Image resource
    thumbnail: dict[str, Any]  # the smallest fixed-size copy, as a thumbnail resource


def _scaled(width: int, height: int, side: int) -> tuple[int, int]:
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def write_image_service(
    image: Image.Image, *, payload_dir: Path, service_path: str, base: str, file_path: str, file_format: str, label: str
) -> ImageResource:
    """Write ``info.json`` and the JPEG copies of ``image`` under ``service_path`` (its path in the bag)."""
    image = image.convert("RGB")
    width, height = image.size
    sizes = [_scaled(width, height, side) for side in DERIVATIVE_SIDES if side < max(width, height)] + [(width, height)]
    root = _local(payload_dir, service_path)
    for size_path, size in [*((f"{w},{h}", (w, h)) for w, h in sizes), ("max", (width, height))]:
        target = root / "full" / size_path / "0" / "default.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = image if size == (width, height) else image.resize(size, Image.Resampling.LANCZOS)
        copy.save(target, format="JPEG", quality=JPEG_QUALITY)
    service_id = base + service_path
    info = {
        "@context": IMAGE_CONTEXT, "id": service_id, "type": "ImageService3", "protocol": "http://iiif.io/api/image",
        "profile": "level0", "width": width, "height": height,
        "sizes": [{"width": w, "height": h} for w, h in sizes],
    }  # fmt: skip
    (root / "info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    small_w, small_h = sizes[0]
    body = {
        "id": base + file_path, "type": "Image", "format": file_format, "width": width, "height": height,
        "label": _en(label), "service": [{"id": service_id, "type": "ImageService3", "profile": "level0"}],
    }  # fmt: skip
    thumbnail = {
        "id": f"{service_id}/full/{small_w},{small_h}/0/default.jpg", "type": "Image", "format": "image/jpeg",
        "width": small_w, "height": small_h,
    }  # fmt: skip
    return ImageResource(body=body, thumbnail=thumbnail)


def _mime(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def _metadata(record: dict[str, Any]) -> list[dict[str, Any]]:
    photo, colorization, files = record["photo"], record["colorization"], record["files"]
    credentials = files["colorized"].get("content_credentials") or {}
    rows = [
        ("Title", photo["title"]), ("Identifier", photo["identifier"]), ("Date", photo["date"]),
        ("Place", photo["place"]), ("Era", photo["era"]), ("Event", photo["event"]),
        ("Subject", "; ".join(photo["tags"])), ("Source", photo["source"]), ("Rights", photo["rights"]),
        ("Original file", f"{photo['original_filename']} (sha256 {files['original']['sha256']})"),
        ("Colorization", f"AI-assisted ({colorization['engine']} engine), by {colorization['curator']}, "
                         f"approved by {colorization['reviewer']} on {colorization['reviewed_at']}"),
        ("Provenance note", colorization["provenance_note"]),
        ("Content credentials (C2PA)", f"signed by {credentials['signer']}" if credentials.get("signed")
                                       else "not added (no signing certificate was configured)"),
    ]  # fmt: skip
    return [{"label": _en(label), "value": _none(str(value))} for label, value in rows if value not in (None, "")]


def photo_manifest(
    record: dict[str, Any], *, base: str, folder: str, colorized: ImageResource, original: ImageResource
) -> dict[str, Any]:
    """The Manifest of one exported photo (``record`` is its entry in metadata.json)."""
    photo, colorization = record["photo"], record["colorization"]
    prefix = f"{base}data/{folder}"
    canvas_id = f"{prefix}/canvas/1"
    title = photo["title"] or photo["identifier"] or photo["original_filename"]
    manifest: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": f"{prefix}/manifest.json",
        "type": "Manifest",
        "label": _none(f"{title} (colorized)"),
        "metadata": _metadata(record),
        "requiredStatement": {"label": _en("Disclosure"), "value": _en(colorization["disclosure"])},
        "provider": [{"id": f"{base}{COLLECTION_PATH}#provider", "type": "Agent", "label": _en(PROVIDER)}],
        "thumbnail": [colorized.thumbnail],
        "seeAlso": [
            {"id": f"{base}data/metadata.json", "type": "Dataset", "format": "application/json",
             "label": _en("Descriptive and provenance metadata of the export (Find Color metadata.json)")},
            {"id": f"{prefix}/hints.json", "type": "Dataset", "format": "application/json",
             "label": _en("Colour hints exactly as used for this colorization")},
        ],  # fmt: skip
        "partOf": [{"id": f"{base}{COLLECTION_PATH}", "type": "Collection"}],
        "items": [
            {
                "id": canvas_id,
                "type": "Canvas",
                "label": _none(title),
                "width": photo["width"],
                "height": photo["height"],
                "items": [
                    {
                        "id": f"{canvas_id}/page/1",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{canvas_id}/page/1/painting",
                                "type": "Annotation",
                                "motivation": "painting",
                                "body": {"type": "Choice", "items": [colorized.body, original.body]},
                                "target": canvas_id,
                            }
                        ],
                    }
                ],
            }
        ],
    }
    if photo["description"]:
        manifest["summary"] = _none(photo["description"])
    if _RIGHTS_URI.match(photo["rights"] or ""):
        manifest["rights"] = photo["rights"]
    if photo["year_from"]:
        manifest["navDate"] = f"{int(photo['year_from']):04d}-01-01T00:00:00Z"
    return manifest


def write_photo_iiif(payload_dir: Path, record: dict[str, Any], *, base: str) -> dict[str, Any]:
    """Write the image services and the manifest of one photo; returns its reference for the collection.

    ``payload_dir`` holds the payload before it becomes the bag's ``data/`` folder.
    """
    files = record["files"]
    folder = Path(files["colorized"]["path"]).parent.name
    with Image.open(_local(payload_dir, files["colorized"]["path"])) as image:
        image.load()
        colorized = write_image_service(
            image, payload_dir=payload_dir, service_path=f"data/{folder}/iiif/colorized", base=base,
            file_path=files["colorized"]["path"], file_format="image/png",
            label="AI-assisted colorization (Find Color): a derivative, not the record",
        )  # fmt: skip
    photo = record["photo"]
    side, pixels = max(photo["width"], photo["height"]), photo["width"] * photo["height"]  # checked on import
    full = preview(_local(payload_dir, files["original"]["path"]), side, max_pixels=pixels)
    original = write_image_service(
        full, payload_dir=payload_dir, service_path=f"data/{folder}/iiif/original", base=base,
        file_path=files["original"]["path"], file_format=_mime(files["original"]["path"]),
        label="Original black-and-white scan (the record)",
    )  # fmt: skip
    manifest = photo_manifest(record, base=base, folder=folder, colorized=colorized, original=original)
    (payload_dir / folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return {"id": manifest["id"], "type": "Manifest", "label": manifest["label"], "thumbnail": manifest["thumbnail"]}


def write_collection(payload_dir: Path, manifests: list[dict[str, Any]], *, base: str, label: str) -> dict[str, Any]:
    """``data/collection.json``: every manifest of the export."""
    collection = {
        "@context": PRESENTATION_CONTEXT,
        "id": base + COLLECTION_PATH,
        "type": "Collection",
        "label": _en(label),
        "summary": _en("Approved AI-assisted colorizations of black-and-white photographs, each shown with its original scan."),
        "provider": [{"id": f"{base}{COLLECTION_PATH}#provider", "type": "Agent", "label": _en(PROVIDER)}],
        "seeAlso": [
            {"id": f"{base}data/metadata.json", "type": "Dataset", "format": "application/json",
             "label": _en("Descriptive and provenance metadata of the export (Find Color metadata.json)")}
        ],  # fmt: skip
        "items": manifests,
    }
    _local(payload_dir, COLLECTION_PATH).write_text(json.dumps(collection, ensure_ascii=False, indent=2), encoding="utf-8")
    return collection
