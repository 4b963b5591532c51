"""Screenshot of an exported bag in Mirador (a real IIIF viewer), served from this machine only.

Usage: ``python scripts/iiif_screenshot.py MIRADOR_DIST OUT.png``, where ``MIRADOR_DIST`` is the
``dist`` folder of the npm package (``npm pack mirador@4.0.0 && tar xzf mirador-4.0.0.tgz``:
``package/dist``). It exports README's example (docs/example: the gray scan, the classical
engine's colorization and its hints) from a temporary catalog, signed with a local test CA, with
``--iiif-base-url`` pointing at a local static server (http.server on 127.0.0.1), opens the
manifest in Mirador with the layers panel showing the colorization/original Choice, and has
Debian's headless Chromium take the screenshot.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

from PIL import Image

import db
from db.credentials import create_local_authority, load_signing_credentials

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "example"
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Find Color export in Mirador</title>
<style>body{margin:0} #viewer{position:absolute;inset:0}</style></head><body><div id="viewer"></div>
<script src="mirador.min.js"></script><script>
Mirador.viewer({id: "viewer", window: {sideBarOpen: true, defaultSideBarPanel: "layers", allowClose: false},
  windows: [{manifestId: MANIFEST}], workspaceControlPanel: {enabled: false}});
</script></body></html>"""


def _export(folder: Path, base: str) -> Path:
    settings = db.load_settings({}, data_dir=folder / "data")
    catalog = db.open_catalog(settings)
    try:
        with catalog.session() as session:
            me = db.get_local_user(session=session)
            outcome = db.import_bytes(
                session=session, store=catalog.store, settings=catalog.settings, actor=me, filename="gray.png",
                data=(EXAMPLE / "gray.png").read_bytes(),
                metadata={"title": "Example photograph", "identifier": "EXAMPLE/1", "era": "Korean War",
                          "rights": "https://rightsstatements.org/vocab/NoC-US/1.0/"},
            )  # fmt: skip
            buffer = io.BytesIO()
            Image.open(EXAMPLE / "classical.jpg").convert("RGB").save(buffer, format="PNG")
            candidate = db.create_colorization(
                session=session, store=catalog.store, settings=catalog.settings, actor=me, photo_id=outcome.photo_id,
                hints=json.loads((EXAMPLE / "hints.json").read_text()), engine="classical", output_png=buffer.getvalue(),
                provenance_note="README example: hints from the colour original",
            )  # fmt: skip
            db.approve_colorization(session=session, settings=catalog.settings, actor=me, colorization_id=candidate.id)
        authority = create_local_authority(folder / "c2pa")
        credentials = load_signing_credentials(authority.signer_certificate, authority.signer_key)
        with catalog.read_session() as session:
            report = db.export_bag(session=session, store=catalog.store, out_path=folder / "export.zip",
                                   credentials=credentials, iiif_base_url=base)  # fmt: skip
    finally:
        catalog.close()
    with zipfile.ZipFile(report.path) as archive:
        archive.extractall(folder / "unzipped")
    (bag,) = list((folder / "unzipped").iterdir())
    return bag


def main() -> None:
    dist, out = Path(sys.argv[1]), Path(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="findcolor-iiif-") as temporary:
        folder = Path(temporary)
        site = folder / "site"
        site.mkdir()
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        base = f"http://127.0.0.1:{server.server_port}/bag/"
        shutil.copytree(_export(folder, base), site / "bag")
        shutil.copy(dist / "mirador.min.js", site / "mirador.min.js")
        manifest = next((site / "bag" / "data").glob("*/manifest.json")).relative_to(site).as_posix()
        page = PAGE.replace("MANIFEST", json.dumps(f"http://127.0.0.1:{server.server_port}/{manifest}"))
        (site / "index.html").write_text(page, encoding="utf-8")
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            subprocess.run(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,900",
                 "--virtual-time-budget=20000", f"--screenshot={out.resolve()}",
                 f"http://127.0.0.1:{server.server_port}/index.html"],
                check=True, timeout=120,
            )  # fmt: skip
        finally:
            server.shutdown()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
