"""The batch run on a local Ray instance gives the same candidates as the local worker pool.

One Ray instance for the whole test session (2 CPUs, no dashboard), small photos: a few seconds.
Ray is installed by requirements-dev.txt (through requirements-scale.txt); it is not optional here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

import db
from batch_support import ERA, EVENT, candidate_signature, fill_catalog
from db.batch import BatchFilters, plan_batch_run
from db.batch_runner import LocalPool, RayExecutor, make_executor, resolve_engine, run_batch
from db.catalog import Catalog


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def batch(catalog: Catalog, executor) -> db.BatchRun:  # type: ignore[no-untyped-def]
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        planned = plan_batch_run(session=session, actor=me, filters=BatchFilters(era=ERA, event=EVENT, status="new"),
                                 engine=resolve_engine("classical"), era_palette=True,
                                 executor=executor.description)  # fmt: skip
    return run_batch(catalog=catalog, actor=me, run_id=planned.id, executor=executor)


def test_ray_run_gives_the_same_candidates_as_the_local_pool(
    local_ray: None, catalog: Catalog, backend: str, test_databases, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    local_ids = fill_catalog(catalog)
    local_run = batch(catalog, LocalPool(workers=2, engine="classical"))
    settings = db.load_settings({}, data_dir=tmp_path / "ray", database_url=test_databases.fresh_url(backend, tmp_path / "ray"))
    on_ray = db.open_catalog(settings)
    try:
        ray_ids = fill_catalog(on_ray)
        ray_run = batch(on_ray, RayExecutor())
        assert (ray_run.status, ray_run.done, ray_run.failed) == (db.BatchRunStatus.FINISHED, 20, 0)
        assert ray_run.executor == "ray:connected" and local_run.executor == "local:2"
        local_candidates = candidate_signature(catalog, local_ids)
        ray_candidates = candidate_signature(on_ray, ray_ids)
    finally:
        on_ray.close()
    assert local_run.done == 20 and len(local_candidates) == 20
    assert ray_candidates == local_candidates  # same hints, same output SHA-256, same model version


def test_ray_address_from_the_environment_selects_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINDCOLOR_RAY_ADDRESS", "ray://head:10001")
    chosen = make_executor(workers=4)
    assert isinstance(chosen, RayExecutor) and chosen.description == "ray:ray://head:10001"
    monkeypatch.delenv("FINDCOLOR_RAY_ADDRESS")
    assert isinstance(make_executor(workers=4), LocalPool)
