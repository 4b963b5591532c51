"""Content-addressed file store: originals and derivatives kept outside the database.

A file's key is the SHA-256 of its bytes, which is also its fixity value. Layout under the
root::

    objects/ab/cd/abcd…   the bytes exactly as received (originals, colorization outputs)
    derived/256/ab/abcd….jpg   cached previews (thumbnails, display copies), re-creatable

Writes are atomic (temporary file under ``tmp/``, fsync, then a link or rename to the final
name), so a crash never leaves a half-written object under its final name. An intact object is
never rewritten; objects are made read-only after writing. The one exception is repair: an
object whose bytes no longer hash to its name (or that is missing) is replaced by verified
bytes (:meth:`restore`).

Import stages a file first (:meth:`stage_file`: copied under ``tmp/`` and hashed, outside any
database transaction) and publishes it (:meth:`publish`: one rename) inside the transaction
that inserts its row. A crash can therefore leave at most the file in flight, under one name:
a staging file of a process that is gone, or an object no record refers to. ``findcolor verify
--repair`` removes both (:func:`db.verify.repair_store`); re-importing the file reclaims the
object. :func:`hold_store_lock` keeps that removal from racing an import in flight.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import text
from sqlalchemy.orm import Session

from findcolor.errors import ImageLoadError
from findcolor.options import DEFAULT_MAX_PIXELS

from db.errors import InvalidInput, StoreError

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20


def hashing_copy(source: str | os.PathLike[str], digest: hashlib._Hash) -> Callable[[BinaryIO], None]:
    """A writer for ``_write_temp``: copies ``source`` in chunks, feeding ``digest`` on the way,
    so a file is read once to be both hashed and stored."""

    def copy(handle: BinaryIO) -> None:
        with open(source, "rb") as reader:
            for chunk in iter(lambda: reader.read(CHUNK_SIZE), b""):
                digest.update(chunk)
                handle.write(chunk)

    return copy


_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
# Staging files are named incoming.<pid>.<host>.<random>, so a repair can tell whose they are.
_HOST = re.sub(r"[^A-Za-z0-9-]", "_", socket.gethostname())[:64] or "host"
_STAGING_PATTERN = re.compile(r"^incoming\.(\d+)\.([A-Za-z0-9_-]+)\.")
# A staging file of another machine (shared store) counts as abandoned after this long.
FOREIGN_STAGING_MAX_AGE_S = 24 * 3600
# PostgreSQL advisory lock key: writers of new objects hold it shared, repair exclusive.
_STORE_LOCK_KEY = 0x66696E64636F6C  # "findcol"


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


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else (or not allowed to ask)
        return True
    return True


def hold_store_lock(*, session: Session, exclusive: bool) -> None:
    """Order writers of new objects (shared) against :func:`db.verify.repair_store` (exclusive).

    Held until the transaction ends. A writer takes it before publishing an object whose row it
    is about to commit, so a repair never sees that object without its row. On SQLite the write
    transaction (``BEGIN IMMEDIATE``) already excludes every other writer.
    """
    if session.get_bind().dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(text(f"SELECT {function}(:key)"), {"key": _STORE_LOCK_KEY})
    else:
        session.connection()  # begins the transaction, and with it the write lock


@dataclass(frozen=True)
class StagedFile:
    """Bytes copied under ``tmp/`` and hashed, waiting to be published (or discarded)."""

    path: Path
    sha256: str
    size: int


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
        copy = hashing_copy(source, digest)

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

    # ------------------------------------------------------------------ staging (import)

    def stage_file(self, source: str | os.PathLike[str], *, expected_sha256: str) -> StagedFile:
        """Copy ``source`` under ``tmp/``, hashing on the way; StoreError if it no longer hashes as expected."""
        digest = hashlib.sha256()
        copy = hashing_copy(source, digest)

        temp_path = self._write_temp(self.root / "tmp", copy)
        changed = f"{source}: file changed while it was being imported; try again"
        return self._checked(temp_path, digest.hexdigest(), expected_sha256, changed)

    def stage_bytes(self, data: bytes) -> StagedFile:
        temp_path = self._write_temp(self.root / "tmp", lambda handle: handle.write(data))
        key = sha256_bytes(data)
        return self._checked(temp_path, key, key, "")

    def _checked(self, temp_path: Path, key: str, expected: str, message: str) -> StagedFile:
        if key != expected:
            temp_path.unlink(missing_ok=True)
            raise StoreError(message)
        return StagedFile(temp_path, key, temp_path.stat().st_size)

    def publish(self, staged: StagedFile) -> bool:
        """Give a staged file its final name; True if moved there, False if an intact copy was there already.

        The move is one rename, so at every moment the file exists under exactly one name (a
        crash leaves either a staging file or an object, never both). An existing object that
        does not hash to its name (damaged) is replaced by the staged bytes.
        """
        if self.matches(staged.sha256):
            return False
        self.restore(staged)
        return True

    def restore(self, staged: StagedFile) -> None:
        """Move the staged (verified) bytes to their final name, replacing a missing or damaged object atomically."""
        target = self.path(staged.sha256)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(staged.path, 0o444)
            os.replace(staged.path, target)
            _fsync_directory(target.parent)
        except OSError as exc:
            raise StoreError(f"cannot write to the file store at {self.root}: {exc.strerror or exc}") from None

    def discard(self, staged: StagedFile) -> None:
        staged.path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ repair

    def remove_object(self, sha256: str) -> None:
        """Delete an object (only for objects no record refers to; see db.verify.repair_store)."""
        try:
            self.path(sha256).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot remove {self.path(sha256)}: {exc.strerror or exc}") from None

    def abandoned_staging_files(self) -> list[Path]:
        """Staging files whose writer is gone: its process ended on this machine, or a day has passed."""
        staging = self.root / "tmp"
        if not staging.is_dir():
            return []
        abandoned = []
        now = time.time()
        for path in sorted(staging.iterdir()):
            if not path.is_file():
                continue
            match = _STAGING_PATTERN.match(path.name)
            if match and match.group(2) == _HOST:
                gone = not _process_alive(int(match.group(1)))
            else:
                try:
                    gone = now - path.stat().st_mtime > FOREIGN_STAGING_MAX_AGE_S
                except FileNotFoundError:
                    continue
            if gone:
                abandoned.append(path)
        return abandoned

    def _write_atomically(self, target: Path, write: Callable[[BinaryIO], object]) -> None:
        temp_path = self._write_temp(self.root / "tmp", write)
        try:
            self._publish(temp_path, target)
        finally:
            temp_path.unlink(missing_ok=True)

    def _write_temp(self, staging_dir: Path, write: Callable[[BinaryIO], object]) -> Path:
        try:
            staging_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=staging_dir, prefix=f"incoming.{os.getpid()}.{_HOST}.")
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
            from findcolor.imageio import preview  # numpy and Pillow: only when a preview is made

            image = preview(source, max_side, max_pixels=max_pixels)
        except ImageLoadError as exc:
            raise StoreError(f"cannot make a preview of {sha256[:12]}…: {exc}") from None
        self._write_atomically(target, lambda handle: image.save(handle, format="JPEG", quality=88))
        log.debug("made %d px preview of %s", max_side, sha256)
        return target
