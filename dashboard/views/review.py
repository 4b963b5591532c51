"""Review: approve or reject draft colorization candidates, with the hints shown on the photo."""

from __future__ import annotations

import io

import streamlit as st
from PIL import Image

import db
from dashboard.access import Viewer, acting_user, page_viewer
from dashboard.feedback import reported_errors
from dashboard.hint_overlay import overlay_hints
from dashboard.photo_rows import candidate_row, photo_row
from dashboard.plain_text import literal
from dashboard.resources import display_bytes, get_catalog

FLASH_KEY = "review-flash"
ALL_DRAFTS = 0  # the batch-run filter's "every draft" choice (run ids start at 1)


def decide(viewer: Viewer, colorization_id: int, approve: bool, note: str) -> None:
    """Approve or reject through the data layer, which enforces roles, four-eyes and supersede."""
    catalog = get_catalog()
    with catalog.session() as session:
        action = db.approve_colorization if approve else db.reject_colorization
        action(
            session=session,
            settings=catalog.settings,
            actor=acting_user(session, viewer),
            colorization_id=colorization_id,
            note=note.strip(),
        )
    verb = "Approved" if approve else "Rejected"
    st.session_state[FLASH_KEY] = f"{verb} candidate #{colorization_id}."
    st.rerun()


def batch_run_filter() -> int:
    """The batch run whose drafts to review (``ALL_DRAFTS`` for every draft); ``?batch=N`` preselects one."""
    with get_catalog().read_session() as session:
        runs = {run.id: f"Batch run #{run.id} · {run.started_at:%Y-%m-%d %H:%M} · {run.done} drafted" for run in db.list_batch_runs(session=session)}
    if not runs:
        return ALL_DRAFTS
    options = [ALL_DRAFTS, *runs]
    asked = st.query_params.get("batch", "")
    index = options.index(int(asked)) if asked.isdigit() and int(asked) in runs else 0
    labels = {ALL_DRAFTS: "Every draft", **runs}
    return st.selectbox("Made by", options, index=index, format_func=labels.get, key="review-batch")


def show_review(viewer: Viewer) -> None:
    if flash := st.session_state.pop(FLASH_KEY, None):
        st.success(flash)
    catalog = get_catalog()
    run_id = batch_run_filter()
    with catalog.read_session() as session:
        if run_id == ALL_DRAFTS:
            drafts = db.list_colorizations(session=session, status=db.ColorizationStatus.DRAFT)
        else:
            drafts = db.list_batch_colorizations(session=session, run_id=run_id, status=db.ColorizationStatus.DRAFT)
        queue = [(candidate_row(c), photo_row(c.photo)) for c in drafts]
        four_eyes = db.four_eyes_applies(session=session, settings=catalog.settings)
    if not queue:
        st.info("Nothing waits for review." if run_id == ALL_DRAFTS else f"No draft of batch run #{run_id} waits for review.")
        return
    labels = {candidate.id: f"#{candidate.id} · {photo.heading} · by {candidate.author} · {candidate.created}" for candidate, photo in queue}
    chosen = st.selectbox(f"Queue ({len(queue)} waiting)", list(labels), format_func=labels.get, key="review-choice")
    candidate, photo = next(item for item in queue if item[0].id == chosen)

    original_column, candidate_column = st.columns(2)
    with reported_errors("A stored file is missing; run `findcolor verify`."):
        original = Image.open(io.BytesIO(display_bytes(photo.sha256)))
        original_column.image(
            overlay_hints(original, candidate.hints, (photo.width, photo.height)),
            caption=f"Original with the hints ({len(candidate.hints.get('points', []))} points, "
            f"{len(candidate.hints.get('strokes', []))} strokes)",
            width="stretch",
        )
        candidate_column.image(display_bytes(candidate.output_sha256), caption="Candidate", width="stretch")
    st.markdown(f"**Basis for these colours:** {literal(candidate.provenance_note or '—')}")
    st.caption(f"Engine: {literal(candidate.engine_label)}", help=literal(f"Full identifier: {candidate.engine} {candidate.model}"))
    if palette := candidate.hints.get("palette"):
        st.caption("Palette hints: " + ", ".join(entry["color"] for entry in palette))

    own = four_eyes and candidate.author_id == viewer.id  # no Approve button that could only fail
    if own:
        st.info("You made this candidate: another reviewer approves it (four-eyes rule). You may withdraw it "
                "with Reject.", icon=":material/group:")  # fmt: skip
    note = st.text_area("Review note", key=f"review-note-{candidate.id}", placeholder="What you checked, or what to change")
    approve_column, reject_column = st.columns(2)
    approve = not own and approve_column.button("Approve", type="primary", icon=":material/check:", width="stretch")
    reject = reject_column.button("Reject", icon=":material/close:", width="stretch")
    if approve or reject:  # both buttons are drawn before deciding, so an error leaves both there
        with reported_errors("Ask another reviewer, or pick another candidate."):
            decide(viewer, candidate.id, approve, note)


st.title("Review")
st.caption(
    "Draft candidates wait here. Check the colours against the basis the curator gave; approving one "
    "publishes it and supersedes the photo's previously approved colorization."
)
show_review(page_viewer())
