"""The gazetteer (storage.gazetteer): matching messy places, importing a CSV, re-matching
requests and residents, the admins' edits and the once-a-day flag, on both databases."""

from __future__ import annotations

import csv
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage import gazetteer
from storage.db import Database, downgrade, upgrade
from storage.errors import InvalidInput, NotFound
from storage.gazetteer import Certainty, Gazetteer, PlaceEntry, match_place, split_building
from storage.models import NoticeKind, Place, Resident
from storage.requests import duplicates, filing
from storage.requests import places as place_rules
from storage.summary.queries import hot_buildings
from tests.conftest import BACKENDS, PostgresDatabases, skip_or_fail_without_postgres
from tests.storage.staff_helpers import ADMINS, RESIDENT, notifications, request

SPELLINGS = Path(__file__).parent / "place_spellings.csv"
# At least this share of the messy spellings resolve confidently to the right 小区 or 社区
# (and the unknown ones to nothing). Measured: 116 of 117 (99.1%).
REQUIRED_SHARE = 0.95


@pytest.fixture(scope="module")
def sample() -> Gazetteer:
    rows = gazetteer.parse_csv(gazetteer.SAMPLE.read_text(encoding="utf-8"))
    return Gazetteer.of(
        PlaceEntry(i, r.street, r.community, r.compound, r.aliases)
        for i, r in enumerate(rows, start=1)
    )


def _spellings() -> list[dict[str, str]]:
    with SPELLINGS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_messy_spellings_resolve_to_the_right_place(sample: Gazetteer) -> None:
    rows = _spellings()
    assert len(rows) >= 100
    wrong = []
    for row in rows:
        match = match_place(row["typed"], sample)
        best = match.best
        got = (
            (best.community, best.compound or "")
            if match.certainty is Certainty.CONFIDENT and best is not None
            else None
        )
        expected = (row["community"], row["compound"]) if row["community"] else None
        if got != expected:
            wrong.append((row["typed"], match.certainty.value, got, expected))
    share = 1 - len(wrong) / len(rows)
    assert share >= REQUIRED_SHARE, wrong
    # A confident answer is never a wrong place: a miss is unsure (with buttons), not wrong.
    assert all(certainty != "confident" for _t, certainty, _g, _e in wrong), wrong


@pytest.mark.parametrize(
    ("typed", "place", "building"),
    [
        ("芳邻苑3栋2单元", "芳邻苑", "3栋2单元"),
        ("芳邻苑 12幢", "芳邻苑", "12幢"),
        ("3栋 芳邻苑", "芳邻苑", "3栋"),
        ("玉林中路2号院5栋", "玉林中路2号院", "5栋"),
        ("玉林北巷院子4号", "玉林北巷院子", "4号"),
        ("芳邻苑", "芳邻苑", None),
        ("人南大厦B座1201室", "人南大厦", "B座1201室"),
    ],
)
def test_the_building_is_split_off_as_typed(typed: str, place: str, building: str | None) -> None:
    assert split_building(typed) == (place, building)


def test_a_compound_keeps_the_building_as_typed(sample: Gazetteer) -> None:
    match = match_place("芳鄰苑 12棟3單元", sample)
    assert match.certainty is Certainty.CONFIDENT
    assert match.best is not None and match.best.compound == "芳邻苑"
    assert match.building == "12栋3单元"  # normalised, not rewritten


def test_a_community_alone_gets_the_community_without_compound(sample: Gazetteer) -> None:
    match = match_place("倪家橋社區 5栋", sample)
    assert match.certainty is Certainty.CONFIDENT
    assert match.best is not None
    assert (match.best.community, match.best.compound, match.best.place_id) == (
        "倪家桥社区",
        None,
        None,
    )


def test_xiaoqu_and_shequ_of_one_name(sample: Gazetteer) -> None:
    """玉林北路小区 is a 小区 of 玉林北路社区: said as 小区 it is the 小区, as 社区 the 社区."""
    as_compound = match_place("玉林北路小区", sample).best
    as_community = match_place("玉林北路社区", sample).best
    assert as_compound is not None and as_compound.compound == "玉林北路小区"
    assert as_community is not None and as_community.compound is None
    assert as_compound.community == as_community.community == "玉林北路社区"


