"""The file store in S3-compatible storage, against moto's S3 server on loopback (one per session).

Import, colorization, a batch run, verify (a deleted object is reported) and export, all with
``store_url=s3://…``; and no partial object is ever visible under a final key.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

import db
from batch_support import ERA, EVENT, fill_catalog
from db.batch import BatchFilters, plan_batch_run
from db.batch_runner import LocalPool, resolve_engine, run_batch
from db.catalog import Catalog
from db.object_store import ObjectStore


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fresh bucket; the AWS variables a real deployment would set (also seen by worker processes)."""
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                        ("AWS_DEFAULT_REGION", "us-east-1"), ("FINDCOLOR_S3_ENDPOINT_URL", s3_endpoint)):  # fmt: skip
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    bucket = f"archive-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


@pytest.fixture
def s3_catalog(settings: db.Settings, s3_bucket) -> Iterator[Catalog]:  # type: ignore[no-untyped-def]
    _, bucket = s3_bucket
    opened = db.open_catalog(settings.with_changes(store_url=f"s3://{bucket}/store"))
    yield opened
    opened.close()


def _keys(client, bucket: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_import_colorize_verify_and_export_with_the_store_in_s3(  # type: ignore[no-untyped-def]
    s3_catalog: Catalog, s3_bucket, make_scan, tmp_path: Path
) -> None:
    client, bucket = s3_bucket
    catalog = s3_catalog
    assert isinstance(catalog.store, ObjectStore)
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        photos = [db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=me,
                                  filename=f"{seed}.png", data=make_scan(seed), metadata={"era": ERA}).photo_id
                  for seed in range(3)]  # fmt: skip
    with catalog.read_session() as session:
        originals = [db.get_photo(session=session, photo_id=photo_id).sha256 for photo_id in photos]
    assert sorted(_keys(client, bucket)) == sorted(f"store/objects/{sha[:2]}/{sha[2:4]}/{sha}" for sha in originals)
    assert not (catalog.settings.store_dir / "objects").exists()  # nothing of the record on local disk
    from db.batch_runner import encode_png
    import findcolor

    output = encode_png(findcolor.colorize(catalog.store.read_bytes(originals[0]), {"palette": [{"color": "#a03020", "weight": 1}]},
                                           engine="classical"))  # fmt: skip
    with catalog.session() as session:
        candidate = db.create_colorization(session=session, store=catalog.store, settings=catalog.settings, actor=me,
                                           photo_id=photos[0], hints={}, engine="classical", output_png=output)
        db.approve_colorization(session=session, settings=catalog.settings, actor=me, colorization_id=candidate.id)
    assert catalog.store.read_bytes(candidate.output_sha256) == output
    assert db.thumbnail_path(catalog=catalog, sha256=originals[0]).is_file()  # previews cached locally
    with catalog.read_session() as session:
        assert db.verify_store(session=session, store=catalog.store).ok
    client.delete_object(Bucket=bucket, Key=f"store/objects/{originals[2][:2]}/{originals[2][2:4]}/{originals[2]}")
    with catalog.read_session() as session:
        report = db.verify_store(session=session, store=catalog.store)
        bag = db.export_bag(session=session, store=catalog.store, out_path=tmp_path / "bag.zip", era=ERA)
    assert not report.ok and [problem.sha256 for problem in report.missing] == [originals[2]]
    assert report.missing[0].path.startswith(f"s3://{bucket}/store/objects/")
    assert bag.photos == 1
    with zipfile.ZipFile(bag.path) as archive:
        hashes = {hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}
    assert originals[0] in hashes and output in [catalog.store.read_bytes(candidate.output_sha256)]  # the scan, read from S3


def test_batch_run_reads_and_writes_the_store_in_s3(s3_catalog: Catalog, s3_bucket) -> None:  # type: ignore[no-untyped-def]
    client, bucket = s3_bucket
    catalog = s3_catalog
    photo_ids = fill_catalog(catalog, count=4, palette_source=False)
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        planned = plan_batch_run(session=session, actor=me, filters=BatchFilters(era=ERA, event=EVENT),
                                 engine=resolve_engine("classical"))  # fmt: skip
    finished = run_batch(catalog=catalog, actor=me, run_id=planned.id, executor=LocalPool(workers=1, engine="classical"))
    assert (finished.done, finished.failed) == (4, 0)
    with catalog.read_session() as session:
        outputs = [item.output_sha256 for item in db.list_batch_colorizations(session=session, run_id=planned.id)]
    assert len(outputs) == 4 and all(catalog.store.matches(sha) for sha in outputs)
    assert {f"store/objects/{sha[:2]}/{sha[2:4]}/{sha}" for sha in outputs} <= set(_keys(client, bucket))
    assert len(photo_ids) == 4


def test_no_partial_object_is_ever_visible_under_its_final_key(s3_catalog: Catalog) -> None:
    store = s3_catalog.store
    data = os.urandom(12 << 20)  # large enough for a multipart upload
    key = hashlib.sha256(data).hexdigest()
    seen: list[int] = []
    wrong: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                body = store.fs.cat_file(store._key(key))
            except FileNotFoundError:
                seen.append(0)
                continue
            seen.append(len(body))
            if hashlib.sha256(body).hexdigest() != key:
                wrong.append(len(body))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert store.put_bytes(data) == key
    finally:
        stop.set()
        watcher.join()
    assert not wrong, f"partial objects seen: {wrong}"
    assert seen and set(seen) <= {0, len(data)}
    assert store.matches(key) is True
    staging = Path(s3_catalog.settings.store_dir, "tmp")
    assert not staging.exists() or not list(staging.iterdir())  # the staged copy is gone once published
