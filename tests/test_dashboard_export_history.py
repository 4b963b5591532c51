"""The export page records every bag it builds and lists past exports; it signs when credentials are configured."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

import db
from dashboard_support import add_candidate, add_photo, approve_as_local_curator, assert_clean, build_bag, open_test_catalog, start_app
from db.credentials import create_local_authority, read_credentials

EXPORT = "views/export.py"


def test_built_bags_are_recorded_and_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    monkeypatch.delenv("FINDCOLOR_C2PA_CERT", raising=False)
    monkeypatch.delenv("FINDCOLOR_C2PA_KEY", raising=False)
    approve_as_local_curator(catalog, add_candidate(catalog, add_photo(catalog, shift=1, title="Harbour", era="Korean War")))
    app = start_app(EXPORT)
    assert_clean(app)
    assert any(caption.value == "No exports yet." for caption in app.caption)
    app.selectbox(key="export-era").select("Korean War").run()
    build_bag(app)
    assert_clean(app)
    assert "no C2PA content credentials added" in app.success[0].value
    _, data, _ = app.session_state["export-bag"]
    (history,) = [frame.value for frame in app.dataframe]
    assert len(history) == 1
    row = history.iloc[0]
    assert row["by"] == "local" and row["era"] == "Korean War" and row["event"] == "all" and row["photos"] == 1
    assert row["signed"] == 0 and row["zip SHA-256"] == hashlib.sha256(data).hexdigest()
    with catalog.read_session() as session:
        (event,) = db.list_audit_events(session=session, entity_type="export")
    assert event.action == "export.bag" and event.details["sha256"] == row["zip SHA-256"]


def test_bags_are_signed_when_the_server_has_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    authority = create_local_authority(tmp_path / "c2pa")
    monkeypatch.setenv("FINDCOLOR_C2PA_CERT", str(authority.signer_certificate))
    monkeypatch.setenv("FINDCOLOR_C2PA_KEY", str(authority.signer_key))
    catalog = open_test_catalog(tmp_path, monkeypatch)
    approve_as_local_curator(catalog, add_candidate(catalog, add_photo(catalog, shift=2, title="School")))
    app = build_bag(start_app(EXPORT))
    assert_clean(app)
    assert "signed by" in app.success[0].value
    _, data, _ = app.session_state["export-bag"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = [item for item in archive.namelist() if item.endswith("/colorized.png")]
        report = read_credentials(archive.read(name), trust_anchors=authority.ca_certificate.read_bytes())
    assert report.trusted
    (history,) = [frame.value for frame in app.dataframe]
    assert history.iloc[0]["signed"] == 1
