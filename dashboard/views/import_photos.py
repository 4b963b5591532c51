"""Import: upload scans with a description for the batch (or a metadata CSV) into the catalog."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

import db
from dashboard.access import Viewer, acting_user, page_viewer
from dashboard.feedback import reported_errors
from dashboard.import_form import batch_metadata_form
from dashboard.plain_text import literal
from dashboard.resources import get_catalog

OUTCOME_LABELS = {"imported": "stored", "duplicate": "duplicate", "failed": "rejected"}
SCAN_TYPES = sorted(suffix.lstrip(".") for suffix in db.ingest.IMAGE_SUFFIXES)


def save_uploads(
    folder: Path, uploads: list[UploadedFile], csv_upload: UploadedFile | None
) -> tuple[list[Path], Path | None]:
    """Write the uploads under their own names (one sub-folder each, names may repeat), so the
    data layer imports them, and matches them to the CSV, exactly as files from a folder."""
    paths = []
    for index, upload in enumerate(uploads):
        path = folder / str(index) / Path(upload.name).name
        path.parent.mkdir()
        path.write_bytes(upload.getbuffer())
        paths.append(path)
    csv_path = None
    if csv_upload is not None:
        csv_path = folder / "metadata.csv"
        csv_path.write_bytes(csv_upload.getbuffer())
    return paths, csv_path


def show_import(viewer: Viewer) -> None:
    uploads = st.file_uploader("Scans", type=SCAN_TYPES, accept_multiple_files=True, key="import-files")
    with st.expander("Description for the whole batch", expanded=True):
        metadata = batch_metadata_form()
    csv_upload = st.file_uploader(
        "Or a metadata CSV (a 'filename' column plus title, date, era, event, place, source, rights, tags, ...)",
        type=["csv"],
        key="import-csv",
    )
    if not st.button("Import", type="primary", icon=":material/upload:", disabled=not uploads):
        return
    catalog = get_catalog()
    progress = st.progress(0.0, text="Importing…")
    done: list[db.ImportOutcome] = []

    def advance(outcome: db.ImportOutcome) -> None:
        done.append(outcome)
        progress.progress(len(done) / len(uploads), text=f"{len(done)} of {len(uploads)}: {literal(outcome.source)}")

    with reported_errors("Fix the CSV or the description and import again; nothing was stored."):
        with tempfile.TemporaryDirectory(prefix="findcolor-upload-") as folder:
            paths, csv_path = save_uploads(Path(folder), uploads, csv_upload)
            with catalog.session() as session:
                report = db.import_paths(
                    session=session, store=catalog.store, settings=catalog.settings,
                    actor=acting_user(session, viewer), paths=paths, metadata_csv=csv_path,
                    defaults=metadata, progress=advance,
                )  # fmt: skip
        progress.empty()
        st.success(
            f"{len(report.imported)} stored, {len(report.duplicates)} duplicates, {len(report.failed)} rejected."
        )
        st.dataframe(
            [
                {
                    "file": Path(outcome.source).name,
                    "outcome": OUTCOME_LABELS[outcome.status],
                    "details": outcome.message,
                    "photo": outcome.photo_id,
                }
                for outcome in report.outcomes
            ],
            hide_index=True,
            key="import-outcomes",
        )
        if report.unmatched_metadata:
            st.warning(f"CSV rows that matched no uploaded file: {literal(', '.join(report.unmatched_metadata))}")


st.title("Import")
st.caption(
    "Add scans to the catalog. The files are stored exactly as uploaded (never altered); a file already in the "
    "catalog is reported as a duplicate and not stored twice."
)
show_import(page_viewer())
