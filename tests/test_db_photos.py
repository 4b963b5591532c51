"""The catalog listing (filters, search, sort, pages, counts) and edits of descriptions."""

from __future__ import annotations

import pytest

import db
from db.catalog import Catalog
from db.errors import InvalidInput, PermissionDenied

ROWS = [
    # title, description, place, year, era, event, tags
    ("Market at Namdaemun", "Women selling cabbages", "Seoul", 1952, "Korean War", "Daily life", "market"),
    ("Refugees on the bridge", "Crossing the Han river", "Seoul", 1951, "Korean War", "War", "refugees"),
    ("Students marching", "April 19 protest", "Seoul", 1960, "Second Republic", "April Revolution", "students"),
    ("Wedding portrait", "Couple in hanbok", "Daegu", 1938, "Japanese occupation", "Portrait", ""),
    ("Harbour market", "Fish market at dawn", "Busan", 1953, "Korean War", "Daily life", "market; harbour"),
    ("Undated street", "A street corner", "", None, None, None, ""),
]


@pytest.fixture
def photo_ids(catalog: Catalog, make_scan) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        for seed, (title, description, place, year, era, event, tags) in enumerate(ROWS):
            outcome = db.import_bytes(
                session=session, store=catalog.store, settings=catalog.settings, actor=me, filename=f"p{seed}.png",
                data=make_scan(seed),
                metadata={"title": title, "description": description, "place": place, "year_from": year,
                          "era": era, "event": event, "tags": tags},
            )
            assert outcome.photo_id is not None, outcome.message
            ids.append(outcome.photo_id)
    return ids


