"""Finding the same need, +1 (我也遇到了), merging by hand, and who follows a request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from storage.db import Database
from storage.errors import (
    CannotMerge,
    InvalidState,
    MergeNotAllowed,
    NotAllowed,
    NotFound,
    RequestNotFound,
)
from storage.models import (
    ActorKind,
    Organisation,
    RequestEvent,
    RequestStatus,
    RequestSupporter,
    Resident,
    ServiceRequest,
    utcnow,
)
from storage.requests import filing, records
from storage.requests.duplicates import find_duplicates, merge_requests, support_request
from storage.requests.records import Actor, follower_chat_ids

WANG, LI, ZHANG, CHEN = 2_000_000_001, 2_000_000_002, 2_000_000_003, 2_000_000_004


def _file(
    db: Database,
    telegram_id: int,
    text: str,
    *,
    community: str = "玉林社区",
    building: str | None = "3栋",
    category: str = "repairs",
) -> int:
    new = filing.NewRequest(
        original_text=text,
        normalised_text=text,
        predicted_category=category,
        predicted_confidence=0.9,
        category=category,
        community=community,
        building=building,
    )
    with db.session() as s:
        number = filing.file_request(s, telegram_id=telegram_id, display_name="居民", new=new).id
    assert number is not None
    return number


def _request(db: Database, number: int) -> ServiceRequest:
    with db.session() as s:
        return records.get_request(s, number=number)


def _events(db: Database, number: int) -> list[tuple[str, str | None, str | None]]:
    with db.session() as s:
        return [
            (e.kind, e.from_status, e.to_status) for e in records.request_events(s, number=number)
        ]


# --- finding ----------------------------------------------------------------------------------


def test_finds_the_same_need_in_the_same_community(db: Database) -> None:
    number = _file(db, WANG, "3栋电梯又坏了，老人上不去楼")
    _file(db, LI, "小区垃圾好几天没人收", building=None, category="environment")
    with db.session() as s:
        found = find_duplicates(s, text="三栋的电梯不动了", community="玉林社区", telegram_id=ZHANG)
    match = found[0] if found else None
    assert match is not None
    assert (match.request_id, match.own, match.status, match.supporters) == (
        number,
        False,
        "open",
        1,
    )
    assert match.score >= 0.45


def test_own_request_is_flagged(db: Database) -> None:
    _file(db, WANG, "3栋电梯又坏了")
    with db.session() as s:
        found = find_duplicates(s, text="3栋电梯坏了", community="玉林社区", telegram_id=WANG)
    match = found[0] if found else None
    assert match is not None and match.own


@pytest.mark.parametrize(
    ("text", "community", "building"),
    [
        ("三栋的电梯不动了", "望江社区", None),  # another community
        ("5栋电梯坏了", "玉林社区", None),  # another building, named in the text
        ("电梯坏了", "玉林社区", "5栋"),  # another building, from the place
        ("楼上半夜太吵了", "玉林社区", None),  # another need
    ],
)
def test_does_not_match_other_places_or_needs(
    db: Database, text: str, community: str, building: str | None
) -> None:
    _file(db, WANG, "3栋电梯又坏了")
    with db.session() as s:
        assert find_duplicates(s, text=text, community=community, building=building) == []


def test_only_active_and_recent_requests_are_candidates(db: Database) -> None:
    old = _file(db, WANG, "3栋电梯又坏了")
    closed = _file(db, LI, "3栋电梯坏了好几天")
    with db.session() as s:
        request = records.get_request(s, number=old)
        request.created_at = utcnow() - timedelta(days=15)
        s.add(request)
        filing.cancel_request(s, telegram_id=LI, number=closed)
    with db.session() as s:
        assert find_duplicates(s, text="3栋电梯坏了", community="玉林社区") == []
        found = find_duplicates(
            s, text="3栋电梯坏了", community="玉林社区", window=timedelta(days=30)
        )
    assert [m.request_id for m in found] == [old]


# --- +1 ---------------------------------------------------------------------------------------


def test_support_is_counted_once_per_resident(db: Database) -> None:
    number = _file(db, WANG, "3栋电梯又坏了")
    with db.session() as s:
        first = support_request(s, request_id=number, telegram_id=LI, display_name="李")
    with db.session() as s:
        again = support_request(s, request_id=number, telegram_id=LI, display_name="李")
    with db.session() as s:
        other = support_request(s, request_id=number, telegram_id=ZHANG, display_name="张")
    assert (first.added, first.supporters) == (True, 2)
    assert (again.added, again.supporters) == (False, 2)
    assert (other.added, other.supporters, other.status) == (True, 3, "open")
    assert _events(db, number) == [
        ("submitted", None, "open"),
        ("supported", None, None),
        ("supported", None, None),
    ]


def test_cannot_support_own_or_closed_or_missing_request(db: Database) -> None:
    number = _file(db, WANG, "3栋电梯又坏了")
    with db.session() as s, pytest.raises(NotAllowed):
        support_request(s, request_id=number, telegram_id=WANG, display_name="王")
    with db.session() as s:
        filing.cancel_request(s, telegram_id=WANG, number=number)
    with db.session() as s, pytest.raises(InvalidState):
        support_request(s, request_id=number, telegram_id=LI, display_name="李")
    with db.session() as s, pytest.raises(NotFound):
        support_request(s, request_id=99999, telegram_id=LI, display_name="李")
    assert _request(db, number).supporters == 1


def test_support_on_a_merged_request_goes_to_the_one_kept(db: Database) -> None:
    keep = _file(db, WANG, "3栋电梯又坏了")
    gone = _file(db, LI, "3栋电梯坏了")
    with db.session() as s:
        merge_requests(s, keep=keep, merge=gone, by=Actor(ActorKind.ADMIN, 1))
    with db.session() as s:
        result = support_request(s, request_id=gone, telegram_id=ZHANG, display_name="张")
    assert (result.request_id, result.supporters) == (keep, 3)


# --- merging ----------------------------------------------------------------------------------


def test_merge_moves_resident_and_supporters(db: Database) -> None:
    keep = _file(db, WANG, "3栋电梯又坏了")
    gone = _file(db, LI, "三栋电梯不动了")
    with db.session() as s:
        support_request(s, request_id=gone, telegram_id=ZHANG, display_name="张")
        support_request(s, request_id=gone, telegram_id=WANG, display_name="王")  # keep's own
        support_request(s, request_id=keep, telegram_id=CHEN, display_name="陈")
    with db.session() as s:
        result = merge_requests(s, keep=keep, merge=gone, by=Actor(ActorKind.ADMIN, 9))
    assert (result.keep, result.merged, result.supporters, result.moved_residents) == (
        keep,
        gone,
        4,  # 王 (filer) + 陈 + 李 (merged filer) + 张 (merged supporter)
        2,
    )
    kept, merged = _request(db, keep), _request(db, gone)
    assert (merged.status, merged.merged_into_id) == ("merged", keep)
    assert kept.supporters == 4
    with db.session() as s:
        assert (
            s.exec(select(RequestSupporter).where(RequestSupporter.request_id == gone)).all() == []
        )
    assert _events(db, gone)[-1] == ("merged", "open", "merged")
    assert _events(db, keep)[-1] == ("merged_in", None, None)
    with db.session() as s:
        notes = s.exec(
            select(RequestEvent.note).where(col(RequestEvent.kind).in_(["merged", "merged_in"]))
        ).all()
    assert sorted(notes) == sorted([f"#{keep}", f"#{gone}"])


def test_merge_dates_moved_supporters_when_they_raised_it(db: Database) -> None:
    keep = _file(db, WANG, "3栋电梯又坏了")
    gone = _file(db, LI, "三栋电梯不动了")
    filed_at = _request(db, gone).created_at
    with db.session() as s:
        merge_requests(
            s,
            keep=keep,
            merge=gone,
            by=Actor(ActorKind.ADMIN, 9),
            now=filed_at + timedelta(days=3),
        )
    with db.session() as s:
        row = s.exec(select(RequestSupporter).where(RequestSupporter.request_id == keep)).one()
    assert row.created_at == filed_at


def test_merge_flattens_chains(db: Database) -> None:
    a, b, c = (_file(db, who, "3栋电梯坏了") for who in (WANG, LI, ZHANG))
    with db.session() as s:
        merge_requests(s, keep=b, merge=c, by=Actor(ActorKind.ADMIN, 9))
    with db.session() as s:
        merge_requests(s, keep=a, merge=b, by=Actor(ActorKind.ADMIN, 9))
    assert _request(db, c).merged_into_id == a
    assert _request(db, a).supporters == 3
    with db.session() as s:
        assert follower_chat_ids(s, a) == [WANG, LI, ZHANG]


@pytest.mark.parametrize("case", ["same", "merge_closed", "keep_closed"])
def test_merge_refusals(db: Database, case: str) -> None:
    a = _file(db, WANG, "3栋电梯坏了")
    b = _file(db, LI, "3栋电梯坏了")
    with db.session() as s:
        if case == "merge_closed":
            filing.cancel_request(s, telegram_id=LI, number=b)
        if case == "keep_closed":
            filing.cancel_request(s, telegram_id=WANG, number=a)
    keep, merge = (a, a) if case == "same" else (a, b)
    with db.session() as s, pytest.raises(CannotMerge) as info:
        merge_requests(s, keep=keep, merge=merge, by=Actor(ActorKind.ADMIN, 9))
    assert info.value.reason == case
    assert _request(db, b).status != "merged"


def test_staff_merge_only_within_their_organisation(db: Database) -> None:
    a = _file(db, WANG, "3栋电梯坏了")
    b = _file(db, LI, "3栋电梯坏了")
    with db.session() as s:
        mine = Organisation(name="玉林物业服务中心", categories=["repairs"])
        other = Organisation(name="别家")
        outside = Organisation(name="只管望江", communities=["望江社区"])
        s.add_all([mine, other, outside])
        s.flush()
        request = records.get_request(s, number=b)
        request.organisation_id, request.status = other.id, RequestStatus.CLAIMED.value
        s.add(request)
        ids = (mine.id, outside.id)
    for organisation_id in ids:
        with db.session() as s, pytest.raises(NotAllowed):
            merge_requests(
                s,
                keep=a,
                merge=b,
                by=Actor(ActorKind.STAFF, 5),
                organisation_id=organisation_id,
            )
    with db.session() as s:
        request = records.get_request(s, number=b)
        request.organisation_id = ids[0]
        s.add(request)
    with db.session() as s:
        result = merge_requests(
            s, keep=a, merge=b, by=Actor(ActorKind.STAFF, 5), organisation_id=ids[0]
        )
    assert result.supporters == 2


def test_merge_missing_request(db: Database) -> None:
    a = _file(db, WANG, "3栋电梯坏了")
    with db.session() as s, pytest.raises(NotFound):
        merge_requests(s, keep=a, merge=424242, by=Actor(ActorKind.ADMIN, 9))


def test_refusals_name_the_request_they_are_about(db: Database) -> None:
    """#1 and #11 or #12: which one is missing or out of scope is a field, not a substring."""
    first = _file(db, 2_000_000_100, "望江的路灯坏了", community="望江社区")
    numbers = [first] + [_file(db, 2_000_000_101 + i, f"第{i}件事") for i in range(10)]
    eleventh, missing = numbers[10], int(f"{first}2")
    assert str(eleventh).startswith(str(first)) and missing > eleventh  # e.g. 1, 11 and 12
    for keep, merge in ((missing, first), (first, missing)):
        with db.session() as s, pytest.raises(RequestNotFound) as absent:
            merge_requests(s, keep=keep, merge=merge, by=Actor(ActorKind.ADMIN, 9))
        assert absent.value.number == missing
    with db.session() as s:
        organisation = Organisation(name="只管望江", communities=["望江社区"])
        s.add(organisation)
        s.flush()
        organisation_id = organisation.id
    for keep, merge in ((first, eleventh), (eleventh, first)):
        with db.session() as s, pytest.raises(MergeNotAllowed) as refused:
            merge_requests(
                s,
                keep=keep,
                merge=merge,
                by=Actor(ActorKind.STAFF, 5),
                organisation_id=organisation_id,
            )
        assert refused.value.number == eleventh


