"""The catalog page: counts, filters, search, table view, pagination, click-through."""

from __future__ import annotations

from pathlib import Path

import pytest

import db
from dashboard_support import add_candidate, add_photo, assert_clean, open_test_catalog, start_app


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> db.Catalog:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_photo(catalog, shift=1, title="Harbour cranes", place="Busan", era="Korean War", year_from=1951)
    add_photo(catalog, shift=2, title="School parade", place="Seoul", era="Japanese occupation", year_from=1936)
    in_review = add_photo(catalog, shift=3, title="Market street", place="Busan", era="Korean War", year_from=1953, tags=["market"])
    add_candidate(catalog, in_review)
    return catalog


def metrics(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {metric.label: metric.value for metric in app.metric}


def headings(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [text.value.strip("*") for text in app.markdown if text.value.startswith("**")]


def test_counts_per_status_and_a_thumbnail_per_photo(catalog: db.Catalog) -> None:
    app = start_app()
    assert_clean(app)
    assert metrics(app) == {"New": "2", "In review": "1", "Approved": "0", "Rejected": "0"}
    assert len(app.image) == 3
    assert headings(app) == ["School parade", "Harbour cranes", "Market street"]  # oldest first


def test_filters_and_text_search_narrow_the_list(catalog: db.Catalog) -> None:
    app = start_app()
    app.selectbox(key="catalog-era").select("Korean War").run()
    assert headings(app) == ["Harbour cranes", "Market street"]
    app.text_input(key="catalog-search").input("busan market").run()
    assert headings(app) == ["Market street"]
    app.text_input(key="catalog-search").input("").run()
    app.selectbox(key="catalog-status").select("in review").run()
    assert headings(app) == ["Market street"]
    app.selectbox(key="catalog-status").select("(any)").run()
    app.text_input(key="catalog-tag").input("market").run()
    assert headings(app) == ["Market street"]


def test_sorting_by_newest_date_first(catalog: db.Catalog) -> None:
    app = start_app()
    app.selectbox(key="catalog-sort").select("-date").run()
    assert headings(app) == ["Market street", "Harbour cranes", "School parade"]


def test_nothing_matching_says_what_to_do(catalog: db.Catalog) -> None:
    app = start_app()
    app.text_input(key="catalog-search").input("zeppelin").run()
    assert_clean(app)
    assert "No photos match" in app.info[0].value


def test_table_view_lists_the_description_columns(catalog: db.Catalog) -> None:
    app = start_app()
    app.button_group(key="catalog-view").select("Table").run()
    assert_clean(app)
    table = app.dataframe(key="catalog-table").value
    assert list(table["title"]) == ["School parade", "Harbour cranes", "Market street"]
    assert list(table["status"]) == ["new", "new", "in review"]


def test_pages_of_photos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    for index in range(26):
        add_photo(catalog, shift=index, title=f"Photo {index:02d}", year_from=1900 + index)
    app = start_app()
    assert len(app.image) == 24
    assert any(caption.value == "26 photos match · page 1 of 2" for caption in app.caption)
    app.get("pagination")[0].set_value(2).run()
    assert headings(app) == ["Photo 24", "Photo 25"]


def test_open_goes_to_the_workspace_with_the_photo(catalog: db.Catalog) -> None:
    app = start_app()
    next(b for b in app.button if b.label == "Open in workspace").click().run()
    assert_clean(app)
    assert app.title[0].value == "Workspace"
    assert app.subheader[0].value == "School parade"


def test_a_viewer_gets_no_workspace_buttons_and_the_grid_draws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A viewer clicking "Open in workspace" used to crash the page (StreamlitPageNotFoundError)."""
    from dashboard_support import add_user, sign_in

    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    add_user(catalog, "vera", "viewer")
    add_photo(catalog, shift=1, title="Harbour cranes", username="boss")
    add_photo(catalog, shift=2, title="School parade", username="boss")
    app = sign_in(start_app(), "vera")
    assert_clean(app)
    assert len(app.image) == 2  # the grid draws every photo
    assert not [b for b in app.button if b.label == "Open in workspace"]
    app.button_group(key="catalog-view").select("Table").run()
    assert_clean(app)
    assert not [b for b in app.button if b.label.startswith("Open photo")]


def test_an_empty_catalog_links_to_the_import_page_and_names_no_filters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app()
    assert_clean(app)
    assert app.info[0].value == "The catalog has no photos yet."
    assert "filters" not in app.info[0].value
    (link,) = [link for link in app.get("page_link") if "Import" in link.proto.label]
    app.text_input(key="catalog-search").input("zeppelin").run()
    assert app.info[0].value == "No photos match these filters. Clear them to see the whole catalog."


def test_an_approved_photo_with_a_newer_candidate_shows_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    photo_id = add_photo(catalog, shift=1, title="Harbour cranes")
    first = add_candidate(catalog, photo_id)
    with catalog.session() as session:
        db.approve_colorization(session=session, settings=catalog.settings, actor=db.get_local_user(session=session),
                                colorization_id=first)  # fmt: skip
    add_candidate(catalog, photo_id, note="a better sky")
    app = start_app()
    assert_clean(app)
    assert any("approved · new candidate in review" in caption.value for caption in app.caption)
