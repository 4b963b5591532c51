"""Running a batch: colorize the pending items of a run on workers, record each result as it comes.

Who does what:

* **Workers** (processes of a local pool, or Ray workers of a cluster) each load the engine once
  (``findcolor.get_engine`` is cached per process), read the original from the file store,
  colorize it at full resolution, encode the PNG, and hand the bytes back. A failing photo is
  retried up to ``max_attempts`` times inside the worker, then returned as failed with its one-line
  reason; a worker process that dies is replaced and its photo retried (pool rebuilt locally,
  Ray's task ``max_retries`` on a cluster), so one crash does not fail the run.
* **The driver** (this process) is the only writer: it records every result through the data
  layer (:func:`db.batch.record_batch_result`) in its own transaction. One writer keeps the
  catalog rules (hint validation, reference checks, audit, photo status) in one place and needs
  no database access from the workers, which on a cluster may not reach the database at all.
  At 1-2 s of colorization per photo per core, one writer records hundreds of results a second,
  far more than a few hundred workers produce.

Executors: :class:`LocalPool` (default, ``--workers N``), :class:`RayExecutor` (``--ray ADDRESS``,
Ray installed as an optional extra), :class:`InlineExecutor` (``--workers 0``: in this process).
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select

import findcolor
from findcolor.errors import FindColorError

from db.batch import (
    EngineIdentity,
    finish_batch_run,
    one_line,
    pending_items,
    record_batch_failure,
    record_batch_result,
    require_batch_run,
)
from db.batch_models import BatchRun, BatchRunStatus
from db.catalog import Catalog
from db.errors import CatalogError, InvalidInput
from db.models import Photo, User
from db.object_store import ObjectStore, open_store

log = logging.getLogger(__name__)

RAY_ADDRESS_ENV = "FINDCOLOR_RAY_ADDRESS"
DEFAULT_MAX_ATTEMPTS = 2
DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class WorkItem:
    """One photo to colorize: everything a worker needs, nothing of the database."""

    photo_id: int
    sha256: str  # the original's key in the file store
    hints: dict[str, Any]
    engine: str  # the engine name requested ("auto", "neural", "classical")
    store_root: str  # the local store folder, or its cache folder when store_url is set
    store_url: str | None  # s3://bucket/prefix when the store is in object storage
    endpoint_url: str | None  # the S3 endpoint (credentials come from the worker's own environment)
    max_pixels: int
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


@dataclass(frozen=True)
class WorkResult:
    photo_id: int
    output_png: bytes | None  # None when every attempt failed
    attempts: int
    reason: str = ""  # one line, for failures
    seconds: float = 0.0
    model_version: str = ""  # of the engine the worker used: must be the run's (checked by the driver)

    @property
    def ok(self) -> bool:
        return self.output_png is not None


def resolve_engine(name: str) -> EngineIdentity:
    """The engine ``name`` resolves to here, as drafts record it (loads the model once in this process)."""
    engine = findcolor.get_engine(name)
    weights = getattr(engine, "weights", None)
    return EngineIdentity(
        requested=name,
        engine=engine.name,
        model_name=str(weights.metadata.get("model_name", "hintnet")) if weights is not None else "",
        model_version=str(engine.version),
        weights_sha256=getattr(weights, "sha256", None),
    )


def encode_png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def colorize_work_item(item: WorkItem) -> WorkResult:
    """Colorize one photo in a worker; never raises for a photo's own failure (returns it instead)."""
    started = time.perf_counter()
    reason = ""
    for attempt in range(1, item.max_attempts + 1):
        try:
            store = open_store(store_dir=item.store_root, store_url=item.store_url, endpoint_url=item.endpoint_url)
            original = store.read_bytes(item.sha256)
            version = str(findcolor.get_engine(item.engine).version)
            image = findcolor.colorize(original, item.hints, engine=item.engine, max_pixels=item.max_pixels)
            return WorkResult(item.photo_id, encode_png(image), attempt, seconds=time.perf_counter() - started,
                              model_version=version)  # fmt: skip
        except FindColorError as exc:
            reason = one_line(str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure of one photo is that photo's, recorded with its reason
            reason = one_line(f"{type(exc).__name__}: {exc}")
            log.debug("photo #%d failed: %s", item.photo_id, traceback.format_exc())
    return WorkResult(item.photo_id, None, item.max_attempts, reason, time.perf_counter() - started)


class Executor(Protocol):
    description: str

    def results(self, items: Iterable[WorkItem]) -> Iterator[WorkResult]:
        """Colorize ``items``, yielding results as they complete (any order); stops when closed."""
        ...


class InlineExecutor:
    """In the driver's own process, one photo at a time (``--workers 0``; debugging, tiny runs)."""

    description = "inline"

    def results(self, items: Iterable[WorkItem]) -> Iterator[WorkResult]:
        for item in items:
            yield colorize_work_item(item)


def _init_local_worker(engine: str, threads: int) -> None:
    """Each pool process: share the cores fairly and load the engine once, before the first photo."""
    import torch

    torch.set_num_threads(max(1, threads))
    findcolor.get_engine(engine)


@dataclass
class LocalPool:
    """A pool of worker processes on this machine (spawned: no forked torch threads)."""

    workers: int = DEFAULT_WORKERS
    engine: str = "auto"
    max_crashes: int = DEFAULT_MAX_ATTEMPTS  # pool rebuilds a photo may be part of before it counts as failed
    task: Callable[[WorkItem], WorkResult] = colorize_work_item  # a module-level function (pickled by name)
    description: str = field(init=False)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise InvalidInput("--workers must be at least 1 for a worker pool (0 runs in this process)")
        self.description = f"local:{self.workers}"

    def _pool(self) -> ProcessPoolExecutor:
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_local_worker,
            initargs=(self.engine, threads),
        )

    def results(self, items: Iterable[WorkItem]) -> Iterator[WorkResult]:
        queue = iter(items)
        retry: list[WorkItem] = []
        crashes: dict[int, int] = {}
        pool = self._pool()
        in_flight: dict[Future[WorkResult], WorkItem] = {}
        try:
            while True:
                broken = False
                while len(in_flight) < 2 * self.workers and not broken:
                    item = retry.pop() if retry else next(queue, None)
                    if item is None:
                        break
                    try:
                        in_flight[pool.submit(self.task, item)] = item
                    except BrokenProcessPool:  # a worker died before this photo could be handed over
                        retry.append(item)
                        broken = True
                finished = wait(in_flight, return_when=FIRST_COMPLETED)[0] if in_flight else set()
                if not in_flight and not broken:
                    return
                for future in finished:
                    item = in_flight.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        broken = True
                        crashes[item.photo_id] = crashes.get(item.photo_id, 0) + 1
                        if crashes[item.photo_id] >= self.max_crashes:
                            yield WorkResult(item.photo_id, None, crashes[item.photo_id], "a worker process died while colorizing it")
                        else:
                            retry.append(item)
                if broken:  # every photo in flight is lost with the pool: new pool, try them again
                    log.warning("a batch worker process died; starting a new pool")
                    for future, item in in_flight.items():
                        crashes[item.photo_id] = crashes.get(item.photo_id, 0) + 1
                        retry.append(item)
                    in_flight.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class RayExecutor:
    """Ray tasks on a cluster (``ray.init(address)``); each Ray worker process loads the engine once.

    ``address`` None uses the Ray instance this process is already connected to. Workers on other
    machines read the originals from the store, so a multi-machine cluster needs the store in object
    storage (``FINDCOLOR_STORE_URL``) or on a shared mount at the same path. Tasks are
    retried by Ray when their worker dies (``max_retries``); at most ``2 x cluster CPUs`` photos are
    in flight, so the driver never holds more than that many outputs.
    """

    address: str | None = None
    max_retries: int = DEFAULT_MAX_ATTEMPTS
    description: str = field(init=False)

    def __post_init__(self) -> None:
        self.description = f"ray:{self.address or 'connected'}"

    def _connect(self):  # type: ignore[no-untyped-def]
        try:
            import ray
        except ImportError:
            raise InvalidInput("--ray needs Ray: pip install -r requirements-scale.txt") from None
        if not ray.is_initialized():
            ray.init(address=self.address)  # workers need this package and weights installed (docs/SCALE.md)
        return ray

    def results(self, items: Iterable[WorkItem]) -> Iterator[WorkResult]:
        ray = self._connect()
        task = ray.remote(num_cpus=1, max_retries=self.max_retries)(colorize_work_item)
        window = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        queue = iter(items)
        in_flight: dict[Any, WorkItem] = {}
        try:
            while True:
                while len(in_flight) < window:
                    item = next(queue, None)
                    if item is None:
                        break
                    in_flight[task.remote(item)] = item
                if not in_flight:
                    return
                ready, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in ready:
                    item = in_flight.pop(ref)
                    try:
                        yield ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 - worker died past its retries, node lost, ...
                        yield WorkResult(item.photo_id, None, self.max_retries + 1, one_line(f"{type(exc).__name__}: {exc}"))
        finally:
            for ref in in_flight:
                ray.cancel(ref, force=True)


