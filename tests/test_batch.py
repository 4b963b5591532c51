"""Batch runs over real photos, on SQLite and PostgreSQL: one draft per photo, idempotent, resumable,
failures recorded, cancelling, a dying worker, and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import db
import findcolor
from batch_support import ERA, EVENT, KHAKI, crash_once, drafts_by_photo, duplicates, fill_catalog
from db.batch import BatchFilters, EngineIdentity, plan_batch_run
from db.batch_runner import InlineExecutor, LocalPool, resolve_engine, run_batch
from db.catalog import Catalog
from db.errors import PermissionDenied, RecordImmutable
from findcolor.cli import main

FILTERS = BatchFilters(era=ERA, event=EVENT, status="new")


@pytest.fixture
def catalog_env(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    """The catalog, also named by the FINDCOLOR_* variables the command line reads."""
    monkeypatch.setenv("FINDCOLOR_DATABASE_URL", catalog.settings.database_url)
    monkeypatch.setenv("FINDCOLOR_DATA_DIR", str(catalog.settings.data_dir))
    monkeypatch.setenv("FINDCOLOR_STORE_DIR", str(catalog.settings.store_dir))
    return catalog


def plan(catalog: Catalog, *, era_palette: bool = True, filters: BatchFilters = FILTERS, executor: str = "test") -> db.BatchRun:
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        return plan_batch_run(session=session, actor=me, filters=filters, engine=resolve_engine("classical"),
                              era_palette=era_palette, executor=executor)  # fmt: skip


def run(catalog: Catalog, run_id: int, executor=None, **options) -> db.BatchRun:  # type: ignore[no-untyped-def]
    with catalog.read_session() as session:
        me = db.get_local_user(session=session)
    return run_batch(catalog=catalog, actor=me, run_id=run_id, executor=executor or InlineExecutor(), **options)


def test_batch_run_drafts_each_photo_once_with_the_era_palette_and_a_second_run_does_nothing(catalog: Catalog) -> None:
    photo_ids = fill_catalog(catalog)
    planned = plan(catalog)
    assert planned.planned == 20 and planned.status is db.BatchRunStatus.RUNNING
    finished = run(catalog, planned.id, LocalPool(workers=2, engine="classical"))
    assert finished.status is db.BatchRunStatus.FINISHED and finished.finished_at is not None
    assert (finished.done, finished.failed, finished.skipped) == (20, 0, 0)
    drafts = drafts_by_photo(catalog, photo_ids)
    assert all(len(items) == 1 for items in drafts.values())
    with catalog.read_session() as session:
        khaki = db.get_reference_color(session=session, name="Army khaki")
        listed = db.list_batch_colorizations(session=session, run_id=planned.id)
        assert db.get_photo(session=session, photo_id=photo_ids[0]).status is db.PhotoStatus.IN_REVIEW
    assert sorted(item.photo_id for item in listed) == sorted(photo_ids)
    for (draft,) in drafts.values():
        palette = draft.hints["palette"]
        assert {"color": "#a03020", "weight": 1.0} in palette  # the era palette of the approved work
        assert {"color": KHAKI, "weight": 1.0, "reference": khaki.id} in palette  # the era's reference colour
        assert draft.provenance_note.startswith(f"batch run #{planned.id}, era palette of {ERA}/{EVENT}")
        assert draft.engine == "classical" and draft.parameters["batch_run_id"] == planned.id
    again = plan(catalog)
    assert again.planned == 0 and again.status is db.BatchRunStatus.FINISHED
    unfiltered = plan(catalog, filters=BatchFilters(era=ERA))  # the approved photo's candidate is another model's
    assert unfiltered.planned == 1
    assert duplicates(catalog, photo_ids) == {photo_id: 1 for photo_id in photo_ids}


def test_without_era_palette_drafts_carry_no_global_hints(catalog: Catalog) -> None:
    photo_ids = fill_catalog(catalog, count=3)
    planned = plan(catalog, era_palette=False)
    run(catalog, planned.id)
    for (draft,) in drafts_by_photo(catalog, photo_ids).values():
        assert draft.hints == findcolor.parse_hints({}).to_dict() and not draft.hints["palette"]
        assert draft.provenance_note == f"batch run #{planned.id}, no global hints"


def test_a_killed_run_resumes_the_rest_without_duplicates(catalog_env: Catalog) -> None:
    catalog = catalog_env
    photo_ids = fill_catalog(catalog, palette_source=False)
    env = dict(os.environ)
    command = [sys.executable, "-m", "findcolor", "batch", "--era", ERA, "--engine", "classical", "--workers", "1", "--quiet"]
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    done = 0
    try:
        while time.monotonic() < deadline and process.poll() is None:
            with catalog.read_session() as session:
                runs = db.list_batch_runs(session=session)
                done = runs[0].done if runs else 0
            if done >= 2:
                break
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the driver and its worker process, mid-run
        process.wait()
    assert 2 <= done < 20, f"the run was not caught mid-way (done {done}): {process.stderr.read().decode()[-500:]}"
    with catalog.read_session() as session:
        (killed,) = db.list_batch_runs(session=session)
    assert killed.status is db.BatchRunStatus.RUNNING and killed.remaining > 0
    assert main(["batch", "resume", str(killed.id), "--workers", "0", "--quiet"]) == 0
    with catalog.read_session() as session:
        resumed = db.get_batch_run(session=session, run_id=killed.id)
    assert resumed.status is db.BatchRunStatus.FINISHED and resumed.done + resumed.skipped == 20 and resumed.failed == 0
    assert duplicates(catalog, photo_ids) == {photo_id: 1 for photo_id in photo_ids}


def test_a_photo_that_fails_is_recorded_with_its_reason_and_the_others_complete(
    catalog_env: Catalog, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = catalog_env
    photo_ids = fill_catalog(catalog, count=5, palette_source=False)
    with catalog.read_session() as session:
        broken = db.get_photo(session=session, photo_id=photo_ids[2])
    catalog.store.path(broken.sha256).unlink()  # the stored original is gone
    planned = plan(catalog, era_palette=False)
    finished = run(catalog, planned.id)
    assert (finished.status, finished.done, finished.failed) == (db.BatchRunStatus.FINISHED, 4, 1)
    with catalog.read_session() as session:
        (failure,) = db.list_batch_failures(session=session, run_id=planned.id)
    assert failure.photo_id == broken.id and "missing" in failure.reason and failure.attempts == 2
    assert [len(items) for items in drafts_by_photo(catalog, photo_ids).values()] == [1, 1, 0, 1, 1]
    assert main(["batch", "status", str(planned.id)]) == 0
    shown = capsys.readouterr().out
    assert f"#{planned.id}" in shown and "4/5 done, 1 failed" in shown and f"photo #{broken.id}: stored file" in shown


def test_cancelling_stops_the_run_and_resume_finishes_it(catalog: Catalog, catalog_users) -> None:  # type: ignore[no-untyped-def]
    photo_ids = fill_catalog_as(catalog, catalog_users["curator"], count=6)
    with catalog.session() as session:
        with pytest.raises(PermissionDenied):
            plan_batch_run(session=session, actor=catalog_users["viewer"], filters=FILTERS,
                           engine=resolve_engine("classical"))  # fmt: skip
        planned = plan_batch_run(session=session, actor=catalog_users["curator"], filters=FILTERS,
                                 engine=resolve_engine("classical"))  # fmt: skip

    def cancel_after_first(progress) -> None:  # type: ignore[no-untyped-def]
        if progress.done == 1:
            with catalog.session() as session:
                db.cancel_batch_run(session=session, actor=catalog_users["curator2"], run_id=planned.id)

    stopped = run_batch(catalog=catalog, actor=catalog_users["curator"], run_id=planned.id, executor=InlineExecutor(),
                        progress=cancel_after_first)  # fmt: skip
    assert stopped.status is db.BatchRunStatus.CANCELLED and stopped.done == 1 and stopped.remaining == 5
    with catalog.session() as session:
        with pytest.raises(RecordImmutable, match="already cancelled"):
            db.cancel_batch_run(session=session, actor=catalog_users["curator"], run_id=planned.id)
        db.resume_batch_run(session=session, actor=catalog_users["curator"], run_id=planned.id)
    finished = run_batch(catalog=catalog, actor=catalog_users["curator"], run_id=planned.id, executor=InlineExecutor())
    assert finished.status is db.BatchRunStatus.FINISHED and finished.done == 6
    assert duplicates(catalog, photo_ids) == {photo_id: 1 for photo_id in photo_ids}
    with catalog.read_session() as session:
        actions = [event.action for event in db.list_audit_events(session=session, entity_type="batch_run")]
    assert actions == ["batch.finish", "batch.resume", "batch.cancel", "batch.start"]


def fill_catalog_as(catalog: Catalog, curator: db.User, *, count: int) -> list[int]:
    from batch_support import real_scans

    with catalog.session() as session:
        return [
            db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=curator,
                            filename=f"s{index}.png", data=scan, metadata={"era": ERA, "event": EVENT}).photo_id
            for index, scan in enumerate(real_scans(count))
        ]  # fmt: skip


def test_a_worker_process_that_dies_does_not_fail_the_run(catalog: Catalog) -> None:
    photo_ids = fill_catalog(catalog, count=4, palette_source=False)
    Path(catalog.store.root, f"crash-{photo_ids[1]}").touch()  # its first attempt kills the worker process
    planned = plan(catalog, era_palette=False)
    finished = run(catalog, planned.id, LocalPool(workers=1, engine="classical", task=crash_once))
    assert (finished.status, finished.done, finished.failed) == (db.BatchRunStatus.FINISHED, 4, 0)
    assert not Path(catalog.store.root, f"crash-{photo_ids[1]}").exists()  # the crash did happen
    assert duplicates(catalog, photo_ids) == {photo_id: 1 for photo_id in photo_ids}


def test_a_worker_with_another_model_version_records_no_draft(catalog: Catalog) -> None:
    photo_ids = fill_catalog(catalog, count=2, palette_source=False)
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        planned = plan_batch_run(session=session, actor=me, filters=FILTERS,
                                 engine=EngineIdentity(requested="classical", engine="classical", model_version="older/0"))  # fmt: skip
    finished = run(catalog, planned.id)
    assert (finished.done, finished.failed) == (0, 2)
    with catalog.read_session() as session:
        reasons = {item.reason for item in db.list_batch_failures(session=session, run_id=planned.id)}
    assert len(reasons) == 1 and "not the run's older/0" in reasons.pop()
    assert duplicates(catalog, photo_ids) == {photo_id: 0 for photo_id in photo_ids}
