"""Benchmark of batch runs: photos per minute with 1 and 2 workers, local pool and Ray.

Makes ``--photos`` gray scans of 2-12 megapixels (real photographs bundled with scikit-image,
enlarged), imports them once into a template catalog, then for every configuration copies that
catalog (SQLite file copied, store objects hard-linked: they are read-only) and times
:func:`db.batch_runner.run_batch` — planning excluded, worker start-up and recording included.
Usage::

    python benchmarks/batch.py                                     # 100 photos, classical engine
    python benchmarks/batch.py --photos 20 --engine auto --modes local

Results go to ``benchmarks/results/batch.json`` (see docs/SCALE.md for what they imply).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skdata

import db
from db.batch import BatchFilters, plan_batch_run
from db.batch_runner import LocalPool, RayExecutor, resolve_engine, run_batch

RESULTS = Path(__file__).with_name("results") / "batch.json"
SOURCES = ("camera", "coffee", "chelsea", "rocket", "astronaut")


def make_scans(count: int, min_mp: float, max_mp: float, seed: int = 0) -> list[bytes]:
    """``count`` distinct gray PNGs, sizes spread evenly over [min_mp, max_mp] megapixels (4:3)."""
    rng = np.random.default_rng(seed)
    scans = []
    for index in range(count):
        megapixels = min_mp + (max_mp - min_mp) * (index / max(1, count - 1))
        width = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
        height = int(round(width * 3 / 4))
        photo = Image.fromarray(getattr(skdata, SOURCES[index % len(SOURCES)])()).convert("L")
        image = photo.resize((width, height), Image.Resampling.BICUBIC)
        noise = rng.integers(-2, 3, size=(height, width), dtype=np.int16)  # film grain; also makes each file distinct
        pixels = np.clip(np.asarray(image, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels, "L").save(buffer, format="PNG", compress_level=1)
        scans.append(buffer.getvalue())
    return scans


def template_catalog(folder: Path, scans: list[bytes]) -> db.Settings:
    settings = db.load_settings({}, data_dir=folder / "template")
    catalog = db.open_catalog(settings)
    try:
        for index, scan in enumerate(scans):
            with catalog.session() as session:
                db.import_bytes(session=session, store=catalog.store, settings=catalog.settings,
                                actor=db.get_local_user(session=session), filename=f"scan-{index:03d}.png", data=scan,
                                metadata={"era": "Korean War"})  # fmt: skip
    finally:
        catalog.close()
    return settings


def copy_catalog(template: db.Settings, folder: Path) -> db.Settings:
    folder.mkdir(parents=True)
    shutil.copyfile(template.data_dir / "catalog.sqlite3", folder / "catalog.sqlite3")
    shutil.copytree(template.store_dir / "objects", folder / "store" / "objects", copy_function=os.link)
    return db.load_settings({}, data_dir=folder)


def time_run(settings: db.Settings, executor, engine: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    catalog = db.open_catalog(settings)
    try:
        with catalog.session() as session:
            me = db.get_local_user(session=session)
            run = plan_batch_run(session=session, actor=me, filters=BatchFilters(era="Korean War"),
                                 engine=resolve_engine(engine), executor=executor.description)  # fmt: skip
        started = time.perf_counter()
        finished = run_batch(catalog=catalog, actor=me, run_id=run.id, executor=executor)
        seconds = time.perf_counter() - started
        with catalog.read_session() as session:
            drafts = db.list_batch_colorizations(session=session, run_id=run.id)
            pixels = sum(draft.output_width * draft.output_height for draft in drafts)
            output_bytes = sum(catalog.store.path(draft.output_sha256).stat().st_size for draft in drafts)
            original_bytes = sum(draft.photo.size_bytes for draft in drafts)
    finally:
        catalog.close()
    assert finished.done == run.planned, f"{finished.failed} photos failed"
    return {
        "photos": finished.done,
        "seconds": round(seconds, 2),
        "photos_per_minute": round(60 * finished.done / seconds, 2),
        "megapixels_per_minute": round(60 * pixels / 1e6 / seconds, 2),
        "output_bytes_per_megapixel": round(output_bytes / (pixels / 1e6)),
        "original_bytes_per_megapixel": round(original_bytes / (pixels / 1e6)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--min-mp", type=float, default=2.0)
    parser.add_argument("--max-mp", type=float, default=12.0)
    parser.add_argument("--engine", default="classical", choices=["auto", "neural", "classical"])
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--modes", default="local,ray", help="local and/or ray")
    args = parser.parse_args()
    workers = [int(value) for value in args.workers.split(",")]
    modes = args.modes.split(",")
    results: dict[str, object] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "photos": args.photos, "megapixels": [args.min_mp, args.max_mp], "engine": args.engine, "runs": [],
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="findcolor-batch-bench-") as tmp:
        folder = Path(tmp)
        template = template_catalog(folder, make_scans(args.photos, args.min_mp, args.max_mp))
        for mode in modes:
            for count in workers:
                if mode == "ray":
                    import ray

                    ray.init(num_cpus=count, include_dashboard=False, log_to_driver=False)
                    executor = RayExecutor()
                else:
                    executor = LocalPool(workers=count, engine=args.engine)
                try:
                    timing = time_run(copy_catalog(template, folder / f"{mode}-{count}"), executor, args.engine)
                finally:
                    if mode == "ray":
                        ray.shutdown()
                row = {"mode": mode, "workers": count, **timing}
                results["runs"].append(row)  # type: ignore[attr-defined]
                print(json.dumps(row), flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