def test_an_ambiguous_place_offers_two_or_three(sample: Gazetteer) -> None:
    match = match_place("华西宿舍", sample)  # an alias of a 小区 in two 社区
    assert match.certainty is Certainty.UNSURE
    assert {c.community for c in match.candidates} == {"黉门街社区", "电信路社区"}
    assert 2 <= len(match.candidates) <= 3
    assert match_place("玉林小区", sample).certainty is Certainty.UNSURE


def test_unknown_and_empty(sample: Gazetteer) -> None:
    assert match_place("天府三街腾讯大厦", sample).certainty is Certainty.UNKNOWN
    assert match_place("3栋", sample).certainty is Certainty.UNKNOWN
    empty = match_place("芳邻苑3栋", Gazetteer())
    assert (empty.certainty, empty.candidates) == (Certainty.UNKNOWN, ())


# --- the CSV ----------------------------------------------------------------------------------


def test_the_shipped_sample_is_one_street_of_a_modest_size() -> None:
    rows = gazetteer.parse_csv(gazetteer.SAMPLE.read_text(encoding="utf-8"))
    assert {r.street for r in rows} == {"玉林街道"}
    assert 6 <= len({r.community for r in rows}) <= 10
    assert 40 <= len(rows) <= 80


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("street,community\n玉林街道,玉林北路社区\n", "line 1"),
        ("street,community,compound,aliases\n玉林街道,,芳邻苑,\n", "line 2"),
        (
            "street,community,compound,aliases\n玉林街道,甲社区,甲苑,\n玉林街道,甲社区,甲苑,乙\n",
            "line 3",
        ),
        (
            "street,community,compound,aliases\n玉林街道,甲社区,甲苑,\n芳草街道,甲社区,乙苑,\n",
            "line 3",
        ),
        ("street,community,compound,aliases\n玉林街道,甲社区,甲苑,a,b\n", "line 2"),
        ("street,community,compound,aliases\n", "no places"),
        (f"street,community,compound,aliases\n玉林街道,甲社区,{'长' * 101},\n", "line 2"),
        (f"street,community,compound,aliases\n玉林街道,甲社区,{'长' * 200_000},\n", "line 2"),
    ],
)
def test_a_malformed_file_is_refused_with_its_line(text: str, line: str) -> None:
    with pytest.raises(InvalidInput, match=line):
        gazetteer.parse_csv(text)


def test_names_are_normalised_and_aliases_split() -> None:
    rows = gazetteer.parse_csv(
        "\ufeffstreet,community,compound,aliases\n玉林街道,倪家橋社區,錦繡花園,錦秀花園| 北門 |\n"
    )
    assert rows[0].community == "倪家桥社区"
    assert rows[0].compound == "锦绣花园"
    assert rows[0].aliases == ("锦秀花园", "北门")


# --- the table --------------------------------------------------------------------------------


def _import(session: Session, text: str | None = None) -> gazetteer.ImportResult:
    text = text if text is not None else gazetteer.SAMPLE.read_text(encoding="utf-8")
    return place_rules.import_places(session, gazetteer.parse_csv(text))


def _file(session: Session, community: str | None, **place: object) -> int:
    new = filing.NewRequest(
        original_text="电梯坏了",
        normalised_text="电梯坏了",
        predicted_category="repairs",
        predicted_confidence=0.9,
        category="repairs",
        community=community,
        building="3栋",
        **place,  # type: ignore[arg-type]
    )
    made = filing.file_request(
        session,
        telegram_id=RESIDENT,
        display_name="王阿姨",
        new=new,
        announce=True,
        admin_ids=ADMINS,
    )
    assert made.id is not None
    return made.id


