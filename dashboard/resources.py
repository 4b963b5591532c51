"""Long-lived resources shared by every page: the open catalog and cached image copies.

The catalog (database engine, file store) is opened once per server process and the
schema upgraded on that first open, so a fresh machine needs no set-up step. Image copies
are keyed by the SHA-256 of the file they come from: content-addressed, they never go stale.
"""

from __future__ import annotations

import io

import streamlit as st
from PIL import Image

import db
import findcolor
from dashboard.rendering import display_copy_at, preview_image


@st.cache_resource(show_spinner="Opening the catalog…")
def _open_catalog(database_url: str, store_dir: str, data_dir: str) -> db.Catalog:
    settings = db.load_settings(data_dir=data_dir, database_url=database_url, store_dir=store_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return db.open_catalog(settings, upgrade=True)


def get_catalog() -> db.Catalog:
    """The catalog named by the ``FINDCOLOR_*`` environment (``./data`` by default).

    Cached per location, so tests (and a server restarted with other settings) never get a
    catalog opened for another folder.
    """
    settings = db.load_settings()
    return _open_catalog(settings.database_url, str(settings.store_dir), str(settings.data_dir))


@st.cache_data(show_spinner=False, max_entries=2000)
def thumbnail_bytes(sha256: str) -> bytes:
    """The cached JPEG thumbnail of a stored image (made on first use by the file store)."""
    catalog = get_catalog()
    return db.thumbnail_path(catalog=catalog, sha256=sha256).read_bytes()


@st.cache_data(show_spinner=False, max_entries=64)
def display_bytes(sha256: str) -> bytes:
    """The cached display-size JPEG of a stored image (what the workspace shows)."""
    catalog = get_catalog()
    return db.display_path(catalog=catalog, sha256=sha256).read_bytes()


@st.cache_resource(show_spinner=False, max_entries=32)
def preview_copy(sha256: str, original_size: tuple[int, int]) -> Image.Image:
    """The copy of a photo that preview renders and colour suggestions work on, made once per photo.

    Shared, never modified: ``findcolor`` reads its input and returns a new image.
    """
    return preview_image(display_bytes(sha256), original_size)


@st.cache_data(show_spinner=False, max_entries=64)
def canvas_background(sha256: str, size: tuple[int, int]) -> bytes:
    """The photo at the canvas's size, as JPEG bytes, made once per photo and size.

    Bytes rather than an image: the canvas sends its background to the browser inline on every
    run, so it is encoded once, and as JPEG, which keeps a canvas as wide as a 2560-px window's
    column a few hundred kilobytes.
    """
    buffer = io.BytesIO()
    display_copy_at(display_bytes(sha256), size).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@st.cache_data(show_spinner=False, ttl=60)
def _term_names(database_url: str, kind: str) -> list[str]:
    del database_url  # only part of the cache key: one entry per catalog
    with get_catalog().read_session() as session:
        return [term.name for term in db.list_terms(session=session, kind=kind)]


def term_names(kind: str) -> list[str]:
    """Names of the era or event vocabulary, for filter and form choices.

    Cached for a minute per catalog; pages that add a term call :func:`forget_terms`.
    """
    return _term_names(get_catalog().settings.database_url, kind)


def forget_terms() -> None:
    _term_names.clear()


@st.cache_resource(show_spinner="Preparing the colorization engine…")
def warm_engine(name: str) -> str:
    """Load the engine and run it once on a tiny image, so the curator's first Run is as fast
    as the ones after it (first use pays for loading weights and initialising the solver)."""
    findcolor.colorize(
        Image.new("RGB", (64, 64), (128, 128, 128)),
        {"version": 1, "points": [{"x": 8, "y": 8, "color": "#a03020", "radius": 2}]},
        engine=name,
    )
    return name
