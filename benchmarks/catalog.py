"""Benchmark of the catalog listing query at archive scale, on SQLite and PostgreSQL.

Seeds 100,000 photos and 200,000 colorizations (through the real migrations, so the real
indexes), then times :func:`db.list_photos` — the exact call the dashboard makes — for:

* ``filtered``: era + event + status + a search word, page of 50, sorted by date (the target case)
* ``search only``: a name (in ~0.1 % of the photos) over the whole catalog, page of 50, by date
* ``common words``: two of the 44 filler words (each in ~30 % of descriptions): the worst case
* ``filters only``: era + event + status, a page deep in the results (page 2)
* ``counts``: :func:`db.count_photos_by_status` for an era (the status tabs)

Each timing includes the total count that the pager needs. Usage::

    python benchmarks/catalog.py                                   # SQLite only
    python benchmarks/catalog.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

The PostgreSQL URL names a server and an administration database; the benchmark creates its
own database there and drops it afterwards. Results are appended to
``benchmarks/catalog_results.md``.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

import db
from db.models import Colorization, ColorizationStatus, Photo, PhotoStatus
from db.photos import build_search_text

RESULTS = Path(__file__).with_name("catalog_results.md")
WORDS = (
    "market street bridge school soldiers refugees children harbour train station temple palace gate wedding funeral "
    "students protest parade ceremony farmers village river mountain snow winter summer tram bicycle shop tailor "
    "teacher family portrait uniform flag crowd rally church hospital factory workers fishermen boats kimchi rice"
).split()
# Names of people, streets and shops: each appears in few descriptions, like most words a curator searches for.
NAMES = [f"name{index:04d}" for index in range(2000)]
PLACES = ["Seoul", "Busan", "Daegu", "Incheon", "Gwangju", "Daejeon", "Ulsan", "Suwon", "Jeonju", "Mokpo", "Pyongyang", ""]
BATCH = 5000


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def seed(catalog: db.Catalog, *, photos: int, colorizations_per_photo: int, rng: random.Random) -> None:
    """Bulk-insert photos and colorizations consistent with the workflow (status kept in step)."""
    with catalog.session() as session:
        user = db.get_local_user(session=session)
        user_id = user.id
        eras = [term.id for term in db.list_terms(session=session, kind="era")]
        events = [term.id for term in db.list_terms(session=session, kind="event")]
    statuses = list(ColorizationStatus)
    photo_status = {
        ColorizationStatus.DRAFT: PhotoStatus.IN_REVIEW,
        ColorizationStatus.APPROVED: PhotoStatus.APPROVED,
        ColorizationStatus.REJECTED: PhotoStatus.REJECTED,
    }
    next_id = 1
    for start in range(0, photos, BATCH):
        photo_rows, colorization_rows = [], []
        for index in range(start, min(start + BATCH, photos)):
            year = rng.randint(1890, 1995) if rng.random() > 0.05 else None
            photo = Photo(
                title=_sentence(rng, 4).capitalize(), place=rng.choice(PLACES),
                description=f"{_sentence(rng, 12)} {rng.choice(NAMES)} {rng.choice(NAMES)}",
                identifier=f"ACC-{index:07d}", date_text=str(year or ""), original_filename=f"scan_{index:07d}.tif",
            )
            # a quarter of the photos have no candidate yet; the others 2 or 3 (``colorizations_per_photo`` on average)
            count = (0, colorizations_per_photo, colorizations_per_photo + 1, colorizations_per_photo + 1)[index % 4]
            chosen = [rng.choice(statuses[:3]) for _ in range(count)]
            status = PhotoStatus.NEW
            if ColorizationStatus.DRAFT in chosen:
                status = PhotoStatus.IN_REVIEW
            elif ColorizationStatus.APPROVED in chosen:
                status = PhotoStatus.APPROVED
            elif chosen:
                status = photo_status[chosen[-1]]
            approved_seen = False
            for candidate in chosen:
                if candidate is ColorizationStatus.APPROVED:
                    candidate = ColorizationStatus.SUPERSEDED if approved_seen else candidate
                    approved_seen = True
                colorization_rows.append(
                    {
                        "id": next_id, "photo_id": index + 1, "status": candidate.value, "hints": {"points": []},
                        "engine": "classical", "model_name": "", "model_version": "", "parameters": {},
                        "software_version": "bench", "output_sha256": f"{next_id:064x}", "output_width": 1200,
                        "output_height": 900, "palette": {}, "provenance_note": "", "review_note": "",
                        "created_by_id": user_id,
                    }
                )
                next_id += 1
            photo_rows.append(
                {
                    "id": index + 1, "sha256": f"{index:064x}", "original_filename": photo.original_filename,
                    "format": "TIFF", "width": 1200, "height": 900, "mode": "L", "bit_depth": 8, "size_bytes": 1_080_000,
                    "title": photo.title, "description": photo.description, "date_text": photo.date_text,
                    "year_from": year, "year_to": year, "place": photo.place, "source": "", "rights": "",
                    "identifier": photo.identifier, "era_id": rng.choice(eras), "event_id": rng.choice(events),
                    "status": status.value, "search_text": build_search_text(photo, []), "created_by_id": user_id,
                }
            )
        with catalog.session() as session:
            session.execute(insert(Photo), photo_rows)
            if colorization_rows:
                session.execute(insert(Colorization), colorization_rows)
    with catalog.engine.begin() as connection:
        if catalog.engine.dialect.name == "postgresql":
            for table in ("photos", "colorizations"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))


def measure(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and 90th percentile in milliseconds (after one warm-up call)."""
    function()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.9 * (len(timings) - 1))]


