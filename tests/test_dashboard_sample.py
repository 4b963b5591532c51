"""The empty catalog offers the sample collection to those who may import, and loads it."""

from __future__ import annotations

from pathlib import Path

import pytest

import db
from dashboard_support import add_user, assert_clean, open_test_catalog, sign_in, start_app
from db.sample_collection import sample_files


def _load_button(app):  # type: ignore[no-untyped-def]
    return [button for button in app.button if button.label == "Load the sample collection"]


def test_an_empty_catalog_loads_the_sample_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app()
    assert_clean(app)
    buttons = _load_button(app)
    assert len(buttons) == 1
    buttons[0].click().run()
    assert_clean(app)
    assert len(app.image) == len(sample_files())  # one thumbnail per sample photo
    assert not _load_button(app)  # no longer empty: no offer


def test_a_viewer_is_not_offered_the_sample_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    with catalog.session() as session:
        db.create_user(session=session, actor=None, username="boss", password="correct horse", role="admin")
    add_user(catalog, "vera", "viewer")
    app = sign_in(start_app(), "vera")
    assert_clean(app)
    assert any("no photos yet" in info.value for info in app.info)  # the empty catalog is shown...
    assert not _load_button(app)  # ...without the offer
