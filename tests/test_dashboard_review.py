"""The review page: the queue, side-by-side with hints, approve/reject, four-eyes, supersede."""

from __future__ import annotations

from pathlib import Path

import pytest

import db
from dashboard_support import add_candidate, add_photo, add_user, assert_clean, errors, open_test_catalog, sign_in, start_app

REVIEW = "views/review.py"


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> db.Catalog:
    """Accounts on: a curator who also reviews (for four-eyes) and a second reviewer."""
    catalog = open_test_catalog(tmp_path, monkeypatch)
    add_user(catalog, "boss", "admin")
    add_user(catalog, "rita", "reviewer")
    add_user(catalog, "ravi", "reviewer")
    return catalog


def button(app, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in app.button if b.label == label)


def status_of(catalog: db.Catalog, colorization_id: int) -> db.ColorizationStatus:
    with catalog.read_session() as session:
        colorization = db.get_colorization(session=session, colorization_id=colorization_id)
        assert colorization is not None
        return colorization.status


def open_review(username: str):  # type: ignore[no-untyped-def]
    app = sign_in(start_app(), username)
    app.switch_page(REVIEW).run()
    return app


def test_the_queue_shows_original_with_hints_beside_the_candidate(catalog: db.Catalog) -> None:
    photo_id = add_photo(catalog, username="boss", title="Tram depot")
    add_candidate(catalog, photo_id, username="ravi", note="tram livery from the 1938 timetable")
    app = open_review("rita")
    assert_clean(app)
    (waiting,) = app.selectbox(key="review-choice").options
    assert "Tram depot" in waiting and "by ravi" in waiting
    assert [image.proto.imgs[0].caption for image in app.image] == ["Original with the hints (1 points, 0 strokes)", "Candidate"]
    assert any("tram livery from the 1938 timetable" in text.value for text in app.markdown)


def test_approving_publishes_the_candidate(catalog: db.Catalog) -> None:
    photo_id = add_photo(catalog, username="boss")
    candidate = add_candidate(catalog, photo_id, username="ravi")
    app = open_review("rita")
    app.text_area(key=f"review-note-{candidate}").input("matches the timetable")
    button(app, "Approve").click().run()
    assert_clean(app)
    assert app.success[0].value == f"Approved candidate #{candidate}."
    assert status_of(catalog, candidate) is db.ColorizationStatus.APPROVED
    assert "Nothing waits for review." in app.info[0].value


def test_rejecting_keeps_the_note(catalog: db.Catalog) -> None:
    photo_id = add_photo(catalog, username="boss")
    candidate = add_candidate(catalog, photo_id, username="ravi")
    app = open_review("rita")
    app.text_area(key=f"review-note-{candidate}").input("the sky is too saturated")
    button(app, "Reject").click().run()
    assert status_of(catalog, candidate) is db.ColorizationStatus.REJECTED
    with catalog.read_session() as session:
        assert db.get_colorization(session=session, colorization_id=candidate).review_note == "the sky is too saturated"


def test_four_eyes_a_reviewer_cannot_approve_their_own_work(catalog: db.Catalog) -> None:
    photo_id = add_photo(catalog, username="boss")
    candidate = add_candidate(catalog, photo_id, username="rita")
    app = open_review("rita")
    button(app, "Approve").click().run()
    assert not app.exception
    (message,) = errors(app)
    assert message.endswith("Ask another reviewer, or pick another candidate.")
    assert status_of(catalog, candidate) is db.ColorizationStatus.DRAFT


def test_a_new_approval_supersedes_the_previous_one(catalog: db.Catalog) -> None:
    photo_id = add_photo(catalog, username="boss")
    first = add_candidate(catalog, photo_id, username="ravi")
    app = open_review("rita")
    button(app, "Approve").click().run()
    second = add_candidate(catalog, photo_id, username="ravi", note="better sky")
    app.run()
    button(app, "Approve").click().run()
    assert status_of(catalog, first) is db.ColorizationStatus.SUPERSEDED
    assert status_of(catalog, second) is db.ColorizationStatus.APPROVED
