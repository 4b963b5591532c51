"""Editing a photo's description after import: descriptive fields, era, event and tags.

Only what the curator changed is sent to the data layer (``db.update_photo``), which checks
the role and records the change in the audit log; the scan itself never changes.
"""

from __future__ import annotations

import streamlit as st

import db
from dashboard.access import Viewer, acting_user
from dashboard.feedback import reported_errors
from dashboard.plain_text import literal
from dashboard.resources import get_catalog, term_names

NONE = "(none)"
TEXT_FIELDS = {  # field -> label; multi-line fields are text areas
    "title": "Title",
    "date_text": "Date (as written, e.g. 'spring 1951')",
    "place": "Place",
    "identifier": "Identifier (shelf mark, negative number)",
    "source": "Source",
    "rights": "Rights",
    "description": "Description",
}
EDITED_KEY = "photo-edited"  # the confirmation of the last edit, shown after its rerun


def _year(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _index(options: list[str], value: object) -> int:
    return options.index(value) if value in options else 0  # type: ignore[arg-type]


def description_editor(viewer: Viewer, photo_id: int) -> None:
    """A form with the photo's current description; saving changes only the fields edited."""
    if not viewer.may(db.Role.CURATOR):
        return
    with get_catalog().read_session() as session:
        photo = db.get_photo(session=session, photo_id=photo_id)
        if photo is None:
            return
        current: dict[str, object] = {name: getattr(photo, name) or "" for name in TEXT_FIELDS}
        current.update(year_from=photo.year_from, year_to=photo.year_to, era=photo.era_name, event=photo.event_name,
                       tags=list(photo.tags))  # fmt: skip
    if edited := st.session_state.pop(EDITED_KEY, None):
        st.success(edited)
    with st.expander("Edit the description", icon=":material/edit_note:"):
        with st.form(f"photo-edit-{photo_id}"):
            values: dict[str, object] = {}
            for name, label in TEXT_FIELDS.items():
                widget = st.text_area if name == "description" else st.text_input
                values[name] = widget(label, value=str(current[name]), key=f"photo-{name}-{photo_id}")
            left, right = st.columns(2)
            year_from = left.text_input("Year from", value=str(current["year_from"] or ""), key=f"photo-from-{photo_id}")
            year_to = right.text_input("Year to", value=str(current["year_to"] or ""), key=f"photo-to-{photo_id}")
            eras, events = [NONE, *term_names("era")], [NONE, *term_names("event")]
            era = left.selectbox("Era", eras, index=_index(eras, current["era"]), key=f"photo-era-{photo_id}")
            event = right.selectbox("Event", events, index=_index(events, current["event"]), key=f"photo-event-{photo_id}")
            current_tags = ", ".join(current["tags"])  # type: ignore[arg-type]
            tags = st.text_input("Tags (comma-separated)", value=current_tags, key=f"photo-tags-{photo_id}")
            submitted = st.form_submit_button("Save the description", icon=":material/save:")
    if not submitted:
        return
    values.update(year_from=_year(year_from), year_to=_year(year_to), era=None if era == NONE else era,
                  event=None if event == NONE else event,
                  tags=[tag.strip() for tag in tags.split(",") if tag.strip()])  # fmt: skip
    changes = {name: value for name, value in values.items() if value != current[name]}
    if not changes:
        st.info("Nothing was changed.")
        return
    with reported_errors("Correct the description and save again."):
        catalog = get_catalog()
        with catalog.session() as session:
            db.update_photo(session=session, actor=acting_user(session, viewer), photo_id=photo_id, changes=changes)
        st.session_state[EDITED_KEY] = "Saved: " + ", ".join(literal(name.replace("_", " ")) for name in changes) + "."
        st.rerun()
