"""Export: approved colorizations as a BagIt zip with originals, outputs and provenance."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import streamlit as st

import db
from dashboard.feedback import reported_errors
from dashboard.photo_filters import photo_filter_controls
from dashboard.resources import get_catalog

BAG_KEY = "export-bag"  # (file name, zip bytes, summary) of the last bag built in this session


def build_bag(era: str | None, event: str | None) -> tuple[str, bytes, str]:
    catalog = get_catalog()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"findcolor-export-{stamp}.zip"
    with tempfile.TemporaryDirectory(prefix="findcolor-export-") as folder:
        out_path = Path(folder) / name
        with catalog.read_session() as session:
            report = db.export_bag(session=session, store=catalog.store, out_path=out_path, era=era, event=event)
        return name, out_path.read_bytes(), f"{report.photos} approved colorizations, {report.files} files"


def show_export() -> None:
    filters = photo_filter_controls(key="export", with_status=False, with_text=False)
    if st.button("Build the bag", type="primary", icon=":material/archive:"):
        with reported_errors("Change the filters (only approved colorizations are exported) and try again."):
            with st.status("Building the bag: copying files, writing metadata and checksums…") as progress:
                st.session_state[BAG_KEY] = build_bag(filters.era, filters.event)
                progress.update(label="Bag ready", state="complete")
    if bag := st.session_state.get(BAG_KEY):
        name, data, summary = bag
        st.success(f"{summary} · {len(data) / 1e6:.1f} MB")
        st.download_button("Download the bag", data, file_name=name, mime="application/zip", icon=":material/download:")


st.title("Export")
st.caption(
    "Approved colorizations, each with its original scan, the output tagged with its provenance (XMP), and "
    "metadata in CSV and JSON, packed as a BagIt bag with checksums."
)
show_export()
