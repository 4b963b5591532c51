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


def test_four_eyes_a_reviewer_cannot_approve_their_own_work_but_may_withdraw_it(catalog: db.Catalog) -> None:
    """Her own candidate shows why she cannot approve it and no Approve button (it could only fail); Reject stays."""
    photo_id = add_photo(catalog, username="boss")
    candidate = add_candidate(catalog, photo_id, username="rita")
    assert [b.label for b in open_review("ravi").button if b.label in ("Approve", "Reject")] == ["Approve", "Reject"]
    app = open_review("rita")
    assert_clean(app)
    assert not [b for b in app.button if b.label == "Approve"]
    assert any("another reviewer approves it" in message.value for message in app.info)
    assert status_of(catalog, candidate) is db.ColorizationStatus.DRAFT
    app.text_area(key=f"review-note-{candidate}").input("made from the wrong print")
    button(app, "Reject").click().run()
    assert_clean(app)
    assert status_of(catalog, candidate) is db.ColorizationStatus.REJECTED


def test_a_failed_decision_leaves_both_buttons_on_the_page(catalog: db.Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    """An approval the data layer refuses (another reviewer decided in the same second) is reported with a
    next step, and Reject is still there: it used to vanish, because the error ended the page before it was drawn."""
    from db.errors import RecordImmutable

    def decided_meanwhile(**_: object) -> None:
        raise RecordImmutable("colorization #1 was already rejected by ravi; make a new candidate instead")

    photo_id = add_photo(catalog, username="boss")
    candidate = add_candidate(catalog, photo_id, username="ravi")
    app = open_review("rita")
    monkeypatch.setattr(db, "approve_colorization", decided_meanwhile)
    button(app, "Approve").click().run()
    assert any("already rejected by ravi" in message for message in errors(app))
    assert not button(app, "Reject").disabled
    button(app, "Reject").click().run()
    assert status_of(catalog, candidate) is db.ColorizationStatus.REJECTED


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


def test_the_engine_has_a_human_name_and_the_full_identifier_stays_in_provenance() -> None:
    from dashboard.photo_rows import engine_label

    version = "hintnet+levin2004/02635e0b9c/blend=1:128,edge=0.5"
    assert engine_label("auto", "hintnet", version, "02635e0b9c11aa") == "Neural network + classical · hintnet (weights 02635e0b)"
    assert engine_label("classical", "", "levin2004", None) == "Classical (no model) · levin2004"
    assert "/" not in engine_label("classical", "", version, None)


def test_the_queue_can_be_narrowed_to_one_batch_run(catalog: db.Catalog) -> None:
    from db.batch import BatchFilters, plan_batch_run
    from db.batch_runner import InlineExecutor, resolve_engine, run_batch

    for shift in (1, 2):
        add_photo(catalog, username="boss", shift=shift, size=96, era="Korean War", title=f"Pier {shift}")
    by_hand = add_photo(catalog, username="boss", shift=3, size=96, title="Tram depot")
    add_candidate(catalog, by_hand, username="ravi")
    with catalog.session() as session:
        boss = db.get_user_by_name(session=session, username="boss")
        planned = plan_batch_run(session=session, actor=boss, filters=BatchFilters(era="Korean War"), engine=resolve_engine("classical"))
        run_id = planned.id
    run_batch(catalog=catalog, actor=boss, run_id=run_id, executor=InlineExecutor())

    app = open_review("rita")
    assert_clean(app)
    assert len(app.selectbox(key="review-choice").options) == 3  # every draft by default
    app.selectbox(key="review-batch").select(run_id).run()
    assert_clean(app)
    narrowed = app.selectbox(key="review-choice").options
    assert sorted(label.split(" · ")[1] for label in narrowed) == ["Pier 1", "Pier 2"]

    linked = sign_in(start_app(batch=str(run_id)), "rita")  # the batch page links here with ?batch=N
    linked.switch_page(REVIEW).run()
    assert linked.selectbox(key="review-batch").value == run_id
    assert len(linked.selectbox(key="review-choice").options) == 2
