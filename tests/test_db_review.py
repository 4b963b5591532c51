"""The review rules, enforced by the data layer: roles, four-eyes, supersede, immutability,
and exactly one approved colorization per photo under concurrent approvals."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

import db
from db.catalog import Catalog
from db.errors import InvalidInput, PermissionDenied, RecordImmutable
from findcolor.errors import HintError

HINTS = {"points": [{"x": 3, "y": 4, "color": "#a03020", "radius": 1}], "saturation": 0.4}


@pytest.fixture
def photo_id(catalog: Catalog, catalog_users: dict[str, db.User], make_scan) -> int:  # type: ignore[no-untyped-def]
    with catalog.session() as session:
        outcome = db.import_bytes(
            session=session, store=catalog.store, settings=catalog.settings, actor=catalog_users["curator"],
            filename="street.png", data=make_scan(3), metadata={"era": "Korean War"},
        )
    assert outcome.photo_id is not None
    return outcome.photo_id


def _candidate(catalog: Catalog, actor: db.User, photo_id: int, make_colorized, color=(160, 48, 32)) -> int:  # type: ignore[no-untyped-def]
    with catalog.session() as session:
        colorization = db.create_colorization(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor, photo_id=photo_id,
            hints=HINTS, engine="classical", output_png=make_colorized(48, 32, color), model_name="levin2004",
            model_version="mg/1", parameters={"working_side": 512}, provenance_note="Column red from the 1950 survey.",
        )
        return colorization.id


def _status(catalog: Catalog, colorization_id: int) -> db.ColorizationStatus:
    with catalog.read_session() as session:
        colorization = db.get_colorization(session=session, colorization_id=colorization_id)
        assert colorization is not None
        return colorization.status


def test_candidate_records_everything(catalog: Catalog, catalog_users, photo_id: int, make_colorized) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(catalog, catalog_users["curator"], photo_id, make_colorized)
    with catalog.read_session() as session:
        colorization = db.get_colorization(session=session, colorization_id=candidate)
        assert colorization is not None
        assert colorization.status is db.ColorizationStatus.DRAFT
        assert colorization.hints["points"][0]["color"] == "#a03020" and colorization.hints["saturation"] == 0.4
        assert (colorization.engine, colorization.model_name, colorization.model_version) == ("classical", "levin2004", "mg/1")
        assert colorization.parameters == {"working_side": 512}
        assert colorization.created_by.username == "curator" and colorization.created_at is not None
        assert catalog.store.read_bytes(colorization.output_sha256) == make_colorized(48, 32)
        assert colorization.palette["colors"][0]["hex"] == "#a03020"
        photo = db.get_photo(session=session, photo_id=photo_id)
        assert photo is not None and photo.status is db.PhotoStatus.IN_REVIEW
        assert [event.action for event in db.list_audit_events(session=session, entity_type="colorization")] == [
            "colorization.create"
        ]


def test_bad_candidates_are_refused(catalog: Catalog, catalog_users, photo_id: int, make_colorized) -> None:  # type: ignore[no-untyped-def]
    curator = catalog_users["curator"]
    common = dict(store=catalog.store, settings=catalog.settings, photo_id=photo_id, engine="classical")
    with catalog.session() as session:
        with pytest.raises(PermissionDenied):
            db.create_colorization(session=session, actor=catalog_users["viewer"], hints=HINTS,
                                   output_png=make_colorized(48, 32), **common)
        with pytest.raises(HintError, match="points"):
            db.create_colorization(session=session, actor=curator, hints={"points": [{"x": 999, "y": 1, "color": "#fff"}]},
                                   output_png=make_colorized(48, 32), **common)
        with pytest.raises(InvalidInput, match="48x32"):
            db.create_colorization(session=session, actor=curator, hints=HINTS, output_png=make_colorized(10, 10), **common)
        with pytest.raises(InvalidInput, match="not a readable image"):
            db.create_colorization(session=session, actor=curator, hints=HINTS, output_png=b"nope", **common)
        with pytest.raises(InvalidInput, match="reference colour"):
            db.create_colorization(
                session=session, actor=curator, output_png=make_colorized(48, 32), **common,
                hints={"palette": [{"color": "#a03020", "reference": "Gyeongbokgung column red"}]},
            )
        db.add_reference_color(session=session, actor=curator, name="Gyeongbokgung column red", hex="#A03020",
                               citation="Cultural Heritage Administration, 2010 survey")
        cited = db.create_colorization(
            session=session, actor=curator, output_png=make_colorized(48, 32), **common,
            hints={"palette": [{"color": "#a03020", "reference": "Gyeongbokgung column red"}]},
        )
        assert cited.hints["palette"][0]["reference"] == "Gyeongbokgung column red"
        assert session.scalar(select(func.count()).select_from(db.Colorization)) == 1


def test_four_eyes_and_roles(catalog: Catalog, catalog_users, photo_id: int, make_colorized) -> None:  # type: ignore[no-untyped-def]
    own = _candidate(catalog, catalog_users["reviewer"], photo_id, make_colorized)  # reviewers may curate too
    with catalog.session() as session:
        with pytest.raises(PermissionDenied, match="four-eyes"):
            db.approve_colorization(session=session, settings=catalog.settings, actor=catalog_users["reviewer"],
                                    colorization_id=own)
        with pytest.raises(PermissionDenied, match="reviewer"):
            db.approve_colorization(session=session, settings=catalog.settings, actor=catalog_users["curator"],
                                    colorization_id=own)
    assert _status(catalog, own) is db.ColorizationStatus.DRAFT
    with catalog.session() as session:
        approved = db.approve_colorization(session=session, settings=catalog.settings,
                                           actor=catalog_users["reviewer2"], colorization_id=own, note="Matches the survey.")
        assert approved.reviewed_by.username == "reviewer2" and approved.reviewed_at is not None
    # Four-eyes is about publishing: an author may withdraw (reject) their own draft.
    withdrawn = _candidate(catalog, catalog_users["reviewer"], photo_id, make_colorized)
    with catalog.session() as session:
        db.reject_colorization(session=session, settings=catalog.settings, actor=catalog_users["reviewer"],
                               colorization_id=withdrawn, note="made from the wrong print")  # fmt: skip
    assert _status(catalog, withdrawn) is db.ColorizationStatus.REJECTED
    # With four-eyes configured off, a reviewer may approve their own work.
    relaxed = catalog.settings.with_changes(four_eyes=False)
    second = _candidate(catalog, catalog_users["reviewer"], photo_id, make_colorized)
    with catalog.session() as session:
        db.approve_colorization(session=session, settings=relaxed, actor=catalog_users["reviewer"], colorization_id=second)
    assert _status(catalog, second) is db.ColorizationStatus.APPROVED


def test_local_mode_reviews_its_own_work(catalog: Catalog, make_scan, make_colorized) -> None:  # type: ignore[no-untyped-def]
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        outcome = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=me,
                                  filename="a.png", data=make_scan(1))
        assert outcome.photo_id is not None
    candidate = _candidate(catalog, me, outcome.photo_id, make_colorized)
    with catalog.session() as session:
        db.approve_colorization(session=session, settings=catalog.settings, actor=me, colorization_id=candidate)
    assert _status(catalog, candidate) is db.ColorizationStatus.APPROVED


def test_approving_supersedes_and_reviewed_records_are_immutable(catalog: Catalog, catalog_users, photo_id: int, make_colorized) -> None:  # type: ignore[no-untyped-def]
    reviewer = catalog_users["reviewer"]
    first = _candidate(catalog, catalog_users["curator"], photo_id, make_colorized)
    second = _candidate(catalog, catalog_users["curator2"], photo_id, make_colorized, color=(30, 60, 150))
    third = _candidate(catalog, catalog_users["curator"], photo_id, make_colorized, color=(30, 150, 60))
    with catalog.session() as session:
        db.approve_colorization(session=session, settings=catalog.settings, actor=reviewer, colorization_id=second)
        db.reject_colorization(session=session, settings=catalog.settings, actor=reviewer, colorization_id=third,
                               note="Uniform colour not documented.")
        assert db.get_photo(session=session, photo_id=photo_id).status is db.PhotoStatus.IN_REVIEW  # first still waits
    with catalog.session() as session:
        # approving an older candidate (lower id) supersedes the newer approved one
        db.approve_colorization(session=session, settings=catalog.settings, actor=reviewer, colorization_id=first)
    with catalog.read_session() as session:
        assert db.get_approved_colorization(session=session, photo_id=photo_id).id == first
        superseded = db.get_colorization(session=session, colorization_id=second)
        assert superseded.status is db.ColorizationStatus.SUPERSEDED and superseded.superseded_by_id == first
        assert db.get_photo(session=session, photo_id=photo_id).status is db.PhotoStatus.APPROVED
        assert {c.status for c in db.list_colorizations(session=session, photo_id=photo_id)} == {
            db.ColorizationStatus.APPROVED, db.ColorizationStatus.SUPERSEDED, db.ColorizationStatus.REJECTED
        }
    for reviewed in (first, second, third):
        with pytest.raises(RecordImmutable, match="already"), catalog.session() as session:
            db.approve_colorization(session=session, settings=catalog.settings, actor=catalog_users["reviewer2"],
                                        colorization_id=reviewed)
    with pytest.raises(RecordImmutable, match="cannot be changed"):
        with catalog.session() as session:
            record = db.get_colorization(session=session, colorization_id=first)
            record.provenance_note = "rewritten history"
    with pytest.raises(RecordImmutable, match="never removed"):
        with catalog.session() as session:
            session.delete(db.get_colorization(session=session, colorization_id=third))
    with catalog.read_session() as session:
        assert db.get_colorization(session=session, colorization_id=first).provenance_note.startswith("Column red")


def test_database_triggers_guard_history_against_raw_sql(catalog: Catalog, catalog_users, photo_id: int, make_colorized) -> None:  # type: ignore[no-untyped-def]
    candidate = _candidate(catalog, catalog_users["curator"], photo_id, make_colorized)
    with catalog.session() as session:
        db.approve_colorization(session=session, settings=catalog.settings, actor=catalog_users["reviewer"],
                                colorization_id=candidate)
    statements = [
        update(db.Colorization).where(db.Colorization.id == candidate).values(provenance_note="edited"),
        update(db.Colorization).where(db.Colorization.id == candidate).values(status="draft"),
        update(db.AuditEvent).values(action="nothing happened"),
        text("DELETE FROM audit_events"),
        text("DELETE FROM colorizations"),
        text("DELETE FROM photos"),
    ]
    for statement in statements:
        with catalog.engine.connect() as connection:
            with pytest.raises(DBAPIError):
                connection.execute(statement)
            connection.rollback()
    # through a catalog session the trigger's refusal is a one-line RecordImmutable
    with pytest.raises(RecordImmutable, match="append-only"), catalog.session() as session:
        session.execute(text("DELETE FROM audit_events"))
    with catalog.read_session() as session:
        assert db.get_colorization(session=session, colorization_id=candidate).provenance_note.startswith("Column red")
        assert session.scalar(select(func.count()).select_from(db.AuditEvent)) > 0


def test_concurrent_approvals_leave_exactly_one_approved(catalog: Catalog, catalog_users, photo_id: int, make_colorized) -> None:  # type: ignore[no-untyped-def]
    """Two reviewers approve two candidates of one photo at the same moment, in two sessions."""
    rounds = 4
    for _ in range(rounds):
        candidates = [
            _candidate(catalog, catalog_users["curator"], photo_id, make_colorized),
            _candidate(catalog, catalog_users["curator2"], photo_id, make_colorized),
        ]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def approve(reviewer: db.User, colorization_id: int) -> None:
            try:
                with catalog.session() as session:
                    barrier.wait(timeout=10)
                    db.approve_colorization(session=session, settings=catalog.settings, actor=reviewer,
                                            colorization_id=colorization_id)
            except BaseException as error:  # noqa: BLE001 - collected and checked below
                errors.append(error)

        threads = [
            threading.Thread(target=approve, args=(catalog_users["reviewer"], candidates[0])),
            threading.Thread(target=approve, args=(catalog_users["reviewer2"], candidates[1])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with catalog.read_session() as session:
            approved = session.scalars(
                select(db.Colorization.id).where(
                    db.Colorization.photo_id == photo_id, db.Colorization.status == db.ColorizationStatus.APPROVED
                )
            ).all()
            assert len(approved) == 1 and approved[0] in candidates
            loser = next(candidate for candidate in candidates if candidate != approved[0])
            assert db.get_colorization(session=session, colorization_id=loser).status is db.ColorizationStatus.SUPERSEDED


def test_second_session_waits_for_the_first_and_then_supersedes(catalog: Catalog, catalog_users, photo_id: int, make_colorized) -> None:  # type: ignore[no-untyped-def]
    """Deterministic interleaving: B starts approving while A's approval is uncommitted.

    PostgreSQL: B waits on A's row lock of the photo. SQLite: B waits for A's write transaction.
    """
    first = _candidate(catalog, catalog_users["curator"], photo_id, make_colorized)
    second = _candidate(catalog, catalog_users["curator2"], photo_id, make_colorized)
    b_done = threading.Event()

    def approve_second() -> None:
        with catalog.session() as session:
            db.approve_colorization(session=session, settings=catalog.settings, actor=catalog_users["reviewer2"],
                                    colorization_id=second)
        b_done.set()

    with catalog.session() as session_a:
        db.approve_colorization(session=session_a, settings=catalog.settings, actor=catalog_users["reviewer"],
                                colorization_id=first)
        thread = threading.Thread(target=approve_second)
        thread.start()
        assert not b_done.wait(timeout=1.0)  # B is blocked until A commits
    thread.join(timeout=30)
    assert b_done.is_set()
    assert _status(catalog, first) is db.ColorizationStatus.SUPERSEDED
    assert _status(catalog, second) is db.ColorizationStatus.APPROVED