def make_executor(*, workers: int | None = None, ray_address: str | None = None, engine: str = "auto") -> Executor:
    """Ray when an address is given (or FINDCOLOR_RAY_ADDRESS is set), else a local pool of ``workers``."""
    address = ray_address or os.environ.get(RAY_ADDRESS_ENV) or None
    if address:
        return RayExecutor(address=address)
    workers = DEFAULT_WORKERS if workers is None else workers
    if workers == 0:
        return InlineExecutor()
    return LocalPool(workers=workers, engine=engine)


@dataclass(frozen=True)
class Progress:
    run_id: int
    planned: int
    done: int
    failed: int
    skipped: int
    last: WorkResult | None = None


def _work_items(*, catalog: Catalog, run_id: int, engine: str, max_attempts: int, stop: Callable[[], bool]) -> Iterator[WorkItem]:
    """The run's pending items, read page by page (a million-photo run is never loaded whole)."""
    after = 0
    while not stop():
        with catalog.read_session() as session:
            items = pending_items(session=session, run_id=run_id, after_photo_id=after)
            wanted = [item.photo_id for item in items]
            hashes = dict(session.execute(select(Photo.id, Photo.sha256).where(Photo.id.in_(wanted))).all())
        if not items:
            return
        for item in items:
            yield WorkItem(
                photo_id=item.photo_id,
                sha256=hashes[item.photo_id],
                hints=item.hints,
                engine=engine,
                store_root=str(catalog.settings.store_dir),
                store_url=catalog.settings.store_url,
                endpoint_url=catalog.store.endpoint_url if isinstance(catalog.store, ObjectStore) else None,
                max_pixels=catalog.settings.max_pixels,
                max_attempts=max_attempts,
            )
        after = items[-1].photo_id


