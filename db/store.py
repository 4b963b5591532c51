"""Content-addressed file store: originals and derivatives kept outside the database.

A file's key is the SHA-256 of its bytes, which is also its fixity value. Layout under the
root::

    objects/ab/cd/abcd…   the bytes exactly as received (originals, colorization outputs)
    derived/256/ab/abcd….jpg   cached previews (thumbnails, display copies), re-creatable

Writes are atomic (temporary file in the same folder, fsync, rename), so a crash never
leaves a half-written object under its final name. An object that already exists is never
rewritten; objects are made read-only after writing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from findcolor.errors import ImageLoadError
from findcolor.imageio import DEFAULT_MAX_PIXELS, preview

from db.errors import InvalidInput, StoreError

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hash a file in chunks (archival scans can be hundreds of megabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_key(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256_PATTERN.match(sha256):
        raise InvalidInput(f"{sha256!r} is not a SHA-256 hex digest")
    return sha256


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not supported on every platform / file system
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class FileStore:
    """Files keyed by SHA-256 under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------ paths

    def path(self, sha256: str) -> Path:
        """Where the object with this hash lives (whether or not it exists)."""
        key = _check_key(sha256)
        return self.root / "objects" / key[:2] / key[2:4] / key

    def derivative_path(self, sha256: str, max_side: int) -> Path:
        key = _check_key(sha256)
        return self.root / "derived" / str(int(max_side)) / key[:2] / f"{key}.jpg"

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def iter_keys(self) -> Iterator[str]:
        """Every object key in the store (for fixity checks of unreferenced files)."""
        objects = self.root / "objects"
        if not objects.is_dir():
            return
        for path in sorted(objects.glob("*/*/*")):
            if path.is_file() and _SHA256_PATTERN.match(path.name):
                yield path.name

    # ------------------------------------------------------------------ writing

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256. Storing the same bytes twice is a no-op."""
        key = sha256_bytes(data)
        target = self.path(key)
        if target.is_file():
            return key
        self._write_atomically(target, lambda handle: handle.write(data))
        return key

    def put_file(self, source: str | os.PathLike[str], *, expected_sha256: str | None = None) -> str:
        """Copy a file into the store, hashing while copying; returns its SHA-256.

        The source is only read. When ``expected_sha256`` is given and the bytes read differ
        (the file changed since it was validated), nothing is stored and StoreError is raised.
        """
        source = Path(source)
        if expected_sha256 is not None and self.path(expected_sha256).is_file():
            return expected_sha256
        digest = hashlib.sha256()

        def copy(handle: BinaryIO) -> None:
            with open(source, "rb") as reader:
                for chunk in iter(lambda: reader.read(CHUNK_SIZE), b""):
                    digest.update(chunk)
                    handle.write(chunk)

        staging_dir = self.root / "tmp"
        temp_path = self._write_temp(staging_dir, copy)
        key = digest.hexdigest()
        try:
            if expected_sha256 is not None and key != expected_sha256:
                raise StoreError(f"{source}: file changed while it was being imported; try again")
            target = self.path(key)
            if target.is_file():
                return key
            self._publish(temp_path, target)
        finally:
            temp_path.unlink(missing_ok=True)
        return key

    def _write_atomically(self, target: Path, write: Callable[[BinaryIO], object]) -> None:
        temp_path = self._write_temp(self.root / "tmp", write)
        try:
            self._publish(temp_path, target)
        finally:
            temp_path.unlink(missing_ok=True)

    def _write_temp(self, staging_dir: Path, write: Callable[[BinaryIO], object]) -> Path:
        try:
            staging_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=staging_dir, prefix="incoming-")
        except OSError as exc:
            raise StoreError(f"cannot write to the file store at {self.root}: {exc.strerror or exc}") from None
        temp_path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            temp_path.unlink(missing_ok=True)
            raise StoreError(f"cannot write to the file store at {self.root}: {exc.strerror or exc}") from None
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return temp_path

    def _publish(self, temp_path: Path, target: Path) -> None:
        """Move a finished temporary file to its final name, read-only; never replace an existing one."""
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(temp_path, 0o444)
            try:
                os.link(temp_path, target)  # fails if the target exists: never overwrite
            except FileExistsError:
                return
            except OSError:  # file systems without hard links
                if target.exists():
                    return
                os.replace(temp_path, target)
            _fsync_directory(target.parent)
        except OSError as exc:
            raise StoreError(f"cannot write to the file store at {self.root}: {exc.strerror or exc}") from None

    # ------------------------------------------------------------------ reading

    def read_bytes(self, sha256: str) -> bytes:
        path = self.path(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"stored file {sha256[:12]}… is missing from {self.root}") from None
        except OSError as exc:
            raise StoreError(f"cannot read stored file {sha256[:12]}…: {exc.strerror or exc}") from None

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise StoreError(f"stored file {sha256[:12]}… is missing from {self.root}") from None

    def matches(self, sha256: str) -> bool | None:
        """Re-hash a stored object: True if intact, False if altered, None if missing."""
        path = self.path(sha256)
        if not path.is_file():
            return None
        return sha256_file(path) == sha256

    # ------------------------------------------------------------------ derivatives

    def derivative(self, sha256: str, max_side: int, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Path:
        """A cached 8-bit JPEG preview (thumbnail or display copy), made once on first use."""
        target = self.derivative_path(sha256, max_side)
        if target.is_file():
            return target
        source = self.path(sha256)
        if not source.is_file():
            raise StoreError(f"stored file {sha256[:12]}… is missing from {self.root}")
        try:
            image = preview(source, max_side, max_pixels=max_pixels)
        except ImageLoadError as exc:
            raise StoreError(f"cannot make a preview of {sha256[:12]}…: {exc}") from None
        self._write_atomically(target, lambda handle: image.save(handle, format="JPEG", quality=88))
        log.debug("made %d px preview of %s", max_side, sha256)
        return target
