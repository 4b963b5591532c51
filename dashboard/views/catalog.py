"""Catalog: browse, filter and search the archive's photos; open one in the workspace."""

from __future__ import annotations

import streamlit as st

import db
from dashboard.feedback import reported_errors
from dashboard.photo_filters import STATUS_LABELS, photo_filter_controls
from dashboard.photo_rows import PhotoRow, photo_row
from dashboard.plain_text import literal
from dashboard.resources import get_catalog, thumbnail_bytes

SORTS = {"date": "Date (oldest first)", "-date": "Date (newest first)", "title": "Title", "newest": "Recently imported"}
PAGE_KEY = "catalog-page"
WORKSPACE = "views/workspace.py"


def open_in_workspace(photo_id: int) -> None:
    st.switch_page(WORKSPACE, query_params={"photo": str(photo_id)})


def show_grid(rows: list[PhotoRow]) -> None:
    with st.grid(columns="auto", min_column_width=190, border=True):
        for row in rows:
            with st.container():
                with reported_errors("The stored file may be missing; run `findcolor verify`."):
                    st.image(thumbnail_bytes(row.sha256), width="stretch")
                st.markdown(f"**{literal(row.heading)}**")
                st.caption(" · ".join(literal(part) for part in (row.date, row.era, row.status) if part))
                if st.button("Open in workspace", key=f"open-{row.id}", icon=":material/palette:"):
                    open_in_workspace(row.id)


def show_table(rows: list[PhotoRow]) -> None:
    columns = ["id", "title", "date", "era", "event", "place", "status", "tags", "filename"]
    table = [{name: getattr(row, name) for name in columns} for row in rows]
    picked = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row", key="catalog-table")
    selected = picked.selection.rows if picked else []
    if selected and st.button(f"Open photo #{rows[selected[0]].id}", icon=":material/palette:"):
        open_in_workspace(rows[selected[0]].id)


def show_catalog() -> None:
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
            rows = [photo_row(photo) for photo in page.items]
        for column, (status, label) in zip(st.columns(len(STATUS_LABELS)), STATUS_LABELS.items()):
            column.metric(label.capitalize(), f"{counts.get(status, 0):,}")
        st.caption(f"{page.total:,} photos match · page {page.page} of {max(page.pages, 1)}")
        if not rows:
            st.info("No photos match. Clear the filters, or add photos on the Import page.")
            return
        if view == "Grid":
            show_grid(rows)
        else:
            show_table(rows)
        st.pagination(max(page.pages, 1), key=PAGE_KEY)


st.title("Catalog")
st.caption("The archive's black-and-white photos. Filter, search, and open a photo to colorize it.")
show_catalog()
