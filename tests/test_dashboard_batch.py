"""The batch-runs page: a curator starts a run for a selection; its progress and drafts show up."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import db
from dashboard_support import add_photo, assert_clean, open_test_catalog, shown, start_app

BATCH = "views/batch.py"


def test_a_run_started_on_the_page_drafts_the_selection_and_shows_its_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    war = [add_photo(catalog, shift=shift, size=96, era="Korean War") for shift in (1, 2, 3)]
    other = add_photo(catalog, shift=4, size=96, era="Liberation")
    app = start_app(BATCH)
    assert_clean(app)
    app.selectbox(key="batch-era").select("Korean War").run()
    app.selectbox(key="batch-engine").select("classical").run()
    app.number_input(key="batch-workers").set_value(1).run()
    next(button for button in app.button if button.label == "Start the run").click().run()
    assert_clean(app)
    assert shown(app.success[0].value).startswith("Batch run #1 started: 3 photos")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with catalog.read_session() as session:
            run = db.get_batch_run(session=session, run_id=1)
        if run.status is not db.BatchRunStatus.RUNNING:
            break
        time.sleep(0.2)
    assert run.status is db.BatchRunStatus.FINISHED and run.done == 3
    with catalog.read_session() as session:
        drafted = sorted(item.photo_id for item in db.list_batch_colorizations(session=session, run_id=1))
        assert not db.list_colorizations(session=session, photo_id=other)
    assert drafted == sorted(war)
    app.run()
    assert_clean(app)
    table = app.dataframe[0].value
    assert list(table["run"]) == [1] and list(table["done"]) == [3] and list(table["status"]) == ["finished"]
    assert any("waiting for review: 3" in item.value for item in app.markdown)
    catalog.close()
