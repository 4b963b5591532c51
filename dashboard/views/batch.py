"""Batch runs: draft colorizations of a whole era or event at once, and follow their progress.

A run started here works in the dashboard server's background on a local pool of worker
processes (the same code as ``findcolor batch``); runs started from the command line or on a
Ray cluster show up here too, since progress is read from the catalog.
"""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

import db
from dashboard.access import Viewer, acting_user, page_viewer
from dashboard.feedback import reported_errors
from dashboard.photo_filters import ANY, STATUS_LABELS, photo_filter_controls
from dashboard.plain_text import literal
from dashboard.resources import get_catalog
from db.batch_runner import LocalPool, resolve_engine, run_batch
from findcolor.pipeline import available_engines

FLASH_KEY = "batch-flash"


@st.cache_resource
def background_runs() -> dict[int, threading.Thread]:
    """Runs this server process is working on, by run id (shared by every session)."""
    return {}


def start_in_background(run_id: int, user_id: int, workers: int) -> None:
    """Work on a run in a background thread of this server; progress goes to the catalog."""
    catalog = get_catalog()

    def work() -> None:
        with catalog.read_session() as session:
            actor = db.get_user(session=session, user_id=user_id)
        run_batch(catalog=catalog, actor=actor, run_id=run_id, executor=LocalPool(workers=workers, engine=engine))

    with catalog.read_session() as session:
        engine = db.get_batch_run(session=session, run_id=run_id).engine_requested
    thread = threading.Thread(target=work, name=f"batch-run-{run_id}", daemon=True)
    background_runs()[run_id] = thread
    thread.start()


def start_form(viewer: Viewer) -> None:
    st.subheader("Start a run")
    filters = photo_filter_controls(key="batch", with_status=False, with_text=False)
    columns = st.columns(4)
    with columns[0]:
        picked = st.selectbox("Photo status", [ANY, *STATUS_LABELS.values()], index=1, key="batch-status")
        status = next((s.value for s, label in STATUS_LABELS.items() if label == picked), None)
    with columns[1]:
        engine = st.selectbox("Engine", available_engines(), key="batch-engine")
    with columns[2]:
        limit = st.number_input("At most (photos, 0 = all)", min_value=0, value=0, step=10, key="batch-limit")
    with columns[3]:
        workers = st.number_input("Worker processes", min_value=1, max_value=16, value=2, key="batch-workers")
    era_palette = st.checkbox(
        "Use the archive's colours: the era/event palette of approved work and its reference colours",
        value=True, key="batch-era-palette",
    )  # fmt: skip
    if st.button("Start the run", type="primary", icon=":material/play_arrow:", disabled=not viewer.may(db.Role.CURATOR)):
        with reported_errors("Change the selection and try again."):
            catalog = get_catalog()
            identity = resolve_engine(engine)
            batch_filters = db.BatchFilters(era=filters.era, event=filters.event, status=status, limit=int(limit) or None)
            with catalog.session() as session:
                user = acting_user(session, viewer)
                run = db.plan_batch_run(session=session, actor=user, filters=batch_filters, engine=identity,
                                        era_palette=era_palette, executor=f"local:{int(workers)}")  # fmt: skip
                run_id, planned, user_id = run.id, run.planned, user.id
            if planned:
                start_in_background(run_id, user_id, int(workers))
                st.session_state[FLASH_KEY] = f"Batch run #{run_id} started: {planned} photos to colorize."
            else:
                st.session_state[FLASH_KEY] = "Nothing to do: every selected photo already has a draft or approval from this model."
            st.rerun()


def run_rows(runs: list[db.BatchRun]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run": run.id,
                "status": run.status.value,
                "progress": (run.done + run.failed + run.skipped) / run.planned if run.planned else 1.0,
                "done": run.done,
                "failed": run.failed,
                "skipped": run.skipped,
                "planned": run.planned,
                "photos": ", ".join(f"{key} {value}" for key, value in run.filters.items()) or "all",
                "era palette": run.era_palette,
                "engine": f"{run.engine} {run.model_version}",
                "where": run.executor,
                "by": run.created_by.username,
                "started": run.started_at,
            }
            for run in runs
        ]
    )


@st.fragment(run_every=3)
def runs_panel(viewer: Viewer) -> None:
    """Every run with its progress, refreshed every few seconds; cancel or resume one."""
    catalog = get_catalog()
    with catalog.read_session() as session:
        runs = db.list_batch_runs(session=session)
    st.subheader("Runs")
    if not runs:
        st.caption("No batch runs yet.")
        return
    st.dataframe(
        run_rows(runs), hide_index=True, width="stretch",
        column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)},
    )  # fmt: skip
    chosen = st.selectbox("Run", [run.id for run in runs], format_func=lambda run_id: f"#{run_id}", key="batch-run")
    run = next(run for run in runs if run.id == chosen)
    working_here = background_runs().get(run.id)
    columns = st.columns(2)
    with columns[0]:
        if run.status is db.BatchRunStatus.RUNNING and st.button("Cancel this run", icon=":material/stop:",
                                                                  disabled=not viewer.may(db.Role.CURATOR)):  # fmt: skip
            with reported_errors("Reload the page and try again."):
                with catalog.session() as session:
                    db.cancel_batch_run(session=session, actor=acting_user(session, viewer), run_id=run.id)
                st.rerun()
    with columns[1]:
        idle = working_here is None or not working_here.is_alive()
        if run.remaining and idle and run.status is not db.BatchRunStatus.RUNNING and st.button(
            "Resume this run", icon=":material/replay:", disabled=not viewer.may(db.Role.CURATOR)
        ):
            with reported_errors("Reload the page and try again."):
                with catalog.session() as session:
                    user = acting_user(session, viewer)
                    db.resume_batch_run(session=session, actor=user, run_id=run.id, executor="local:2")
                    user_id = user.id
                start_in_background(run.id, user_id, 2)
                st.rerun()
    with catalog.read_session() as session:
        failures = db.list_batch_failures(session=session, run_id=run.id)
        drafts = db.list_batch_colorizations(session=session, run_id=run.id, status=db.ColorizationStatus.DRAFT)
    if failures:
        st.markdown(f"**Failed photos of run #{run.id}**")
        st.dataframe(pd.DataFrame([{"photo": item.photo_id, "attempts": item.attempts, "reason": item.reason}
                                   for item in failures]), hide_index=True)  # fmt: skip
    st.markdown(f"**Drafts of run #{run.id} waiting for review: {len(drafts)}**")
    if drafts and viewer.may(db.Role.REVIEWER):
        st.page_link("views/review.py", label=f"Review the drafts of run #{run.id}", icon=":material/rate_review:", query_params={"batch": run.id})
    if drafts:
        st.dataframe(
            pd.DataFrame([{"candidate": c.id, "photo": c.photo_id, "title": c.photo.title, "note": c.provenance_note}
                          for c in drafts]), hide_index=True,
        )  # fmt: skip


def show_batch(viewer: Viewer) -> None:
    if flash := st.session_state.pop(FLASH_KEY, None):
        st.success(literal(flash))
    start_form(viewer)
    runs_panel(viewer)


st.title("Batch runs")
st.caption(
    "A first draft for every photo of an era or event that has none from this model yet, made with the "
    "archive's own colours when asked. Drafts wait in the review queue like any other candidate."
)
show_batch(page_viewer())
