"""Time of exporting approved colorizations as a signed bag with IIIF, and the share spent signing.

Run: ``python -m benchmarks.export`` (a few minutes; ``--photos 100 --side 1600``).
Seeds a fresh SQLite catalog with ``--photos`` gray 8-bit PNG scans (``--side`` px on the
longer side, 4:3) and one approved colorization each, makes a local test CA with
:func:`db.credentials.create_local_authority`, then times :func:`db.export_bag` exactly as
``findcolor export`` calls it, without and with C2PA signing. "Signing" is the time inside
C2PA signing (manifest, thumbnails of the image and its parent, signature); the rest is
copying and hashing, XMP, IIIF image copies and manifests, metadata, the bag and the zip.

Writes benchmarks/results/export.json and the README block ``export``.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from PIL import Image

import db
from benchmarks.report import markdown_table, write_results
from db.credentials import create_local_authority, load_signing_credentials


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _scan(seed: int, width: int, height: int) -> np.ndarray:
    """A smooth gray 'photo' with grain: compresses like a scan, unlike pure noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    phase = rng.uniform(0, 6.28, size=3)
    base = 128 + 60 * np.sin(x / (37 + seed % 11) + phase[0]) * np.cos(y / 53 + phase[1]) + 30 * np.sin((x + y) / 91 + phase[2])
    return np.clip(base + rng.normal(0, 6, size=base.shape), 0, 255).astype(np.uint8)


def seed(catalog: db.Catalog, *, photos: int, width: int, height: int) -> None:
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        for index in range(photos):
            gray = _scan(index, width, height)
            outcome = db.import_bytes(
                session=session, store=catalog.store, settings=catalog.settings, actor=me, filename=f"scan-{index}.png",
                data=_png(gray), metadata={"title": f"Scan {index}", "era": "Korean War", "identifier": f"B/{index}"},
            )  # fmt: skip
            colour = np.stack([gray, (gray * 0.8).astype(np.uint8), (gray * 0.6).astype(np.uint8)], axis=-1)
            candidate = db.create_colorization(
                session=session, store=catalog.store, settings=catalog.settings, actor=me, photo_id=outcome.photo_id,
                hints={"version": 1, "points": [{"x": 10, "y": 10, "color": "#a03020"}]}, engine="classical",
                output_png=_png(colour), provenance_note="benchmark",
            )  # fmt: skip
            db.approve_colorization(session=session, settings=catalog.settings, actor=me, colorization_id=candidate.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--side", type=int, default=1600, help="longer side of the scans in pixels (4:3)")
    args = parser.parse_args()
    width, height = args.side, args.side * 3 // 4
    with TemporaryDirectory(prefix="findcolor-bench-export-") as folder:
        settings = db.load_settings({}, data_dir=Path(folder) / "data")
        catalog = db.open_catalog(settings)
        try:
            seed(catalog, photos=args.photos, width=width, height=height)
            authority = create_local_authority(Path(folder) / "c2pa")
            credentials = load_signing_credentials(authority.signer_certificate, authority.signer_key)
            rows, data = [], {"photos": args.photos, "width": width, "height": height, "runs": {}}
            for label, creds in (("unsigned (no certificate)", None), ("signed (C2PA)", credentials)):
                started = time.perf_counter()
                with catalog.read_session() as session:
                    report = db.export_bag(
                        session=session, store=catalog.store, out_path=Path(folder) / f"{bool(creds)}.zip",
                        credentials=creds,
                    )  # fmt: skip
                seconds = time.perf_counter() - started
                share = report.signing_seconds / seconds
                data["runs"][label] = {"seconds": round(seconds, 2), "signing_seconds": round(report.signing_seconds, 2),
                                       "bytes": report.bytes}  # fmt: skip
                rows.append([label, f"{seconds:.1f}", f"{report.signing_seconds:.1f} ({share:.0%})",
                             f"{seconds / args.photos * 1000:.0f}", f"{report.bytes / 1e6:.0f}"])  # fmt: skip
        finally:
            catalog.close()
    table = markdown_table(
        [f"export of {args.photos} approved colorizations ({width}x{height})", "seconds", "signing s (share)",
         "ms per photo", "zip MB"], rows,
    )  # fmt: skip
    print(table)
    write_results("export", data, table)


if __name__ == "__main__":
    main()
