"""Admin: user accounts and roles, the era and event vocabularies, and reference colours."""

from __future__ import annotations

import streamlit as st

import db
from dashboard.access import Viewer, page_viewer
from dashboard.admin_sections import reference_colors_section, users_section, vocabulary_section


def show_admin(viewer: Viewer) -> None:
    sections = ["Vocabularies", "Reference colours"]
    if viewer.may(db.Role.ADMIN):
        sections.insert(0, "Users")
    for tab, name in zip(st.tabs(sections), sections):
        with tab:
            {"Users": users_section, "Vocabularies": vocabulary_section, "Reference colours": reference_colors_section}[
                name
            ](viewer)


st.title("Admin")
st.caption("Who may do what, the controlled vocabularies photos are described with, and the palette memory.")
show_admin(page_viewer())
