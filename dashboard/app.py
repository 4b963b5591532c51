"""Find Color curator dashboard: ``streamlit run dashboard/app.py``.

Builds the navigation for the signed-in user's role and runs the chosen page. Pages live
in ``dashboard/views/`` (one file each) and only call the ``db`` data layer and
``findcolor``. Opening the catalog upgrades its schema, so a fresh machine needs nothing
else: the data folder (``./data`` unless ``FINDCOLOR_DATA_DIR`` says otherwise) is
created on first start.
"""

from __future__ import annotations

import streamlit as st

import db
from findcolor.errors import FindColorError
from dashboard.access import VIEWER_KEY, Viewer, current_viewer, sign_out
from dashboard.feedback import no_tracebacks
from dashboard.resources import get_catalog

VIEWS = "views"
RUN_COUNTER_KEY = "_run_counter"


def pages_for(viewer: Viewer | None) -> list[st.Page]:
    """The pages this user may open; the data layer still checks every write."""
    if viewer is None:
        return [st.Page(f"{VIEWS}/login.py", title="Sign in", icon=":material/login:", default=True)]
    pages = [st.Page(f"{VIEWS}/catalog.py", title="Catalog", icon=":material/photo_library:", default=True)]
    if viewer.may(db.Role.CURATOR):
        pages.append(st.Page(f"{VIEWS}/import_photos.py", title="Import", icon=":material/upload:", url_path="import"))
        pages.append(st.Page(f"{VIEWS}/workspace.py", title="Workspace", icon=":material/palette:"))
    if viewer.may(db.Role.REVIEWER):
        pages.append(st.Page(f"{VIEWS}/review.py", title="Review", icon=":material/fact_check:"))
    pages.append(st.Page(f"{VIEWS}/export.py", title="Export", icon=":material/archive:"))
    if viewer.may(db.Role.CURATOR):
        pages.append(st.Page(f"{VIEWS}/admin.py", title="Admin", icon=":material/settings:"))
    return pages


def sidebar(viewer: Viewer | None) -> None:
    if viewer is None:
        return
    with st.sidebar:
        st.caption(f"Signed in as **{viewer.label}**")
        if not viewer.is_local and st.button("Sign out", icon=":material/logout:"):
            sign_out()
            st.rerun()


def mark_run_complete() -> None:
    """An invisible marker numbered per run: browser tests wait for it to know a run ended."""
    count = st.session_state.get(RUN_COUNTER_KEY, 0) + 1
    st.session_state[RUN_COUNTER_KEY] = count
    st.html(f'<span class="findcolor-run" data-run="{count}"></span>')


def main() -> None:
    st.set_page_config(page_title="Find Color", page_icon=":material/palette:", layout="wide")
    with no_tracebacks():
        try:
            viewer = current_viewer(get_catalog())
        except FindColorError as error:
            st.error(
                f"The catalog cannot be opened: {error}. "
                "Check FINDCOLOR_DATA_DIR / FINDCOLOR_DATABASE_URL and restart the dashboard."
            )
        else:
            st.session_state[VIEWER_KEY] = viewer
            navigation = st.navigation(pages_for(viewer))
            sidebar(viewer)
            navigation.run()
    mark_run_complete()


main()