def _titles(catalog: Catalog, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    sort = kwargs.pop("sort", "date")
    with catalog.read_session() as session:
        page = db.list_photos(session=session, filters=db.PhotoFilter(**kwargs), sort=sort, per_page=50)
        assert page.total == len(page.items)
        return [photo.title for photo in page.items]


def test_filters_search_and_sort(catalog: Catalog, photo_ids: list[int]) -> None:
    assert _titles(catalog) == [
        "Wedding portrait", "Refugees on the bridge", "Market at Namdaemun", "Harbour market", "Students marching",
        "Undated street",
    ]
    assert _titles(catalog, sort="-date")[:2] == ["Students marching", "Harbour market"]
    assert _titles(catalog, sort="-date")[-1] == "Undated street"  # undated photos last either way
    assert _titles(catalog, era="Korean War", event="Daily life") == ["Market at Namdaemun", "Harbour market"]
    assert _titles(catalog, era="korean war", search="MARKET seoul") == ["Market at Namdaemun"]
    assert _titles(catalog, search="han river") == ["Refugees on the bridge"]
    assert _titles(catalog, search="p3.png") == ["Wedding portrait"]  # the file name is searchable
    assert _titles(catalog, search="100%_") == []  # LIKE wildcards are taken literally
    assert _titles(catalog, tag="Market") == ["Market at Namdaemun", "Harbour market"]
    assert _titles(catalog, year_from=1951, year_to=1952) == ["Refugees on the bridge", "Market at Namdaemun"]
    assert _titles(catalog, status="new", event="War") == ["Refugees on the bridge"]
    assert _titles(catalog, sort="title")[0] == "Harbour market"
    with pytest.raises(InvalidInput, match="unknown era"):
        _titles(catalog, era="Atlantis")
    with pytest.raises(InvalidInput, match="unknown status"):
        _titles(catalog, status="finished")
    with pytest.raises(InvalidInput, match="unknown sort"):
        _titles(catalog, sort="colour")


@pytest.mark.parametrize(
    "words", ["market", "se", "oul", "an", "ket da", "arket harb", "p1.png", "x", "narrow", 'the "bridge', "100%_", "a*b OR c"]
)
def test_search_agrees_with_a_plain_substring_filter(catalog: Catalog, photo_ids: list[int], words: str) -> None:
    """Whatever index answers (FTS5 trigrams, pg_trgm, or a scan), results equal a Python filter."""
    with catalog.read_session() as session:
        photos = db.list_photos(session=session, per_page=50).items
        expected = sorted(
            photo.title for photo in photos
            if all(word in " ".join([photo.title, photo.description, photo.place, photo.identifier, photo.date_text,
                                     photo.original_filename, *photo.tags]).lower() for word in words.split())
        )
    assert sorted(_titles(catalog, search=words)) == expected
    assert sorted(_titles(catalog, search=words, status="new")) == expected  # every photo is still new
    with_filter = sorted(_titles(catalog, search=words, era="Korean War"))
    assert with_filter == sorted(t for t in expected if t in _titles(catalog, era="Korean War"))


def test_pages_and_counts(catalog: Catalog, photo_ids: list[int], make_colorized) -> None:  # type: ignore[no-untyped-def]
    with catalog.read_session() as session:
        pages = [db.list_photos(session=session, sort="oldest", page=page, per_page=4) for page in (1, 2, 3)]
    assert [page.total for page in pages] == [6, 6, 6] and pages[0].pages == 2
    assert [len(page.items) for page in pages] == [4, 2, 0]
    assert [photo.id for page in pages for photo in page.items] == photo_ids
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        db.create_colorization(
            session=session, store=catalog.store, settings=catalog.settings, actor=me, photo_id=photo_ids[0],
            hints={}, engine="neural", output_png=make_colorized(48, 32),
        )
        counts = db.count_photos_by_status(session=session, filters=db.PhotoFilter(era="Korean War", status="approved"))
    assert counts == {db.PhotoStatus.NEW: 2, db.PhotoStatus.IN_REVIEW: 1, db.PhotoStatus.APPROVED: 0, db.PhotoStatus.REJECTED: 0}


def test_update_photo_changes_only_descriptions_and_is_audited(catalog: Catalog, photo_ids: list[int]) -> None:
    with catalog.session() as session:
        me = db.get_local_user(session=session)
        before = db.get_photo(session=session, photo_id=photo_ids[3])
        sha = before.sha256
        photo = db.update_photo(
            session=session, actor=me, photo_id=photo_ids[3],
            changes={"title": "Wedding in Daegu", "year_to": 1939, "event": "Ceremony", "tags": ["wedding", "Hanbok"]},
        )
        assert (photo.title, photo.year_from, photo.year_to, photo.event_name) == ("Wedding in Daegu", 1938, 1939, "Ceremony")
        assert photo.tags == ["hanbok", "wedding"] and photo.sha256 == sha and photo.updated_at is not None
        with pytest.raises(InvalidInput, match="unknown field 'sha256'"):
            db.update_photo(session=session, actor=me, photo_id=photo_ids[3], changes={"sha256": "0" * 64})
        with pytest.raises(InvalidInput, match="before year_from"):
            db.update_photo(session=session, actor=me, photo_id=photo_ids[3], changes={"year_to": 1900})
    assert _titles(catalog, search="hanbok daegu") == ["Wedding in Daegu"]
    with catalog.read_session() as session:
        events = db.list_audit_events(session=session, entity_type="photo", entity_id=photo_ids[3])
        assert events[0].action == "photo.update"
        assert events[0].details["title"] == ["Wedding portrait", "Wedding in Daegu"]
        assert events[0].details["event"] == ["Portrait", "Ceremony"]


def test_viewers_cannot_edit(catalog: Catalog, make_scan, catalog_users) -> None:  # type: ignore[no-untyped-def]
    with catalog.session() as session:
        outcome = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings,
                                  actor=catalog_users["curator"], filename="a.png", data=make_scan(1))
        with pytest.raises(PermissionDenied):
            db.update_photo(session=session, actor=catalog_users["viewer"], photo_id=outcome.photo_id,
                            changes={"title": "x"})


def test_vocabularies_can_be_extended_not_duplicated(catalog: Catalog, catalog_users) -> None:  # type: ignore[no-untyped-def]
    with catalog.session() as session:
        term = db.add_term(session=session, actor=catalog_users["curator"], kind="event", name="Saemaul Movement",
                           year_from=1970, year_to=1979)
        assert term.kind is db.TermKind.EVENT
        names = [t.name for t in db.list_terms(session=session, kind="event")]
        assert "Saemaul Movement" in names and names.index("Saemaul Movement") < names.index("Portrait")
        with pytest.raises(db.DuplicateRecord):
            db.add_term(session=session, actor=catalog_users["curator"], kind="event", name="saemaul movement")
        with pytest.raises(PermissionDenied):
            db.add_term(session=session, actor=catalog_users["viewer"], kind="era", name="Future")
