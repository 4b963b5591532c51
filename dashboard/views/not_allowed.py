"""Stand-in for a page the signed-in user's role does not include (reached by its address)."""

from __future__ import annotations

import streamlit as st

from dashboard.access import page_viewer


def show_not_allowed() -> None:
    viewer = page_viewer()
    st.warning(
        f"Your role ({viewer.role.value}) does not include this page. "
        "Ask an administrator for the curator or reviewer role if you need it."
    )
    st.page_link("views/catalog.py", label="Back to the catalog", icon=":material/photo_library:")


st.title("Not available")
show_not_allowed()
