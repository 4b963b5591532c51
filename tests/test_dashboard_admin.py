"""The admin page: vocabularies, reference colours, user accounts and roles."""

from __future__ import annotations

from pathlib import Path

import pytest

import db
from dashboard_support import add_user, assert_clean, errors, open_test_catalog, sign_in, start_app

ADMIN = "views/admin.py"


def submit(app, label: str):  # type: ignore[no-untyped-def]
    next(b for b in app.button if b.label == label).click().run()
    return app


def test_a_new_era_becomes_a_choice_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_catalog(tmp_path, monkeypatch)
    app = start_app(ADMIN)
    assert_clean(app)
    [w for w in app.text_input if w.label == "Name"][0].input("Reconstruction")  # the term form comes first
    next(w for w in app.text_input if w.label == "Year from").input("1953")
    submit(app, "Add term")
    assert_clean(app)
    assert any("- Reconstruction" in text.value for text in app.markdown)
    app.switch_page("views/catalog.py").run()
    assert "Reconstruction" in app.selectbox(key="catalog-era").options


def test_a_reference_colour_is_added_with_its_citation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    app = start_app(ADMIN)
    [w for w in app.text_input if w.label == "Name"][1].input("Tram livery green")  # the colour form
    next(w for w in app.color_picker if w.label == "Colour").pick("#2e5e3a")
    next(w for w in app.text_input if w.label == "Citation (where it is documented)").input("Seoul Electric 1938 timetable")
    app.selectbox(key="admin-color-era").select("Japanese occupation")
    submit(app, "Add colour")
    assert_clean(app)
    with catalog.read_session() as session:
        (color,) = db.list_reference_colors(session=session)
        assert (color.name, color.hex, color.citation, color.era.name) == (
            "Tram livery green", "#2e5e3a", "Seoul Electric 1938 timetable", "Japanese occupation",
        )  # fmt: skip


def test_the_first_account_ends_single_user_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    app = start_app(ADMIN)
    assert "single-user mode" in app.info[0].value
    next(w for w in app.text_input if w.label == "User name").input("boss")
    next(w for w in app.text_input if w.label == "Password (at least 8 characters)").input("correct horse")
    submit(app, "Add user")
    with catalog.read_session() as session:
        assert not db.is_local_mode(session=session)
    app.run()
    assert app.title[0].value == "Find Color"  # everyone signs in now


def test_an_admin_changes_a_role_and_a_short_password_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    add_user(catalog, "carla", "curator")
    with catalog.read_session() as session:
        carla = db.get_user_by_name(session=session, username="carla").id
    app = sign_in(start_app(), "boss")
    app.switch_page(ADMIN).run()
    next(w for w in app.selectbox if w.label == "User").select(carla).run()
    app.selectbox(key=f"admin-new-role-{carla}").select("reviewer")
    submit(app, "Apply")
    with catalog.read_session() as session:
        assert db.get_user_by_name(session=session, username="carla").role is db.Role.REVIEWER
    next(w for w in app.text_input if w.label == "User name").input("dan")
    next(w for w in app.text_input if w.label == "Password (at least 8 characters)").input("short")
    submit(app, "Add user")
    (message,) = errors(app)
    assert "at least 8 characters" in message and message.endswith("Correct the form and add the user again.")


def test_a_curator_sees_no_user_management(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    add_user(catalog, "carla", "curator")
    app = sign_in(start_app(), "carla")
    app.switch_page(ADMIN).run()
    assert_clean(app)
    assert [tab.label for tab in app.tabs] == ["Vocabularies", "Reference colours"]


def test_changing_a_password_keeps_the_role_and_says_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resetting a reviewer's password must not make her a viewer: the form starts at her current values."""
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    add_user(catalog, "rita", "reviewer")
    with catalog.read_session() as session:
        rita = db.get_user_by_name(session=session, username="rita").id
    app = sign_in(start_app(), "boss")
    app.switch_page(ADMIN).run()
    next(w for w in app.selectbox if w.label == "User").select(rita).run()
    assert app.selectbox(key=f"admin-new-role-{rita}").value == "reviewer"
    assert app.selectbox(key=f"admin-active-{rita}").value == "active"
    app.text_input(key=f"admin-pw-{rita}").input("a new long password")
    submit(app, "Apply")
    assert_clean(app)
    with catalog.read_session() as session:
        assert db.get_user_by_name(session=session, username="rita").role is db.Role.REVIEWER
    assert any(message.value == "rita: new password set." for message in app.success)
    with catalog.session() as session:
        assert db.authenticate(session=session, username="rita", password="a new long password").username == "rita"


def test_an_admin_unlocks_a_locked_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from db import throttle

    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    add_user(catalog, "carla", "curator")
    monkeypatch.setattr(throttle, "delay_after", lambda failures: throttle.timedelta(0))
    for _ in range(throttle.LOCK_AFTER):
        with catalog.session() as session, pytest.raises(db.AuthenticationFailed):
            db.authenticate(session=session, username="carla", password="wrong", client=None)
    app = sign_in(start_app(), "boss")
    app.switch_page(ADMIN).run()
    (locks,) = [frame.value for frame in app.dataframe if "account or client" in frame.value.columns]
    assert locks["account or client"].tolist() == ["carla"]
    app.text_input(key="admin-unlock-user").input("carla")
    submit(app, "Unlock sign-in")
    assert_clean(app)
    assert any("Unlocked carla" in message.value for message in app.success)
    with catalog.session() as session:
        assert db.authenticate(session=session, username="carla", password="correct horse").username == "carla"
