"""Text people typed is shown as text on every page: Markdown in a title or a note never
becomes an image, a link or formatting (issue 9, item 7).

AppTest hands back the Markdown source each element will render, so the checks are on
that source: the attack text must never appear unescaped in an element that renders
Markdown, and the text a reader sees (the escapes removed) must still be all of it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import db
from dashboard.plain_text import literal
from dashboard_support import actor, add_candidate, add_photo, add_user, errors, open_test_catalog, shown, sign_in, start_app

IMAGE = "![x](http://host/x.png)"
LINK = "[link](http://host/page)"
BOLD_URL = "**bold** http://host/bare <b>html</b>"

# Streamlit renders these element types as Markdown (labels and pill options too).
MARKDOWN_TYPES = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success"}
UNESCAPED = re.compile(r"(?<!\\)(!\[|\[[^\]]*(?<!\\)\]\(|https?://|<b>|\*\*bold)")


def markdown_sources(app: Any) -> list[str]:
    """The Markdown source of every element on the page (and in the sidebar) that renders Markdown."""
    sources = []
    for root in (app.main, app.sidebar):
        for node in root:
            if node.type in MARKDOWN_TYPES and isinstance(getattr(node, "value", None), str):
                sources.append(node.value)
            if node.type == "button_group":
                sources.extend(node.options)
            if isinstance(getattr(node, "label", None), str):
                sources.append(node.label)
    return sources


def assert_shown_as_text(app: Any, *texts: str) -> None:
    assert not app.exception, [e.value for e in app.exception]
    sources = markdown_sources(app)
    for source in sources:
        assert not UNESCAPED.search(source), source  # no image, link, autolink, HTML or emphasis survives
    for text in texts:
        assert any(text in shown(source) for source in sources), (text, sources)  # and the reader sees all of it


def test_literal_escapes_every_markdown_character_and_nothing_else() -> None:
    assert literal(IMAGE) == r"\!\[x\]\(http\:\/\/host\/x\.png\)"
    assert literal("Busan harbour 1951") == "Busan harbour 1951"
    assert literal("Séoul — été") == "Séoul — été"
    assert shown(literal(f"{IMAGE} {LINK} {BOLD_URL} a_b `c` #1 $x$ :red[x] \\")) == (
        f"{IMAGE} {LINK} {BOLD_URL} a_b `c` #1 $x$ :red[x] \\"
    )


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[db.Catalog, int]:
    """A photo whose title, place and era, a candidate's note and a reference colour carry Markdown."""
    catalog = open_test_catalog(tmp_path, monkeypatch)
    with catalog.session() as session:
        db.add_term(session=session, actor=actor(session, None), kind="era", name=f"Era {LINK}")
    photo_id = add_photo(catalog, title=IMAGE, place=LINK, era=f"Era {LINK}", date_text=BOLD_URL)
    with catalog.session() as session:
        db.add_reference_color(session=session, actor=actor(session, None), name=f"Red {LINK}", hex="#a03020")
    add_candidate(catalog, photo_id, note=f"from {IMAGE} and {LINK}")
    return catalog, photo_id


def test_the_catalog_shows_titles_as_text(hostile: tuple[db.Catalog, int]) -> None:
    app = start_app()
    assert_shown_as_text(app, IMAGE, BOLD_URL)


def test_the_workspace_shows_title_place_notes_and_reference_names_as_text(hostile: tuple[db.Catalog, int]) -> None:
    _, photo_id = hostile
    app = start_app("views/workspace.py", photo=str(photo_id))
    assert_shown_as_text(app, IMAGE, LINK, BOLD_URL, f"from {IMAGE} and {LINK}", f"Red {LINK}")


def test_the_review_page_shows_the_basis_as_text(hostile: tuple[db.Catalog, int]) -> None:
    app = start_app("views/review.py")
    assert_shown_as_text(app, f"from {IMAGE} and {LINK}")


def test_the_admin_page_shows_vocabulary_names_as_text(hostile: tuple[db.Catalog, int]) -> None:
    app = start_app("views/admin.py")
    assert_shown_as_text(app, f"Era {LINK}")


def test_error_messages_quoting_user_input_are_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app("views/import_photos.py")
    app.file_uploader(key="import-files").set_value(("a.png", b"not a png", "image/png"))
    app.file_uploader(key="import-csv").set_value(("meta.csv", f"filename,{LINK}\na.png,red\n".encode(), "text/csv")).run()
    next(b for b in app.button if b.label == "Import").click().run()
    (error,) = errors(app)
    assert "unknown column" in error
    assert_shown_as_text(app, LINK)  # the CSV header, quoted in the error


def test_the_signed_in_name_is_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    with catalog.session() as session:
        boss = db.get_user_by_name(session=session, username="boss")
        db.create_user(session=session, actor=boss, username="mallory", password="correct horse", role="curator",
                       display_name=IMAGE)  # fmt: skip
    app = sign_in(start_app(), "mallory")
    assert_shown_as_text(app, IMAGE)  # "Signed in as ..." in the sidebar
