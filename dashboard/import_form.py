"""The batch metadata form of the import page, returning the metadata dict the data layer takes."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.resources import term_names

NONE = "(none)"


def _year(label: str, key: str) -> int | None:
    text = st.text_input(label, key=key, placeholder="e.g. 1946").strip()
    return int(text) if text.isdigit() else None


def batch_metadata_form() -> dict[str, Any]:
    """Description applied to every file of the batch; empty fields are left out."""
    left, middle, right = st.columns(3)
    with left:
        title = st.text_input("Title", key="import-title")
        date_text = st.text_input("Date (as written)", key="import-date", placeholder="spring 1946?")
        year_from = _year("Year from", "import-year-from")
        year_to = _year("Year to", "import-year-to")
    with middle:
        era = st.selectbox("Era", [NONE, *term_names("era")], key="import-era")
        event = st.selectbox("Event", [NONE, *term_names("event")], key="import-event")
        place = st.text_input("Place", key="import-place")
        tags = st.text_input("Tags (comma separated)", key="import-tags")
    with right:
        source = st.text_input("Source / collection", key="import-source")
        rights = st.text_input("Rights", key="import-rights")
        identifier = st.text_input("Identifier (accession number)", key="import-identifier")
    description = st.text_area("Description", key="import-description")
    metadata: dict[str, Any] = {
        "title": title,
        "date_text": date_text,
        "year_from": year_from,
        "year_to": year_to,
        "era": None if era == NONE else era,
        "event": None if event == NONE else event,
        "place": place,
        "tags": [tag.strip() for tag in tags.split(",") if tag.strip()],
        "source": source,
        "rights": rights,
        "identifier": identifier,
        "description": description,
    }
    return {key: value for key, value in metadata.items() if value not in (None, "", [])}
