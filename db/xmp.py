"""XMP disclosure embedded in exported colorizations, and reading it back.

The packet says, in the vocabularies archives and platforms read: this is an AI-assisted
derivative (IPTC ``DigitalSourceType`` = ``compositeWithTrainedAlgorithmicMedia``), made with
which system and version (IPTC 2025.1 ``AISystemUsed`` / ``AISystemVersionUsed``), on what
basis (``dc:description`` with the provenance note) and from which original (``dc:source``).

The packet goes into a PNG ``iTXt`` chunk with the standard keyword ``XML:com.adobe.xmp``,
inserted at the byte level right after ``IHDR``: the image data are not re-encoded, so the
pixels stay bit-identical to the stored output.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from db.errors import InvalidInput

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = b"XML:com.adobe.xmp"
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

# Simple properties: (namespace prefix, name) as attributes of rdf:Description.
_SIMPLE = {
    "DigitalSourceType": ("Iptc4xmpExt", "DigitalSourceType"),
    "AISystemUsed": ("Iptc4xmpExt", "AISystemUsed"),
    "AISystemVersionUsed": ("Iptc4xmpExt", "AISystemVersionUsed"),
    "CreatorTool": ("xmp", "CreatorTool"),
    "CreateDate": ("xmp", "CreateDate"),
    "source": ("dc", "source"),
    "identifier": ("dc", "identifier"),
    "Credit": ("photoshop", "Credit"),
}
# Language alternatives (rdf:Alt with an x-default entry).
_LANG_ALT = {"description": "description", "title": "title", "rights": "rights"}
# Ordered lists (rdf:Seq).
_SEQ = {"creator": "creator"}


@dataclass(frozen=True)
class Disclosure:
    """What an exported colorization says about itself."""

    ai_system: str  # e.g. "Find Color (neural engine)"
    ai_system_version: str  # software version, model version and weights hash
    description: str  # provenance: how the colours were decided
    source: str  # the original: identifier and SHA-256
    title: str = ""
    rights: str = ""
    creators: tuple[str, ...] = ()  # curator and reviewer
    create_date: str = ""  # ISO 8601
    identifier: str = ""
    credit: str = ""


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def build_xmp_packet(disclosure: Disclosure) -> str:
    """The XMP packet (UTF-8 text with the xpacket wrapper)."""
    meta = ET.Element(_q("x", "xmpmeta"))
    rdf = ET.SubElement(meta, _q("rdf", "RDF"))
    description = ET.SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})
    simple = {
        "DigitalSourceType": DIGITAL_SOURCE_TYPE,
        "AISystemUsed": disclosure.ai_system,
        "AISystemVersionUsed": disclosure.ai_system_version,
        "CreatorTool": disclosure.ai_system,
        "CreateDate": disclosure.create_date,
        "source": disclosure.source,
        "identifier": disclosure.identifier,
        "Credit": disclosure.credit,
    }
    for key, value in simple.items():
        if value:
            prefix, name = _SIMPLE[key]
            description.set(_q(prefix, name), value)
    for key, value in (("description", disclosure.description), ("title", disclosure.title), ("rights", disclosure.rights)):
        if value:
            alt = ET.SubElement(ET.SubElement(description, _q("dc", _LANG_ALT[key])), _q("rdf", "Alt"))
            ET.SubElement(alt, _q("rdf", "li"), {"{http://www.w3.org/XML/1998/namespace}lang": "x-default"}).text = value
    if disclosure.creators:
        seq = ET.SubElement(ET.SubElement(description, _q("dc", "creator")), _q("rdf", "Seq"))
        for creator in disclosure.creators:
            ET.SubElement(seq, _q("rdf", "li")).text = creator
    body = ET.tostring(meta, encoding="unicode")
    return f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{body}\n<?xpacket end="w"?>'


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes, int, int]]:
    """(type, payload, start, end) of every PNG chunk."""
    if not data.startswith(PNG_SIGNATURE):
        raise InvalidInput("not a PNG file")
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            raise InvalidInput("PNG file is truncated")
        yield kind, data[position + 8 : position + 8 + length], position, end
        position = end


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def embed_xmp_png(png: bytes, packet: str) -> bytes:
    """The PNG with ``packet`` as its (only) XMP chunk; image data untouched."""
    parts = [PNG_SIGNATURE]
    inserted = False
    for kind, payload, start, end in _chunks(png):
        if kind == b"iTXt" and payload.startswith(XMP_KEYWORD + b"\x00"):
            continue  # replace an existing packet
        parts.append(png[start:end])
        if kind == b"IHDR" and not inserted:
            # keyword, NUL, compression flag 0, method 0, empty language tag, NUL, empty translated keyword, NUL
            parts.append(_chunk(b"iTXt", XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet.encode("utf-8")))
            inserted = True
    if not inserted:
        raise InvalidInput("PNG file has no IHDR chunk")
    return b"".join(parts)


def extract_xmp_packet(png: bytes) -> str | None:
    for kind, payload, _start, _end in _chunks(png):
        if kind == b"iTXt" and payload.startswith(XMP_KEYWORD + b"\x00"):
            rest = payload[len(XMP_KEYWORD) + 1 :]
            compressed, rest = rest[0], rest[2:]
            _language, _, rest = rest.partition(b"\x00")
            _translated, _, text = rest.partition(b"\x00")
            return (zlib.decompress(text) if compressed else text).decode("utf-8")
    return None


def parse_xmp_packet(packet: str) -> dict[str, str]:
    """Flat field -> value dict of the properties this module writes (lists joined by '; ')."""
    start, end = packet.find("<x:xmpmeta"), packet.rfind("</x:xmpmeta>")
    if start < 0 or end < 0:
        raise InvalidInput("XMP packet has no x:xmpmeta element")
    root = ET.fromstring(packet[start : end + len("</x:xmpmeta>")])
    fields: dict[str, str] = {}
    for description in root.iter(_q("rdf", "Description")):
        for key, (prefix, name) in _SIMPLE.items():
            value = description.get(_q(prefix, name))
            if value is None:
                element = description.find(_q(prefix, name))
                value = element.text if element is not None else None
            if value is not None:
                fields[key] = value
        for key, name in _LANG_ALT.items():
            item = description.find(f"{_q('dc', name)}/{_q('rdf', 'Alt')}/{_q('rdf', 'li')}")
            if item is not None:
                fields[key] = item.text or ""
        for key, name in _SEQ.items():
            items = description.findall(f"{_q('dc', name)}/{_q('rdf', 'Seq')}/{_q('rdf', 'li')}")
            if items:
                fields[key] = "; ".join(item.text or "" for item in items)
    return fields


def read_xmp(source: str | os.PathLike[str] | bytes) -> dict[str, str]:
    """The XMP fields of a PNG file or PNG bytes ({} when it carries no XMP)."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    packet = extract_xmp_packet(data)
    return parse_xmp_packet(packet) if packet else {}

