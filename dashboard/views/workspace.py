"""Workspace: paint what is known about a photo's colours, preview, and save a candidate."""

from __future__ import annotations

import streamlit as st

from dashboard import workspace_panels as panels
from dashboard import workspace_state as state
from dashboard.access import Viewer, page_viewer
from dashboard.photo_editor import description_editor
from dashboard.plain_text import literal


def chosen_photo_id() -> int | None:
    """The photo named in the address (``?photo=12``), so the workspace can be linked to."""
    text = st.query_params.get("photo", "")
    return int(text) if text.isdigit() else None


def show_workspace(viewer: Viewer) -> None:
    photo_id = chosen_photo_id()
    if photo_id is None:
        st.info("Open a photo from the Catalog to start.")
        st.page_link("views/catalog.py", label="Go to the catalog", icon=":material/photo_library:")
        return
    context = panels.load_context(photo_id)
    if context is None:
        st.error(f"Photo #{photo_id} is not in the catalog. Pick one from the Catalog page.")
        return
    preview = panels.display_image(context)
    if state.start_photo(photo_id):
        panels.restore_draft(viewer, context)
    photo = context.photo
    st.subheader(literal(photo.heading))
    described = (photo.date, photo.era, photo.event, photo.place)  # as typed: shown as plain text
    st.caption(" · ".join([*(literal(part) for part in described if part), f"{photo.width}×{photo.height}"]))
    description_editor(viewer, photo_id)
    panels.restored_draft_notice()
    tools_column, canvas_column = st.columns([1, 3])
    with tools_column:
        tool = panels.tool_panel()
        engine = panels.engine_choice()
        panels.reference_panel(context)
        panels.global_panel(context)
    with canvas_column:
        hints = panels.canvas_panel(tool, context)
        st.caption(f"{len(hints['points'])} points · {len(hints['strokes'])} strokes · {len(hints['palette'])} palette colours")
        panels.autosave_draft(viewer, hints, context)
    with tools_column:
        panels.suggest_panel(preview, hints, context, tool)
    panels.run_panel(preview, hints, context, engine)
    panels.save_panel(viewer, hints, context, engine)
    panels.candidates_panel(context)


st.title("Workspace")
st.caption(
    "Paint points and strokes where you know a colour (from documents, reference colours or the archive's "
    "approved work), preview, and save a candidate with the basis for its colours. Hints are stored in the "
    "scan's own pixels."
)
show_workspace(page_viewer())
