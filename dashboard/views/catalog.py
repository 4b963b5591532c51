"""Catalog: browse, filter and search the archive's photos; open one in the workspace."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from sqlalchemy.orm import Session

import db
from dashboard.access import Viewer, acting_user, page_viewer
from dashboard.feedback import reported_errors
from dashboard.photo_filters import STATUS_LABELS, photo_filter_controls
from dashboard.photo_rows import PhotoRow, photo_row
from dashboard.plain_text import literal
from dashboard.resources import forget_terms, get_catalog, thumbnail_bytes

SORTS = {"date": "Date (oldest first)", "-date": "Date (newest first)", "title": "Title", "newest": "Recently imported"}
PAGE_KEY = "catalog-page"
WORKSPACE = "views/workspace.py"


def open_in_workspace(photo_id: int) -> None:
    st.switch_page(WORKSPACE, query_params={"photo": str(photo_id)})


def show_grid(rows: list[PhotoRow], *, can_paint: bool) -> None:
    with st.grid(columns="auto", min_column_width=190, border=True):
        for row in rows:
            with st.container():
                with reported_errors("The stored file may be missing; run `findcolor verify`."):
                    st.image(thumbnail_bytes(row.sha256), width="stretch")
                st.markdown(f"**{literal(row.heading)}**")
                st.caption(" · ".join(literal(part) for part in (row.date, row.era, row.status) if part))
                if can_paint and st.button("Open in workspace", key=f"open-{row.id}", icon=":material/palette:"):
                    open_in_workspace(row.id)


def show_table(rows: list[PhotoRow], *, can_paint: bool) -> None:
    columns = ["id", "title", "date", "era", "event", "place", "status", "tags", "filename"]
    table = [{name: getattr(row, name) for name in columns} for row in rows]
    if not can_paint:  # the workspace is for curators: nothing to open
        st.dataframe(table, hide_index=True, key="catalog-table")
        return
    picked = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row", key="catalog-table")
    selected = picked.selection.rows if picked else []
    if selected and st.button(f"Open photo #{rows[selected[0]].id}", icon=":material/palette:"):
        open_in_workspace(rows[selected[0]].id)


def with_approved_shown(session: Session, photo: db.Photo) -> PhotoRow:
    """The photo's row; one with an approved colorization and a newer draft says both."""
    row = photo_row(photo)
    if photo.status is db.PhotoStatus.IN_REVIEW and db.get_approved_colorization(session=session, photo_id=photo.id):
        return replace(row, status="approved · new candidate in review")
    return row


def show_nothing_listed(filters: db.PhotoFilter, *, can_import: bool) -> None:
    """Why the list is empty, and the one next step that helps."""
    if filters != db.PhotoFilter():
        st.info("No photos match these filters. Clear them to see the whole catalog.")
        return
    if can_import:
        st.info("The catalog has no photos yet.")
        st.page_link("views/import_photos.py", label="Add photos on the Import page", icon=":material/upload:")
        offer_sample_collection(page_viewer())
    else:
        st.info("The catalog has no photos yet. A curator adds them on the Import page.")


def offer_sample_collection(viewer: Viewer) -> None:
    """On an empty catalog: load the shipped sample photos, so a newcomer can try everything at once."""
    st.caption(
        "Or try Find Color first on five real photographs shipped with it (black-and-white originals and gray "
        "versions of public-domain colour photos), each with its source and licence."
    )
    if not st.button("Load the sample collection", icon=":material/photo_library:", key="load-sample"):
        return
    catalog = get_catalog()
    with reported_errors("Photos already loaded are kept; try again, or run `findcolor sample`."):
        with catalog.session() as session:
            db.load_sample_collection(
                session=session, store=catalog.store, settings=catalog.settings, actor=acting_user(session, viewer)
            )
        forget_terms()  # the collection may have added eras and events
        st.rerun()


def show_catalog() -> None:
    can_paint = page_viewer().may(db.Role.CURATOR)  # only roles that may open the workspace get its buttons
    filters = photo_filter_controls(key="catalog")
    sort_column, view_column, size_column = st.columns([2, 2, 1])
    sort = sort_column.selectbox("Sort by", list(SORTS), format_func=SORTS.get, key="catalog-sort")
    view = view_column.segmented_control("View", ["Grid", "Table"], default="Grid", key="catalog-view", required=True)
    per_page = size_column.selectbox("Per page", [24, 48, 96], key="catalog-per-page")

    with reported_errors("Clear the filters or check the catalog settings."):
        with get_catalog().read_session() as session:
            counts = db.count_photos_by_status(session=session, filters=filters)
            page = db.list_photos(
                session=session, filters=filters, sort=sort, page=st.session_state.get(PAGE_KEY, 1), per_page=per_page
            )
            if page.page > page.pages > 0:  # the filters changed under a later page: back to the first
                del st.session_state[PAGE_KEY]
                page = db.list_photos(session=session, filters=filters, sort=sort, page=1, per_page=per_page)
            rows = [with_approved_shown(session, photo) for photo in page.items]
        for column, (status, label) in zip(st.columns(len(STATUS_LABELS)), STATUS_LABELS.items()):
            column.metric(label.capitalize(), f"{counts.get(status, 0):,}")
        st.caption(f"{page.total:,} photos match · page {page.page} of {max(page.pages, 1)}")
        if not rows:
            show_nothing_listed(filters, can_import=can_paint)
            return
        if view == "Grid":
            show_grid(rows, can_paint=can_paint)
        else:
            show_table(rows, can_paint=can_paint)
        st.pagination(max(page.pages, 1), key=PAGE_KEY)


st.title("Catalog")
st.caption("The archive's black-and-white photos. Filter, search, and open a photo to colorize it.")
show_catalog()
