"""The file store in S3-compatible object storage (``FINDCOLOR_STORE_URL=s3://bucket/prefix``).

Same content addressing and layout as :class:`db.store.FileStore` (``objects/ab/cd/<sha256>``
under the prefix), same methods, so import, colorization, batch runs, ``verify`` and ``export``
work unchanged. Only the S3 API is spoken (through ``fsspec``/``s3fs``), so AWS S3, MinIO, Ceph
or any other compatible service works: credentials come from the usual AWS variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, profiles, instance roles), the endpoint from
``FINDCOLOR_S3_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL``), the region from ``AWS_DEFAULT_REGION``.

Atomic writes: bytes are staged and hashed in a local folder first and uploaded under their
final key only when complete. An S3 PUT (and a multipart upload, which appears only when
completed) is atomic, so readers see no object or the whole object, never a part of one; there
is no rename in S3, so nothing is ever written under a temporary key and copied.

Local folder (``FINDCOLOR_STORE_DIR``, default ``<data dir>/store``): staging files and cached
thumbnails and display copies, which are re-creatable.

``s3fs`` is an optional dependency (requirements-scale.txt); the local folder store needs nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from findcolor.errors import ImageLoadError
from findcolor.options import DEFAULT_MAX_PIXELS

from db.errors import InvalidInput, StoreError
from db.store import CHUNK_SIZE, FileStore, StagedFile, _check_key

log = logging.getLogger(__name__)

STORE_URL_ENV = "FINDCOLOR_STORE_URL"
ENDPOINT_ENV = "FINDCOLOR_S3_ENDPOINT_URL"
_SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")


def s3_endpoint(environ: os._Environ[str] | dict[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    return env.get(ENDPOINT_ENV) or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None


class ObjectStore:
    """Files keyed by SHA-256 under ``s3://bucket/prefix``; staging and previews in ``local_dir``."""

    def __init__(self, url: str, *, local_dir: str | os.PathLike[str], endpoint_url: str | None = None,
                 filesystem: Any = None) -> None:  # fmt: skip
        if not url.startswith("s3://") or len(url.rstrip("/")) <= len("s3://"):
            raise InvalidInput(f"{STORE_URL_ENV}={url!r} is not an s3://bucket/prefix URL")
        self.url = url.rstrip("/")
        self.root = self.url  # printed in messages, like FileStore.root
        self.endpoint_url = endpoint_url if endpoint_url is not None else s3_endpoint()
        self._base = self.url[len("s3://") :]
        self._local = FileStore(local_dir)
        if filesystem is None:
            try:
                import s3fs
            except ImportError:
                raise StoreError(f"{STORE_URL_ENV} names S3 storage, which needs s3fs: pip install -r requirements-scale.txt") from None
            client_kwargs = {"region_name": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
            if self.endpoint_url:
                client_kwargs["endpoint_url"] = self.endpoint_url
            filesystem = s3fs.S3FileSystem(client_kwargs=client_kwargs, use_listings_cache=False, skip_instance_cache=True)
        self.fs = filesystem

    # ------------------------------------------------------------------ paths

    def _key(self, sha256: str) -> str:
        key = _check_key(sha256)
        return f"{self._base}/objects/{key[:2]}/{key[2:4]}/{key}"

    def path(self, sha256: str) -> str:
        """The object's URL (whether or not it exists)."""
        return "s3://" + self._key(sha256)

    def derivative_path(self, sha256: str, max_side: int) -> Path:
        return self._local.derivative_path(sha256, max_side)

    def exists(self, sha256: str) -> bool:
        try:
            return bool(self.fs.exists(self._key(sha256)))
        except OSError as exc:
            raise StoreError(f"cannot reach the object store {self.url}: {exc}") from None

    def iter_keys(self) -> Iterator[str]:
        try:
            found = self.fs.find(f"{self._base}/objects")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"cannot list the object store {self.url}: {exc}") from None
        for name in sorted(path.rsplit("/", 1)[-1] for path in found):
            if _SHA256_NAME.match(name):
                yield name

    # ------------------------------------------------------------------ writing

    def _upload(self, staged: StagedFile) -> None:
        """One PUT of complete, hashed bytes to the final key (atomic for readers); the staging file is removed."""
        try:
            self.fs.put_file(str(staged.path), self._key(staged.sha256))
        except OSError as exc:
            raise StoreError(f"cannot write to the object store {self.url}: {exc}") from None
        finally:
            self._local.discard(staged)

    def put_bytes(self, data: bytes) -> str:
        staged = self._local.stage_bytes(data)
        if self.exists(staged.sha256):
            self._local.discard(staged)
            return staged.sha256
        self._upload(staged)
        return staged.sha256

    def put_file(self, source: str | os.PathLike[str], *, expected_sha256: str | None = None) -> str:
        if expected_sha256 is not None and self.exists(expected_sha256):
            return expected_sha256
        digest = hashlib.sha256()
        with open(source, "rb") as reader:
            for chunk in iter(lambda: reader.read(CHUNK_SIZE), b""):
                digest.update(chunk)
        staged = self._local.stage_file(source, expected_sha256=expected_sha256 or digest.hexdigest())
        if self.exists(staged.sha256):
            self._local.discard(staged)
        else:
            self._upload(staged)
        return staged.sha256

    def stage_file(self, source: str | os.PathLike[str], *, expected_sha256: str) -> StagedFile:
        return self._local.stage_file(source, expected_sha256=expected_sha256)

    def stage_bytes(self, data: bytes) -> StagedFile:
        return self._local.stage_bytes(data)

    def publish(self, staged: StagedFile) -> bool:
        """Upload the staged bytes under their key; False (nothing uploaded) if an intact copy is there."""
        if self.matches(staged.sha256):
            self._local.discard(staged)
            return False
        self._upload(staged)
        return True

    def restore(self, staged: StagedFile) -> None:
        self._upload(staged)

    def discard(self, staged: StagedFile) -> None:
        self._local.discard(staged)

    # ------------------------------------------------------------------ repair

    def remove_object(self, sha256: str) -> None:
        try:
            self.fs.rm_file(self._key(sha256))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot remove {self.path(sha256)}: {exc}") from None

    def abandoned_staging_files(self) -> list[Path]:
        return self._local.abandoned_staging_files()

    # ------------------------------------------------------------------ reading

    def read_bytes(self, sha256: str) -> bytes:
        try:
            return self.fs.cat_file(self._key(sha256))
        except FileNotFoundError:
            raise StoreError(f"stored file {sha256[:12]}… is missing from {self.url}") from None
        except OSError as exc:
            raise StoreError(f"cannot read stored file {sha256[:12]}…: {exc}") from None

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.fs.open(self._key(sha256), "rb")
        except FileNotFoundError:
            raise StoreError(f"stored file {sha256[:12]}… is missing from {self.url}") from None

    def matches(self, sha256: str) -> bool | None:
        """Re-hash a stored object: True if intact, False if altered, None if missing."""
        digest = hashlib.sha256()
        try:
            with self.fs.open(self._key(sha256), "rb") as reader:
                for chunk in iter(lambda: reader.read(CHUNK_SIZE), b""):
                    digest.update(chunk)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read stored file {sha256[:12]}…: {exc}") from None
        return digest.hexdigest() == sha256

    # ------------------------------------------------------------------ derivatives (cached locally)

    def derivative(self, sha256: str, max_side: int, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Path:
        target = self._local.derivative_path(sha256, max_side)
        if target.is_file():
            return target
        try:
            from findcolor.imageio import preview  # numpy and Pillow: only when a preview is made

            image = preview(io.BytesIO(self.read_bytes(sha256)), max_side, max_pixels=max_pixels)
        except ImageLoadError as exc:
            raise StoreError(f"cannot make a preview of {sha256[:12]}…: {exc}") from None
        self._local._write_atomically(target, lambda handle: image.save(handle, format="JPEG", quality=88))
        return target


def open_store(*, store_dir: str | os.PathLike[str], store_url: str | None = None,
               endpoint_url: str | None = None) -> FileStore | ObjectStore:  # fmt: skip
    """The object store at ``store_url`` (staging and previews in ``store_dir``), else the folder ``store_dir``."""
    if store_url:
        return ObjectStore(store_url, local_dir=store_dir, endpoint_url=endpoint_url)
    return FileStore(store_dir)
