"""Filter controls shared by the catalog and export pages; they return a ``db.PhotoFilter``."""

from __future__ import annotations

import streamlit as st

import db
from dashboard.resources import term_names

ANY = "(any)"

STATUS_LABELS = {
    db.PhotoStatus.NEW: "new",
    db.PhotoStatus.IN_REVIEW: "in review",
    db.PhotoStatus.APPROVED: "approved",
    db.PhotoStatus.REJECTED: "rejected",
}


def _choice(label: str, options: list[str], key: str) -> str | None:
    picked = st.selectbox(label, [ANY, *options], key=key)
    return None if picked == ANY else picked


def photo_filter_controls(*, key: str, with_status: bool = True, with_text: bool = True) -> db.PhotoFilter:
    """Era, event, status, tag and text search in one row; empty controls do not filter."""
    columns = st.columns(5 if with_text else 2)
    with columns[0]:
        era = _choice("Era", term_names("era"), f"{key}-era")
    with columns[1]:
        event = _choice("Event", term_names("event"), f"{key}-event")
    status = tag = search = None
    if with_text:
        with columns[2]:
            if with_status:
                picked = _choice("Status", list(STATUS_LABELS.values()), f"{key}-status")
                status = next((s for s, label in STATUS_LABELS.items() if label == picked), None)
        with columns[3]:
            tag = st.text_input("Tag", key=f"{key}-tag").strip() or None
        with columns[4]:
            search = st.text_input("Search", key=f"{key}-search", placeholder="title, description, place").strip() or None
    return db.PhotoFilter(era=era, event=event, status=status, search=search, tag=tag)