def run_queries(catalog: db.Catalog, *, repeats: int, rng: random.Random) -> dict[str, tuple[float, float, int]]:
    with catalog.read_session() as session:
        eras = [term.name for term in db.list_terms(session=session, kind="era")]
        events = [term.name for term in db.list_terms(session=session, kind="event")]
    statuses = [status.value for status in PhotoStatus]
    cases: dict[str, Callable[[], db.PhotoPage | dict]] = {}
    totals: dict[str, list[int]] = {}

    def listing(name: str, make_filter: Callable[[], db.PhotoFilter], page: int = 1) -> Callable[[], object]:
        def call() -> object:
            with catalog.read_session() as session:
                result = db.list_photos(session=session, filters=make_filter(), sort="date", page=page, per_page=20)
            totals.setdefault(name, []).append(result.total)
            return result
        return call

    cases["filtered (era+event+status+search, page 1 of 50, by date)"] = listing(
        "filtered",
        lambda: db.PhotoFilter(era=rng.choice(eras), event=rng.choice(events), status=rng.choice(statuses),
                               search=rng.choice(WORDS)),
    )
    cases["search only (a name, page 1 of 50, by date)"] = listing("search", lambda: db.PhotoFilter(search=rng.choice(NAMES)))
    cases["common words (two frequent words, page 1 of 50, by date)"] = listing(
        "common", lambda: db.PhotoFilter(search=rng.choice(WORDS) + " " + rng.choice(WORDS))
    )
    cases["filters only (era+event+status, page 2 of 50, by date)"] = listing(
        "filters", lambda: db.PhotoFilter(era=rng.choice(eras), event=rng.choice(events), status=rng.choice(statuses)), page=2
    )

    def counts() -> object:
        with catalog.read_session() as session:
            return db.count_photos_by_status(session=session, filters=db.PhotoFilter(era=rng.choice(eras)))

    cases["status counts for one era"] = counts
    results = {}
    for name, call in cases.items():
        median, p90 = measure(call, repeats)
        key = name.split(" ")[0]
        matched = totals.get(key)
        results[name] = (median, p90, int(statistics.median(matched)) if matched else -1)
    return results


def benchmark(url: str, label: str, *, photos: int, per_photo: int, repeats: int, data_dir: Path) -> dict[str, tuple[float, float, int]]:
    settings = db.load_settings({}, data_dir=data_dir, database_url=url)
    catalog = db.open_catalog(settings)
    try:
        rng = random.Random(1)
        started = time.perf_counter()
        seed(catalog, photos=photos, colorizations_per_photo=per_photo, rng=rng)
        with catalog.read_session() as session:
            sizes = [session.scalar(text(f"SELECT count(*) FROM {table}")) for table in ("photos", "colorizations")]
        print(f"[{label}] {sizes[0]:,} photos, {sizes[1]:,} colorizations")
        print(f"[{label}] seeded in {time.perf_counter() - started:.0f} s")
        results = run_queries(catalog, repeats=repeats, rng=random.Random(2))
        for name, (median, p90, matched) in results.items():
            print(f"[{label}] {name}: median {median:.1f} ms, p90 {p90:.1f} ms, median matches {matched if matched >= 0 else '-'}")
        return results
    finally:
        catalog.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="PostgreSQL admin URL; the benchmark creates and drops its own database")
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--colorizations-per-photo", type=int, default=2, help="average (0, n, n+1, n+1 in turn)")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--no-write", action="store_true", help="do not append to catalog_results.md")
    args = parser.parse_args()
    all_results: dict[str, dict[str, tuple[float, float, int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        all_results["SQLite"] = benchmark(sqlite_url, "SQLite", photos=args.photos, per_photo=args.colorizations_per_photo,
                                          repeats=args.repeats, data_dir=Path(folder))
        if args.postgres:
            admin = make_url(args.postgres)
            name = f"findcolor_bench_{uuid.uuid4().hex[:8]}"
            engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f"CREATE DATABASE {name}"))
            try:
                url = admin.set(database=name).render_as_string(hide_password=False)
                all_results["PostgreSQL"] = benchmark(url, "PostgreSQL", photos=args.photos,
                                                      per_photo=args.colorizations_per_photo, repeats=args.repeats,
                                                      data_dir=Path(folder))
                with engine.connect() as connection:
                    server = connection.execute(text("SHOW server_version")).scalar()
            finally:
                with engine.connect() as connection:
                    connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                engine.dispose()
    if not args.no_write:
        lines = [
            f"\n## {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {args.photos:,} photos, "
            f"{args.photos * args.colorizations_per_photo:,} colorizations\n",
            f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
            f"SQLite {__import__('sqlite3').sqlite_version}"
            + (f", PostgreSQL {server}" if args.postgres else "") + f"; {args.repeats} timed runs per query (ms).\n",
            "| backend | query | median | p90 | median matches |",
            "|---|---|---:|---:|---:|",
        ]
        for backend, results in all_results.items():
            for name, (median, p90, matched) in results.items():
                lines.append(f"| {backend} | {name} | {median:.1f} | {p90:.1f} | {matched if matched >= 0 else '–'} |")
        with open(RESULTS, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
