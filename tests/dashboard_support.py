"""Shared set-up for the dashboard's AppTest tests: a fresh catalog and ways to fill it.

Each test gets its own catalog folder through ``FINDCOLOR_DATA_DIR`` (the dashboard caches
the open catalog per location, so tests never see each other's data). Photos are real
images from scikit-image's bundled samples, imported through the data layer.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import db

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
APP_TIMEOUT_S = 120  # generous: the first run opens and migrates the catalog on a busy machine


def open_test_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> db.Catalog:
    """Point the dashboard at an empty catalog under ``tmp_path`` and open it for seeding."""
    monkeypatch.setenv("FINDCOLOR_DATA_DIR", str(tmp_path / "catalog"))
    monkeypatch.delenv("FINDCOLOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("FINDCOLOR_STORE_DIR", raising=False)
    return db.open_catalog(db.load_settings())


def camera_png(size: int = 512, shift: int = 0) -> bytes:
    """The 'cameraman' photograph (a real B&W photo) as PNG; ``shift`` makes distinct files."""
    from skimage import data

    pixels = np.roll(data.camera(), shift, axis=1)
    image = Image.fromarray(pixels).resize((size, size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def actor(session: Any, username: str | None) -> db.User:
    if username is None:
        return db.get_local_user(session=session)
    user = db.get_user_by_name(session=session, username=username)
    assert user is not None
    return user


def add_photo(
    catalog: db.Catalog, *, username: str | None = None, shift: int = 0, size: int = 512, **metadata: Any
) -> int:
    with catalog.session() as session:
        outcome = db.import_bytes(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor(session, username),
            filename=f"camera-{shift}.png", data=camera_png(size=size, shift=shift), metadata=metadata,
        )  # fmt: skip
    assert outcome.status == "imported", outcome.message
    assert outcome.photo_id is not None
    return outcome.photo_id


def add_candidate(catalog: db.Catalog, photo_id: int, *, username: str | None = None, note: str = "uniform colours") -> int:
    """A draft colorization: a tinted copy of the photo with one point hint."""
    with catalog.session() as session:
        photo = db.get_photo(session=session, photo_id=photo_id)
        assert photo is not None
        gray = Image.open(io.BytesIO(catalog.store.read_bytes(photo.sha256))).convert("RGB")
        tinted = Image.merge("RGB", (gray.getchannel(0), gray.getchannel(1), gray.getchannel(2).point(lambda v: v // 2)))
        created = db.create_colorization(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor(session, username),
            photo_id=photo_id, hints={"version": 1, "points": [{"x": 10, "y": 10, "color": "#a03020", "radius": 3}]},
            engine="classical", output_png=png_bytes(tinted), provenance_note=note,
        )  # fmt: skip
        return created.id


def add_user(catalog: db.Catalog, username: str, role: str, password: str = "correct horse") -> None:
    """Create an account (the first one must be an admin; the admin 'boss' creates later ones)."""
    with catalog.session() as session:
        admin = db.get_user_by_name(session=session, username="boss")
        db.create_user(session=session, actor=admin, username=username, password=password, role=role)


def start_app(page: str | None = None, **query: str) -> AppTest:
    """Run the dashboard once (optionally switching to ``page``, e.g. "views/workspace.py")."""
    app = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_S)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    if page is not None:
        app.switch_page(page).run()
    return app


def sign_in(app: AppTest, username: str, password: str = "correct horse") -> AppTest:
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    app.button[0].click().run()
    return app


def shown(markdown: str) -> str:
    """What a reader sees of Markdown source in which user text was escaped (dashboard.plain_text)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def errors(app: AppTest) -> list[str]:
    """The error boxes on the page, as the reader sees them."""
    return [shown(element.value) for element in app.error]


def assert_clean(app: AppTest) -> None:
    """No uncaught exception and no error box on the page."""
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, errors(app)


def approve_as_local_curator(catalog: db.Catalog, candidate: int) -> None:
    """Approve a draft in single-user mode (the export page shows approved work only)."""
    with catalog.session() as session:
        db.approve_colorization(
            session=session, settings=catalog.settings, actor=db.get_local_user(session=session),
            colorization_id=candidate, note="ok",
        )  # fmt: skip


def build_bag(app: AppTest) -> AppTest:
    """Click the export page's "Build the bag" and run the script."""
    next(b for b in app.button if b.label == "Build the bag").click().run()
    return app
