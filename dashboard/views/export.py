"""Export: approved colorizations as a BagIt zip with originals, outputs and provenance."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import streamlit as st

import db
from dashboard.access import Viewer, acting_user, page_viewer
from dashboard.feedback import reported_errors
from dashboard.photo_filters import photo_filter_controls
from dashboard.resources import get_catalog
from db.credentials import credentials_from_settings

BAG_KEY = "export-bag"  # (file name, zip bytes, summary) of the last bag built in this session


def build_bag(viewer: Viewer, era: str | None, event: str | None) -> tuple[str, bytes, str]:
    """Build the bag (signed when the server has C2PA credentials) and record the export in the audit log."""
    catalog = get_catalog()
    credentials = credentials_from_settings(catalog.settings)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"findcolor-export-{stamp}.zip"
    with tempfile.TemporaryDirectory(prefix="findcolor-export-") as folder:
        out_path = Path(folder) / name
        with catalog.read_session() as session:
            report = db.export_bag(
                session=session, store=catalog.store, out_path=out_path, era=era, event=event, credentials=credentials
            )
        with catalog.session() as session:
            db.record_export(session=session, actor=acting_user(session, viewer), report=report, era=era, event=event)
        summary = f"{report.photos} approved colorizations, {report.files} files; {report.credentials}"
        return name, out_path.read_bytes(), summary


def past_exports() -> pd.DataFrame:
    """The export audit events, newest first: who, when, which filters, how many, the zip's SHA-256."""
    with get_catalog().read_session() as session:
        events = db.list_audit_events(session=session, entity_type="export", limit=50)
    return pd.DataFrame(
        [
            {
                "when": event.at, "by": event.username, "era": event.details.get("era") or "all",
                "event": event.details.get("event") or "all", "photos": event.details.get("photos"),
                "signed": event.details.get("signed", 0), "zip SHA-256": event.details.get("sha256", ""),
            }
            for event in events
        ],
        columns=["when", "by", "era", "event", "photos", "signed", "zip SHA-256"],
    )  # fmt: skip


def show_export(viewer: Viewer) -> None:
    filters = photo_filter_controls(key="export", with_status=False, with_text=False)
    if st.button("Build the bag", type="primary", icon=":material/archive:"):
        with reported_errors("Change the filters (only approved colorizations are exported) and try again."):
            with st.status("Building the bag: copying files, signing, writing IIIF, metadata and checksums…") as progress:
                st.session_state[BAG_KEY] = build_bag(viewer, filters.era, filters.event)
                progress.update(label="Bag ready", state="complete")
    if bag := st.session_state.get(BAG_KEY):
        name, data, summary = bag
        st.success(f"{summary} · {len(data) / 1e6:.1f} MB")
        st.download_button("Download the bag", data, file_name=name, mime="application/zip", icon=":material/download:")
    st.subheader("Past exports")
    history = past_exports()
    if history.empty:
        st.caption("No exports yet.")
    else:
        st.dataframe(history, hide_index=True)


st.title("Export")
st.caption(
    "Approved colorizations, each with its original scan, the output tagged with its provenance (XMP and, when "
    "the server has a signing certificate, C2PA content credentials), IIIF manifests, and metadata in CSV and "
    "JSON, packed as a BagIt bag with checksums."
)
show_export(page_viewer())
