"""How long the dashboard's catalog page takes to render its first page with 100,000 photos.

Seeds the catalog the way the catalog benchmark does (``benchmarks.catalog.seed``: 100,000
photos with ~150,000 colorizations through the real migrations), replacing the oldest page
with real scans imported through the data layer so that the page shows real thumbnails.
Then it renders the Catalog page the way the server does, in a new session each time
(``streamlit.testing.v1.AppTest``: the whole script run, queries and thumbnails included,
without a browser):

* ``cold``: the first render after start (catalog opened, schema checked, thumbnails made);
* ``warm``: a new visitor's first page once the server has run a while (thumbnails cached).

Target: the warm first page under 1 s. Usage: ``python -m benchmarks.dashboard_catalog``.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import db
from benchmarks.catalog import seed
from benchmarks.report import markdown_table, write_results

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
REAL_SCANS = 24  # one page of the catalog's default page size
TARGET_S = 1.0


def real_scan(index: int) -> bytes:
    """A distinct real B&W photograph (scikit-image's 'cameraman', shifted) as a 1200 px PNG."""
    from skimage import data

    pixels = np.roll(data.camera(), index * 7, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).resize((1200, 1200)).save(buffer, format="PNG")
    return buffer.getvalue()


def prepare(data_dir: Path, photos: int) -> None:
    catalog = db.open_catalog(db.load_settings({}, data_dir=data_dir))
    try:
        seed(catalog, photos=photos - REAL_SCANS, colorizations_per_photo=2, rng=random.Random(1))
        with catalog.session() as session:
            local = db.get_local_user(session=session)
            for index in range(REAL_SCANS):  # dated before every seeded photo: the first page by date
                outcome = db.import_bytes(
                    session=session, store=catalog.store, settings=catalog.settings, actor=local,
                    filename=f"real-{index}.png", data=real_scan(index),
                    metadata={"title": f"Real scan {index}", "year_from": 1880, "year_to": 1880},
                )  # fmt: skip
                assert outcome.status == "imported", outcome.message
    finally:
        catalog.close()


def render_first_page() -> float:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(APP), default_timeout=300)
    started = time.perf_counter()
    app.run()
    elapsed = time.perf_counter() - started
    assert not app.exception and not app.error, [e.value for e in [*app.exception, *app.error]]
    assert app.title[0].value == "Catalog" and len(app.image) == REAL_SCANS, "the first page shows the real scans"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="print only; do not update README and results/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["FINDCOLOR_DATA_DIR"] = folder
        started = time.perf_counter()
        prepare(Path(folder), args.photos)
        print(f"seeded {args.photos:,} photos in {time.perf_counter() - started:.0f} s")
        cold = render_first_page()
        warm = [render_first_page() for _ in range(args.repeats)]
    median, worst = statistics.median(warm), max(warm)
    print(f"cold {cold:.2f} s; warm median {median:.3f} s, max {worst:.3f} s over {args.repeats} sessions")
    if args.no_write:
        return
    table = markdown_table(
        ["catalog page, first page (24 thumbnails), 100,000 photos", "seconds", f"target < {TARGET_S:g} s"],
        [
            ["new session, thumbnails cached (median)", f"{median:.3f}", "yes" if median < TARGET_S else "no"],
            ["new session, thumbnails cached (worst)", f"{worst:.3f}", "yes" if worst < TARGET_S else "no"],
            ["first render after start (thumbnails made)", f"{cold:.2f}", "–"],
        ],
    )
    write_results(
        "dashboard_catalog",
        {"photos": args.photos, "cold_s": cold, "warm_s": warm, "warm_median_s": median, "target_s": TARGET_S},
        table,
    )


if __name__ == "__main__":
    main()
