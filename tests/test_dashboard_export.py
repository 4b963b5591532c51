"""The export page: a BagIt zip of approved colorizations, offered for download."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

import db
from dashboard_support import add_candidate, add_photo, approve_as_local_curator, assert_clean, build_bag, errors, open_test_catalog, start_app

EXPORT = "views/export.py"


def test_the_bag_holds_the_approved_work_of_the_chosen_era(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    war = add_photo(catalog, shift=1, title="Harbour", era="Korean War")
    occupation = add_photo(catalog, shift=2, title="School", era="Japanese occupation")
    approve_as_local_curator(catalog, add_candidate(catalog, war))
    approve_as_local_curator(catalog, add_candidate(catalog, occupation))
    add_candidate(catalog, add_photo(catalog, shift=3, era="Korean War"))  # a draft: never exported
    app = start_app(EXPORT)
    app.selectbox(key="export-era").select("Korean War").run()
    build_bag(app)
    assert_clean(app)
    assert app.success[0].value.startswith("1 approved colorizations")
    assert app.get("download_button")
    name, data, _ = app.session_state["export-bag"]
    assert name.endswith(".zip")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert any(n.endswith("bagit.txt") for n in names)
    assert sum(n.endswith(".png") for n in names) >= 1


def test_with_nothing_approved_the_page_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_candidate(catalog, add_photo(catalog))  # a draft only
    app = build_bag(start_app(EXPORT))
    assert not app.exception
    assert errors(app) == [
        "Nothing to export: no approved colorizations. "
        "Change the filters (only approved colorizations are exported) and try again."
    ]
    assert "export-bag" not in app.session_state


def test_a_dashboard_export_is_audited_with_its_filters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    approve_as_local_curator(catalog, add_candidate(catalog, add_photo(catalog, shift=1, era="Korean War")))
    app = start_app(EXPORT)
    app.selectbox(key="export-era").select("Korean War").run()
    build_bag(app)
    assert_clean(app)
    with catalog.read_session() as session:
        (event,) = db.list_audit_events(session=session, entity_type="export")
    assert event.action == "export.bag" and event.username == "local"
    assert event.details["era"] == "Korean War" and event.details["photos"] == 1
