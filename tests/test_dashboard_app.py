"""The dashboard shell: single-user mode, sign-in, role-dependent pages, sign-out."""

from __future__ import annotations

from pathlib import Path

import pytest

import db

from dashboard_support import add_photo, add_user, assert_clean, errors, open_test_catalog, shown, sign_in, start_app


def test_without_accounts_the_catalog_opens_in_single_user_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app()
    assert_clean(app)
    assert app.title[0].value == "Catalog"
    assert "local curator (single-user mode)" in shown(app.sidebar.caption[0].value)
    assert not app.sidebar.button  # nobody to sign out


@pytest.mark.parametrize(
    "page", ["views/import_photos.py", "views/workspace.py", "views/review.py", "views/batch.py", "views/export.py", "views/admin.py"]
)
def test_every_page_renders_for_the_local_curator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    photo_id = add_photo(catalog, title="Harbour")
    app = start_app(page, photo=str(photo_id))
    assert_clean(app)
    assert app.title[0].value != "Catalog"


def test_with_accounts_every_page_needs_a_sign_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    app = start_app()
    assert app.title[0].value == "Find Color"
    assert [widget.label for widget in app.text_input] == ["User name", "Password"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("views/catalog.py")  # not even registered before signing in


def test_a_wrong_password_is_refused_with_a_next_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    app = sign_in(start_app(), "boss", "wrong password")
    assert errors(app) == [
        "Unknown user name or wrong password. Try again, or ask an administrator to reset your password."
    ]
    assert app.title[0].value == "Find Color"


def test_sign_in_and_sign_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    app = sign_in(start_app(), "boss")
    assert_clean(app)
    assert app.title[0].value == "Catalog"
    assert "boss (admin)" in shown(app.sidebar.caption[0].value)
    app.sidebar.button[0].click().run()
    assert app.title[0].value == "Find Color"
    assert "user_id" not in app.session_state


def test_a_viewer_cannot_open_write_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    add_user(catalog, "vera", "viewer")
    app = sign_in(start_app(), "vera")
    for page in ("views/import_photos.py", "views/workspace.py", "views/review.py", "views/admin.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page)  # the page is not part of a viewer's navigation at all
    app.switch_page("views/export.py").run()
    assert app.title[0].value == "Export"


# ----------------------------------------------------------------------------- single-user mode only on loopback


@pytest.fixture
def serve_on():
    """Set Streamlit's ``server.address`` as ``--server.address`` would, restoring it afterwards."""
    from streamlit import config

    original = config.get_option("server.address")
    yield lambda address: config.set_option("server.address", address)
    config.set_option("server.address", original)


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "192.168.1.20", "archive.example.org", None])
def test_without_accounts_a_network_address_shows_only_how_to_create_an_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve_on, address: str | None
) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_photo(catalog, title="Harbour")
    serve_on(address)  # None: unset, and Streamlit then listens on every interface
    app = start_app()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Find Color"
    assert [code.value for code in app.code] == ["findcolor user add NAME --role admin"]
    assert "no user accounts" in app.warning[0].value
    elements = [(node.type, getattr(node, "value", None)) for node in app.main if node.type != "main"]  # in order
    assert [kind for kind, _ in elements] == ["title", "warning", "markdown", "code", "caption", "html"], elements
    assert [node for node in app.sidebar if node.type != "sidebar"] == []  # no "signed in as", no navigation
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("views/admin.py")  # no page of the catalog is registered at all


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_on_a_loopback_address_single_user_mode_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve_on, address: str
) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    serve_on(address)
    app = start_app()
    assert_clean(app)
    assert app.title[0].value == "Catalog"
    assert "local curator (single-user mode)" in shown(app.sidebar.caption[0].value)


def test_with_accounts_a_network_address_shows_the_sign_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve_on) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    serve_on("0.0.0.0")
    app = sign_in(start_app(), "boss")
    assert_clean(app)
    assert app.title[0].value == "Catalog"
    assert "boss (admin)" in shown(app.sidebar.caption[0].value)


def test_a_reload_or_a_new_tab_keeps_the_sign_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new browser session (reload, typed address, second tab) signs in from the cookie the sign-in wrote."""
    from dashboard import access

    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    first = sign_in(start_app(), "boss")
    token = first.session_state[access.SESSION_TOKEN_KEY]
    assert first.session_state[access.COOKIE_WRITE_KEY][0] == token  # the browser is asked to keep it
    monkeypatch.setattr(access, "browser_session_token", lambda: token)
    reloaded = start_app("views/admin.py")
    assert_clean(reloaded)
    assert reloaded.title[0].value == "Admin"
    assert "boss (admin)" in shown(reloaded.sidebar.caption[0].value)


def test_sign_out_ends_the_sign_in_in_every_tab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import access

    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    first = sign_in(start_app(), "boss")
    token = first.session_state[access.SESSION_TOKEN_KEY]
    monkeypatch.setattr(access, "browser_session_token", lambda: token)
    second = start_app()
    assert second.title[0].value == "Catalog"
    first.sidebar.button[0].click().run()
    assert first.title[0].value == "Find Color"
    second.run()
    assert second.title[0].value == "Find Color"  # the other tab is signed out at its next run
    assert start_app().title[0].value == "Find Color"  # and the cookie no longer signs anyone in


def test_an_unknown_or_forged_cookie_signs_nobody_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import access

    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    monkeypatch.setattr(access, "browser_session_token", lambda: "forged-token")
    assert start_app().title[0].value == "Find Color"


def test_a_throttled_sign_in_says_how_long_to_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    app = start_app()
    for _ in range(3):
        sign_in(app, "boss", "wrong password")
    sign_in(app, "boss", "correct horse")  # refused before the password is checked
    (message,) = errors(app)
    assert message.startswith("Too many failed sign-ins for this account: wait ") and message.endswith(" s and try again.")
    assert app.title[0].value == "Find Color"


def test_a_locked_sign_in_says_it_is_locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from db import throttle

    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    monkeypatch.setattr(throttle, "delay_after", lambda failures: throttle.timedelta(0))
    for _ in range(throttle.LOCK_AFTER):
        with catalog.session() as session, pytest.raises(db.AuthenticationFailed):
            db.authenticate(session=session, username="boss", password="wrong", client=None)
    app = sign_in(start_app(), "boss")
    (message,) = errors(app)
    assert "locked for 15 more minute(s)" in message and "ask an administrator to unlock it" in message


@pytest.mark.parametrize("address", ["catalog", "workspace"])
def test_a_typed_page_address_opens_the_page_in_single_user_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    """``/catalog`` typed in single-user mode showed "Page not found": the catalog is served at ``/``."""
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app()
    # What a browser sends for a typed address: the hash of the page registered at that url_path.
    (page_hash,) = [key for key, page in app._registered_pages.items() if page.get("url_pathname") == address]
    app._page_hash = page_hash
    app.run()
    assert_clean(app)
    assert app.title[0].value == address.capitalize()