def test_a_press_is_a_supported_event_and_a_merge_is_not(db: Database) -> None:
    """The summary counts 我也遇到了 from 'supported' events: merges add supporter rows only."""
    a = _file(db, WANG, "3栋电梯坏了")
    b = _file(db, LI, "三栋电梯不动了")
    with db.session() as s:
        support_request(s, request_id=a, telegram_id=ZHANG, display_name="邻居")
        merge_requests(s, keep=a, merge=b, by=Actor(ActorKind.ADMIN, 9))
    with db.session() as s:
        rows = s.exec(select(RequestSupporter).where(RequestSupporter.request_id == a)).all()
        presses = s.exec(select(RequestEvent).where(col(RequestEvent.kind) == "supported")).all()
    assert len(rows) == 2 and len(presses) == 1


# --- followers --------------------------------------------------------------------------------


def test_followers_are_resident_then_supporters_without_forgotten(db: Database) -> None:
    number = _file(db, WANG, "3栋电梯坏了")
    for who in (LI, ZHANG, CHEN):
        with db.session() as s:
            support_request(s, request_id=number, telegram_id=who, display_name="邻居")
    with db.session() as s:
        forgotten = s.exec(select(Resident).where(Resident.telegram_id == ZHANG)).one()
        forgotten.forgotten_at = utcnow()
        s.add(forgotten)
    with db.session() as s:
        assert follower_chat_ids(s, number) == [WANG, LI, CHEN]
    with db.session() as s, pytest.raises(NotFound):
        follower_chat_ids(s, 424242)