def test_import_again_updates_and_rematches(db: Database) -> None:
    with db.session() as session:
        assert gazetteer.communities(session) == []
        assert gazetteer.suggest_community(session, "芳邻苑") == []
        # Filed before there was a gazetteer: kept as typed.
        other = _file(session, "春熙路")
        old = _file(session, "芳林苑")  # the resident's last place
    with db.session() as session:
        result = _import(session)
        assert (result.added, result.updated, result.unchanged) == (50, 0, 0)
        assert result.requests_matched == 1
        assert result.residents_matched == 1  # the resident's remembered place too
    with db.session() as session:
        first = request(session, old)
        assert (first.community, first.compound) == ("玉林北路社区", "芳邻苑")
        assert first.place_id is not None and first.building == "3栋"
        assert request(session, other).community == "春熙路"  # unknown: left as it was
        resident = session.exec(select(Resident)).one()
        assert resident.community == "玉林北路社区"
        assert len(gazetteer.communities(session)) == 8
        assert "玉林北路社区" in gazetteer.communities(session)
        assert gazetteer.suggest_community(session, "玉林北路社区") == ["玉林北路社区"]
        assert gazetteer.suggest_community(session, "玉林北路社區")[0] == "玉林北路社区"
        assert gazetteer.suggest_community(session, "芳邻苑") == ["玉林北路社区"]
        assert gazetteer.suggest_community(session, "倪家桥") == ["倪家桥社区"]
        assert gazetteer.suggest_community(session, "天府三街") == []
    changed = (
        "street,community,compound,aliases\n"
        "玉林街道,玉林北路社区,芳邻苑,芳林苑\n"  # aliases replaced: the gate and 芳邻园 go
        "玉林街道,玉林北路社区,交通厅宿舍,省交通厅宿舍|交通厅家属院\n"  # unchanged
        "玉林街道,玉林北路社区,春熙苑,春熙路\n"  # new: the unknown place is one now
    )
    with db.session() as session:
        result = _import(session, changed)
        assert (result.added, result.updated, result.unchanged) == (1, 1, 1)
        assert result.requests_matched == 1
    with db.session() as session:
        place = session.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        assert place.aliases == ["芳林苑"]
        assert len(session.exec(select(Place)).all()) == 51  # importing never deletes
        assert request(session, other).compound == "春熙苑"


def test_a_refused_file_changes_nothing(db: Database) -> None:
    with db.session() as session:
        _import(session)
    bad = "street,community,compound,aliases\n玉林街道,玉林北路社区,芳邻苑,\n玉林街道,,乙,\n"
    with pytest.raises(InvalidInput), db.session() as session:
        _import(session, bad)
    with db.session() as session:
        place = session.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        assert "玉林北路口大门" in place.aliases


def test_unknown_place_flag_once_a_day_and_admin_alias(db: Database) -> None:
    with db.session() as session:
        _import(session)
        first = _file(session, "新华公园", unmatched_place="新华公园")
        second = _file(session, "新华公园", unmatched_place="新华公园")
        third = _file(session, "望江楼", unmatched_place="望江楼")
    with db.session() as session:
        flags = notifications(session, kind=NoticeKind.UNKNOWN_PLACE.value)
        # One per admin for 新华公园 (not two), one per admin for 望江楼.
        assert len(flags) == 2 * len(ADMINS)
        unknown = gazetteer.unknown_places(session)
        assert [(u.text, u.requests, u.latest) for u in unknown] == [
            ("新华公园", 2, second),
            ("望江楼", 1, third),
        ]
        # One place's count, whatever else is typed more often (the /places 处理 view).
        [only] = gazetteer.unknown_places(session, text="望江楼", limit=1)
        assert (only.text, only.requests) == ("望江楼", 1)
        fangling = session.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        assert fangling.id is not None
        edit = place_rules.add_alias(session, request_id=second, place_id=fangling.id)
        assert (edit.compound, edit.requests_matched) == ("芳邻苑", 2)
    with db.session() as session:
        for number in (first, second):
            row = request(session, number)
            assert (row.community, row.compound, row.unmatched_place) == (
                "玉林北路社区",
                "芳邻苑",
                None,
            )
        assert [u.text for u in gazetteer.unknown_places(session)] == ["望江楼"]
        assert gazetteer.resolve(session, text="新华公园 2栋").best.compound == "芳邻苑"  # type: ignore[union-attr]
        with pytest.raises(NotFound):
            place_rules.add_alias(session, request_id=first, place_id=fangling.id)  # done already
        nijia = session.exec(select(Place).where(Place.compound == "锦绣花园")).one()
        assert nijia.id is not None
        new = place_rules.add_compound(session, request_id=third, like_place_id=nijia.id)
        assert (new.community, new.compound, new.requests_matched) == ("倪家桥社区", "望江楼", 1)
    with db.session() as session:
        assert gazetteer.unknown_places(session) == []
        assert gazetteer.resolve(session, text="望江楼").best.community == "倪家桥社区"  # type: ignore[union-attr]