def run_batch(
    *,
    catalog: Catalog,
    actor: User | None,
    run_id: int,
    executor: Executor,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BatchRun:
    """Colorize every pending item of run ``run_id`` and record the results; returns the run at the end.

    Stops early (leaving items pending) when the run is cancelled or ``should_stop()`` is true.
    """
    with catalog.read_session() as session:
        run = require_batch_run(session=session, run_id=run_id)
        engine, model_version = run.engine_requested, run.model_version
    stopped = False

    def stop() -> bool:
        return stopped or (should_stop is not None and should_stop())

    items = _work_items(catalog=catalog, run_id=run_id, engine=engine, max_attempts=max_attempts, stop=stop)
    results = executor.results(items)
    try:
        for result in results:
            with catalog.session() as session:
                if result.ok and result.model_version != model_version:  # never record a draft under the wrong model
                    record_batch_failure(session=session, actor=actor, run_id=run_id, photo_id=result.photo_id,
                                         reason=f"the worker's engine is {result.model_version}, not the run's "
                                         f"{model_version} (install the same weights everywhere)",
                                         attempts=result.attempts)  # fmt: skip
                elif result.ok:
                    try:
                        with session.begin_nested():
                            record_batch_result(
                                session=session, store=catalog.store, settings=catalog.settings, actor=actor,
                                run_id=run_id, photo_id=result.photo_id, output_png=result.output_png or b"",
                                attempts=result.attempts,
                            )  # fmt: skip
                    except CatalogError as exc:  # the output was refused (e.g. wrong size): that photo failed
                        record_batch_failure(session=session, actor=actor, run_id=run_id, photo_id=result.photo_id,
                                             reason=str(exc), attempts=result.attempts)  # fmt: skip
                else:
                    record_batch_failure(session=session, actor=actor, run_id=run_id, photo_id=result.photo_id,
                                         reason=result.reason, attempts=result.attempts)  # fmt: skip
                run = require_batch_run(session=session, run_id=run_id)
                counts = Progress(run_id, run.planned, run.done, run.failed, run.skipped, result)
            if progress is not None:
                progress(counts)
            with catalog.read_session() as session:  # cancelled meanwhile (the dashboard, another shell)?
                cancelled = require_batch_run(session=session, run_id=run_id).status is BatchRunStatus.CANCELLED
            if cancelled or stop():
                stopped = True
                break
    finally:
        results.close()  # type: ignore[attr-defined]
    with catalog.session() as session:
        return finish_batch_run(session=session, actor=actor, run_id=run_id)
