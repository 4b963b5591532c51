"""The shipped sample collection: real photos with source and licence, loaded through the
audited import, stored byte for byte, described, and loaded only once (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

import pytest

import db
from db.sample_collection import MANIFEST, SAMPLE_DIR, load_sample_collection, sample_files


def _load(catalog: db.Catalog, actor: db.User | None = None) -> db.ImportReport:
    with catalog.session() as session:
        actor = actor or db.get_local_user(session=session)  # local single-user mode
        return load_sample_collection(session=session, store=catalog.store, settings=catalog.settings, actor=actor)


def _photos(catalog: db.Catalog) -> list[db.Photo]:
    with catalog.read_session() as session:
        return db.list_photos(session=session, filters=db.PhotoFilter(), page=1, per_page=100).items


def test_the_shipped_files_are_a_handful_of_small_described_photos() -> None:
    files = sample_files()
    assert 4 <= len(files) <= 6
    assert all(path.is_file() for path in files)
    assert sum(path.stat().st_size for path in files) < 3_000_000
    assert (SAMPLE_DIR / "LICENSES.md").is_file() and MANIFEST.is_file()


def test_loading_imports_every_photo_byte_for_byte_with_its_description(catalog: db.Catalog) -> None:
    report = _load(catalog)
    assert len(report.imported) == len(sample_files()) and not report.failed
    photos = _photos(catalog)
    assert {photo.original_filename for photo in photos} == {path.name for path in sample_files()}
    for photo in photos:
        original = (SAMPLE_DIR / photo.original_filename).read_bytes()
        assert photo.sha256 == hashlib.sha256(original).hexdigest()
        assert catalog.store.read_bytes(photo.sha256) == original
        for field in ("title", "era_name", "event_name", "place", "source", "rights", "date_text"):
            assert getattr(photo, field), f"{photo.original_filename}: {field} is empty"
        assert "sample" in photo.tags
    with catalog.read_session() as session:
        imports = db.list_audit_events(session=session, entity_type="photo")
    assert len([event for event in imports if event.action == "photo.import"]) == len(photos)


def test_loading_twice_adds_nothing(catalog: db.Catalog) -> None:
    _load(catalog)
    before = [(photo.id, photo.sha256) for photo in _photos(catalog)]
    again = _load(catalog)
    assert not again.imported and len(again.duplicates) == len(before)
    assert [(photo.id, photo.sha256) for photo in _photos(catalog)] == before


def test_a_viewer_may_not_load_it(catalog: db.Catalog, catalog_users: dict[str, db.User]) -> None:
    with pytest.raises(db.PermissionDenied):
        _load(catalog, catalog_users["viewer"])
    assert _photos(catalog) == []
    report = _load(catalog, catalog_users["curator"])
    assert len(report.imported) == len(sample_files())
