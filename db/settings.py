"""One typed settings object, read from environment variables prefixed ``FINDCOLOR_``.

Nothing needs configuring for the default: the catalog lives in ``./data`` under the
working directory (a SQLite file ``catalog.sqlite3`` and a file store ``store/``).

==============================  ==========================================  =====================
variable                        meaning                                     default
==============================  ==========================================  =====================
``FINDCOLOR_DATA_DIR``          folder holding the SQLite file and store    ``./data``
``FINDCOLOR_DATABASE_URL``      SQLAlchemy URL (``postgresql+psycopg://``)  SQLite in data dir
``FINDCOLOR_STORE_DIR``         root of the content-addressed file store    ``<data dir>/store``
``FINDCOLOR_STORE_URL``         ``s3://bucket/prefix``: store in S3 storage  none (local folder)
``FINDCOLOR_MAX_PIXELS``        largest image accepted, in pixels           200,000,000
``FINDCOLOR_MAX_UPLOAD_BYTES``  largest file accepted, in bytes             1 GiB
``FINDCOLOR_FOUR_EYES``         reviewers may not approve their own work    ``true``
``FINDCOLOR_THUMBNAIL_SIDE``    longer side of cached thumbnails (px)       256
``FINDCOLOR_DISPLAY_SIDE``      longer side of cached display copies (px)   1600
``FINDCOLOR_SESSION_HOURS``     a dashboard sign-in lasts this long         12
==============================  ==========================================  =====================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from findcolor.options import DEFAULT_MAX_PIXELS

from db.errors import InvalidInput

PREFIX = "FINDCOLOR_"
SQLITE_FILENAME = "catalog.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Everything the catalog needs to know about its environment."""

    data_dir: Path  # holds the default SQLite file and the default file store
    database_url: str  # SQLAlchemy URL; SQLite file in data_dir unless set
    store_dir: Path  # root of the content-addressed file store
    max_pixels: int = DEFAULT_MAX_PIXELS  # decompression-bomb limit for imports and outputs
    max_upload_bytes: int = 1 << 30  # files larger than this are refused on import
    four_eyes: bool = True  # a reviewer may not approve a colorization they made
    thumbnail_side: int = 256  # cached thumbnail size (longer side, pixels)
    display_side: int = 1600  # cached display copy size (longer side, pixels)
    store_url: str | None = None  # s3://bucket/prefix: the store in object storage (store_dir: its local cache)
    c2pa_cert: Path | None = None  # signing certificate chain (PEM) for content credentials on exports
    c2pa_key: Path | None = None  # its private key (PEM, unencrypted)
    c2pa_trust_anchors: Path | None = None  # CA certificates (PEM) that 'findcolor c2pa verify' trusts
    session_hours: int = 12  # a dashboard sign-in survives reloads and new tabs this long

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests, CLI overrides)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _parse_bool(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"{PREFIX}{name}={text!r} is not a yes/no value (use true or false)")


def _parse_int(name: str, text: str) -> int:
    try:
        value = int(text.replace("_", "").strip())
    except ValueError:
        raise InvalidInput(f"{PREFIX}{name}={text!r} is not a whole number") from None
    if value <= 0:
        raise InvalidInput(f"{PREFIX}{name}={text!r} must be positive")
    return value


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read the settings from ``environ`` (default ``os.environ``); keyword overrides win."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(PREFIX + name)
        return value if value not in (None, "") else None

    data_dir = Path(get("DATA_DIR") or "data").expanduser()
    if "data_dir" in overrides:
        data_dir = Path(overrides.pop("data_dir"))  # type: ignore[arg-type]
    data_dir = data_dir.resolve()
    store_dir = Path(get("STORE_DIR")).expanduser().resolve() if get("STORE_DIR") else data_dir / "store"
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": get("DATABASE_URL") or sqlite_url(data_dir / SQLITE_FILENAME),
        "store_dir": store_dir,
    }
    for field, name in (
        ("max_pixels", "MAX_PIXELS"),
        ("max_upload_bytes", "MAX_UPLOAD_BYTES"),
        ("thumbnail_side", "THUMBNAIL_SIDE"),
        ("display_side", "DISPLAY_SIDE"),
        ("session_hours", "SESSION_HOURS"),
    ):
        if (text := get(name)) is not None:
            values[field] = _parse_int(name, text)
    if (text := get("STORE_URL")) is not None:
        values["store_url"] = text.strip()
    if (text := get("FOUR_EYES")) is not None:
        values["four_eyes"] = _parse_bool("FOUR_EYES", text)
    for field, name in (("c2pa_cert", "C2PA_CERT"), ("c2pa_key", "C2PA_KEY"), ("c2pa_trust_anchors", "C2PA_TRUST_ANCHORS")):
        if (text := get(name)) is not None:
            values[field] = Path(text).expanduser().resolve()
    values.update(overrides)
    if "store_dir" in overrides:
        values["store_dir"] = Path(overrides["store_dir"]).resolve()  # type: ignore[arg-type]
    return Settings(**values)  # type: ignore[arg-type]
