"""The content-addressed store: atomic, read-only objects that are never rewritten."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from PIL import Image

from db.errors import StoreError
from db.store import FileStore


def test_put_bytes_is_content_addressed_and_read_only(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    data = b"original scan bytes"
    key = store.put_bytes(data)
    assert key == hashlib.sha256(data).hexdigest()
    path = store.path(key)
    assert path.read_bytes() == data
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert store.put_bytes(data) == key  # same bytes: nothing new
    assert list(store.iter_keys()) == [key]
    assert not any((tmp_path / "store" / "tmp").iterdir())  # no temporary files left


def test_existing_object_is_never_rewritten(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    source = tmp_path / "scan.tif"
    source.write_bytes(b"A" * 5000)
    key = store.put_file(source)
    before = os.stat(store.path(key))
    assert store.put_file(source) == key
    after = os.stat(store.path(key))
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert source.read_bytes() == b"A" * 5000  # the source is untouched


def test_put_file_refuses_a_file_that_changed_since_it_was_hashed(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    source = tmp_path / "scan.tif"
    source.write_bytes(b"new content")
    with pytest.raises(StoreError, match="changed"):
        store.put_file(source, expected_sha256=hashlib.sha256(b"old content").hexdigest())
    assert list(store.iter_keys()) == []
    assert not any((tmp_path / "store" / "tmp").iterdir())


def test_matches_detects_missing_and_altered(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store")
    key = store.put_bytes(b"scan")
    assert store.matches(key) is True
    path = store.path(key)
    os.chmod(path, 0o644)
    path.write_bytes(b"scan, retouched")
    assert store.matches(key) is False
    path.unlink()
    assert store.matches(key) is None
    with pytest.raises(StoreError, match="missing"):
        store.read_bytes(key)


def test_unwritable_store_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "store"
    blocker.write_text("a file where the store folder should be")
    with pytest.raises(StoreError) as error:
        FileStore(blocker).put_bytes(b"x")
    assert "\n" not in str(error.value)


def test_derivative_is_made_once_and_cached(tmp_path: Path, make_scan) -> None:  # type: ignore[no-untyped-def]
    store = FileStore(tmp_path / "store")
    key = store.put_bytes(make_scan(1, width=600, height=300))
    thumbnail = store.derivative(key, 256)
    with Image.open(thumbnail) as image:
        assert image.size == (256, 128) and image.format == "JPEG"
    mtime = thumbnail.stat().st_mtime_ns
    assert store.derivative(key, 256) == thumbnail
    assert thumbnail.stat().st_mtime_ns == mtime