def test_two_admins_adding_aliases_to_one_compound_at_once_keep_both(db: Database) -> None:
    """The second admin's alias is added to the first's, not written over it (the place is
    locked for the read-modify-write): both spellings match from then on."""
    with db.session() as session:
        _import(session)
        first = _file(session, "新华公园", unmatched_place="新华公园")
        second = _file(session, "望江楼", unmatched_place="望江楼")
        place_id = session.exec(select(Place.id).where(Place.compound == "芳邻苑")).one()
        assert place_id is not None
    added = threading.Event()
    errors: list[BaseException] = []

    def admin(number: int, *, wait: bool) -> None:
        try:
            if wait:
                added.wait(timeout=10)
            with db.session() as session:
                place_rules.add_alias(session, request_id=number, place_id=place_id)
                if not wait:  # the first holds its change uncommitted while the second reads
                    added.set()
                    time.sleep(0.5)
        except BaseException as exc:
            errors.append(exc)
            added.set()

    threads = [
        threading.Thread(target=admin, args=(first,), kwargs={"wait": False}),
        threading.Thread(target=admin, args=(second,), kwargs={"wait": True}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    with db.session() as session:
        place = session.exec(select(Place).where(Place.id == place_id)).one()
        assert {"新华公园", "望江楼"} <= set(place.aliases)


def test_two_admins_adding_one_new_compound_at_once_make_it_once(db: Database) -> None:
    """The second admin's 新增小区 finds the first's (no unique violation) and the requests that
    carried the place are matched to it."""
    with db.session() as session:
        _import(session)
        first = _file(session, "望江楼", unmatched_place="望江楼")
        second = _file(session, "望江楼", unmatched_place="望江楼")
        like = session.exec(select(Place.id).where(Place.compound == "锦绣花园")).one()
        assert like is not None
    added = threading.Event()
    errors: list[BaseException] = []

    def admin(number: int, *, wait: bool) -> None:
        try:
            if wait:
                added.wait(timeout=10)
            with db.session() as session:
                place_rules.add_compound(session, request_id=number, like_place_id=like)
                if not wait:  # the first holds its new 小区 uncommitted while the second adds it
                    added.set()
                    time.sleep(0.5)
        except BaseException as exc:
            errors.append(exc)
            added.set()

    threads = [
        threading.Thread(target=admin, args=(first,), kwargs={"wait": False}),
        threading.Thread(target=admin, args=(second,), kwargs={"wait": True}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # The second may also find its request matched already by the first (NotFound): fine.
    assert all(isinstance(exc, NotFound) for exc in errors), errors
    with db.session() as session:
        made = session.exec(select(Place).where(Place.compound == "望江楼")).all()
        assert len(made) == 1
        for number in (first, second):
            assert request(session, number).place_id == made[0].id


def test_load_follows_changes_to_the_table(db: Database) -> None:
    with db.session() as session:
        assert gazetteer.load(session).empty
        _import(session)
    with db.session() as session:
        assert not gazetteer.load(session).empty
        place = session.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        place.aliases = [*place.aliases, "小芳家"]
        place.updated_at = gazetteer.utcnow()
        session.add(place)
    with db.session() as session:
        assert gazetteer.resolve(session, text="小芳家").best.compound == "芳邻苑"  # type: ignore[union-attr]


# --- the data migration (0007) ----------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    skip_or_fail_without_postgres()
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.create()


def _file_at(session: Session, community: str, resident: int) -> int:
    new = filing.NewRequest(
        original_text="电梯坏了",
        normalised_text="电梯坏了",
        predicted_category="repairs",
        predicted_confidence=0.9,
        category="repairs",
        community=community,
        building="3栋",
    )
    made = filing.file_request(session, telegram_id=resident, display_name="王阿姨", new=new)
    assert made.id is not None
    return made.id


@pytest.mark.parametrize("with_places", [True, False])
def test_migration_0007_matches_the_rows_already_stored(empty_url: str, with_places: bool) -> None:
    database = Database(empty_url, pool_size=1)
    upgrade(database.engine, "0006")
    with database.session() as session:
        typo = _file_at(session, "芳林苑", RESIDENT)
        unknown = _file_at(session, "春熙路", RESIDENT + 1)
        if with_places:
            now = gazetteer.utcnow()
            for row in gazetteer.parse_csv(gazetteer.SAMPLE.read_text(encoding="utf-8")):
                session.add(
                    Place(
                        street=row.street, community=row.community, compound=row.compound,
                        aliases=list(row.aliases), created_at=now, updated_at=now,
                    )
                )  # fmt: skip
    upgrade(database.engine)
    with database.session() as session:
        first, other = request(session, typo), request(session, unknown)
        residents = {r.telegram_id: r.community for r in session.exec(select(Resident)).all()}
        if with_places:
            assert (first.community, first.compound) == ("玉林北路社区", "芳邻苑")
            assert first.place_id is not None and first.building == "3栋"
            assert residents[RESIDENT] == "玉林北路社区"
        else:  # no gazetteer: a no-op
            assert (first.community, first.compound, first.place_id) == ("芳林苑", None, None)
            assert residents[RESIDENT] == "芳林苑"
        assert (other.community, other.place_id) == ("春熙路", None)
        assert residents[RESIDENT + 1] == "春熙路"
    downgrade(database.engine, "0006")  # a data migration: down leaves the data
    upgrade(database.engine)
    database.dispose()


# --- duplicates compare the canonical place -------------------------------------------------


def test_duplicates_compare_the_same_compound_and_building(db: Database) -> None:
    with db.session() as session:
        _import(session)
        ids = {
            p.compound: p.id
            for p in session.exec(select(Place).where(Place.community == "玉林北路社区")).all()
        }
        fangling = _file(session, "玉林北路社区", compound="芳邻苑", place_id=ids["芳邻苑"])
    with db.session() as session:

        def same(place_id: int | None, building: str) -> list[int]:
            return [
                m.request_id
                for m in duplicates.find_duplicates(
                    session,
                    text="电梯坏了",
                    community="玉林北路社区",
                    building=building,
                    place_id=place_id,
                )
            ]

        assert same(ids["芳邻苑"], "三幢") == [fangling]  # 三幢 is the 3栋 it was filed with
        assert same(ids["玉洁苑"], "3栋") == []  # 3栋 of another 小区 of the same 社区
        assert same(None, "3栋") == [fangling]  # the 社区 alone: it may be that one
        assert same(ids["芳邻苑"], "5栋") == []


def test_hot_buildings_tell_the_same_building_number_of_two_compounds_apart(db: Database) -> None:
    with db.session() as session:
        _import(session)
        ids = {
            p.compound: p.id
            for p in session.exec(select(Place).where(Place.community == "玉林北路社区")).all()
        }
        for compound in ("芳邻苑", "芳邻苑", "玉洁苑"):
            _file(session, "玉林北路社区", compound=compound, place_id=ids[compound])
    with db.session() as session:
        now = gazetteer.utcnow()
        spots = hot_buildings(session, now - timedelta(days=1), now + timedelta(days=1))
        # One resident filed all three: 2 needs in 芳邻苑 3栋, 1 in 玉洁苑 3栋 (not 3 in "3栋").
        assert [(s.community, s.building, s.requests) for s in spots] == [
            ("玉林北路社区", "芳邻苑 3栋", 2)
        ]


def test_the_shortlist_of_a_large_gazetteer_gives_the_same_answers(sample: Gazetteer) -> None:
    rows = gazetteer.parse_csv(gazetteer.SAMPLE.read_text(encoding="utf-8"))
    always = Gazetteer.of(
        (
            PlaceEntry(i, r.street, r.community, r.compound, r.aliases)
            for i, r in enumerate(rows, start=1)
        ),
        prefilter_above=0,  # shortlist every time, as for a city's gazetteer
    )
    for row in _spellings():
        assert match_place(row["typed"], always) == match_place(row["typed"], sample), row
