"""The gazetteer in the chat, through the real bot and the fake Telegram, on both databases: a
misspelt 小区 becomes the canonical 社区 (and reaches the organisation serving it), an unsure
place is offered as buttons, an unknown one is kept and flagged once, an admin makes it known."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.callbacks import GazetteerButton, PlacePick
from bot.fakeapi import FakeUser
from bot.handlers import places as places_handlers
from bot.texts import places as p
from bot.texts import staff as staff_texts
from storage import gazetteer, membership
from storage import organisations as orgs
from storage.db import Database
from storage.models import NoticeKind, Notification, Place, ServiceRequest
from storage.requests import places as place_rules
from tests.bot.conftest import ADMIN_ID, BotHarness
from tests.bot.test_conversation_flow import _until

RESIDENT, NEIGHBOUR = 5_800_000_001, 5_800_000_002
STAFF = 5_900_000_001
ADMINS = frozenset({ADMIN_ID})


def _import_sample(db: Database) -> None:
    with db.session() as s:
        rows = gazetteer.parse_csv(gazetteer.SAMPLE.read_text(encoding="utf-8"))
        place_rules.import_places(s, rows)


def _org_for(db: Database, community: str) -> None:
    """玉林北路服务队 (repairs in `community` only) with one staff member."""
    with db.session() as s:
        orgs.create_organisation(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="玉林北路服务队",
            categories=["repairs"], communities=[community],
        )  # fmt: skip
        invite, _ = membership.create_invite(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation="玉林北路服务队"
        )
        membership.join(s, code=invite.code, telegram_id=STAFF, display_name="社工")


async def _to_place(resident: FakeUser, need: str = "电梯又坏了三天了") -> None:
    await resident.send(need)
    await _until(resident, lambda e: "确认" in " ".join(e.buttons))
    await resident.press("确认")
    await _until(resident, lambda e: "社区" in (e.text or "") and e.kind != "edit")


async def _submit(resident: FakeUser) -> int:
    """跳过 the extras (the message may have been read already) and 提交."""
    await resident.press("跳过")
    await _until(resident, lambda e: "提交" in " ".join(e.buttons))
    await resident.press("提交")
    done = await _until(resident, lambda e: "编号" in (e.text or ""))
    return int(done.text.split("#")[1].split("。")[0])


def _request(db: Database, number: int) -> ServiceRequest:
    with db.session() as s:
        row = s.get(ServiceRequest, number)
        assert row is not None
        return row


async def test_a_misspelt_compound_reaches_the_organisation_of_its_community(
    bot: BotHarness,
) -> None:
    _import_sample(bot.db)
    _org_for(bot.db, "玉林北路社区")
    resident, staff = bot.user(RESIDENT, "王阿姨"), bot.user(STAFF)
    await _to_place(resident)
    await resident.send("芳林苑 3棟2单元")  # an old name, a Traditional 棟
    said = await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    assert "📍 地点：芳邻苑（玉林北路社区） 3栋2单元" in said.text
    number = await _submit(resident)
    row = _request(bot.db, number)
    assert (row.community, row.compound, row.building) == ("玉林北路社区", "芳邻苑", "3栋2单元")
    assert row.place_id is not None and row.unmatched_place is None
    card = await _until(staff, lambda e: f"#{number}" in (e.text or ""))
    assert "玉林北路社区 芳邻苑 3栋2单元" in card.text and any("认领" in b for b in card.buttons)

    # 用上次的 keeps the 小区: the same place again, confidently.
    await _to_place(resident, "楼道的灯坏了好几天了")
    await resident.press("用上次的")
    again = await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    assert "芳邻苑（玉林北路社区）" in again.text
    second = await _submit(resident)
    assert _request(bot.db, second).compound == "芳邻苑"


async def test_an_unsure_place_offers_buttons_and_as_typed(bot: BotHarness) -> None:
    _import_sample(bot.db)
    resident = bot.user(RESIDENT, "王阿姨")
    await _to_place(resident)
    await resident.send("华西宿舍 2栋")  # a 小区 of that name in two 社区
    offer = await _until(resident, lambda e: p.BTN_PLACE_AS_TYPED in e.buttons)
    assert any("华西医院宿舍（黉门街社区）" in b for b in offer.buttons)
    assert any("国学巷37号院（电信路社区）" in b for b in offer.buttons)
    await resident.press("国学巷37号院")
    chosen = await _until(resident, lambda e: e.kind == "edit")
    assert "国学巷37号院（电信路社区） 2栋" in chosen.text and not chosen.buttons
    await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    # The same choice pressed again (or forged) is refused politely.
    await resident.press_data(offer.message_id, PlacePick(1, 1).to_data())
    assert await resident.expect_answer() == p.PLACE_EXPIRED
    number = await _submit(resident)
    row = _request(bot.db, number)
    assert (row.community, row.compound, row.building) == ("电信路社区", "国学巷37号院", "2栋")

    await _to_place(resident, "门口的下水道堵了")
    await resident.send("玉林小区")
    await _until(resident, lambda e: p.BTN_PLACE_AS_TYPED in e.buttons)
    await resident.press(p.BTN_PLACE_AS_TYPED)
    await _until(resident, lambda e: e.kind == "edit" and "按您写的" in (e.text or ""))
    await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    typed = _request(bot.db, await _submit(resident))
    assert (typed.community, typed.compound, typed.unmatched_place) == (
        "玉林小区",
        None,
        "玉林小区",
    )


def _flags(db: Database) -> list[Notification]:
    with db.session() as s:
        return list(
            s.exec(
                select(Notification).where(Notification.kind == NoticeKind.UNKNOWN_PLACE.value)
            ).all()
        )


async def test_an_unknown_place_is_kept_flagged_once_and_made_an_alias(bot: BotHarness) -> None:
    _import_sample(bot.db)
    _org_for(bot.db, "玉林北路社区")
    resident, neighbour, admin, staff = (
        bot.user(RESIDENT, "王阿姨"), bot.user(NEIGHBOUR, "李叔"), bot.admin, bot.user(STAFF),
    )  # fmt: skip
    await _to_place(resident)
    await resident.send("新南门 5栋")
    await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    first = await _submit(resident)
    row = _request(bot.db, first)
    assert (row.community, row.building, row.unmatched_place) == ("新南门", "5栋", "新南门")
    flag = await _until(admin, lambda e: "不在地名册里" in (e.text or ""))
    assert "新南门" in flag.text and f"#{first}" in flag.text
    await _to_place(neighbour, "楼下垃圾三天没人收了")
    await neighbour.send("新南门")
    await _until(neighbour, lambda e: "跳过" in " ".join(e.buttons))
    second = await _submit(neighbour)
    assert len(_flags(bot.db)) == 1  # one flag a place a day, however many type it

    # A resident may not edit the gazetteer, nor press its buttons.
    await resident.send("/places")
    refused = await _until(resident, lambda e: e.text == staff_texts.NOT_ADMIN)
    await staff.send("/places")
    await _until(staff, lambda e: e.text == staff_texts.NOT_ADMIN)
    await admin.send("/places")
    listing = await _until(admin, lambda e: "地名册" in (e.text or ""))
    assert "玉林北路社区" in listing.text and "「新南门」：2 件需求" in listing.text
    await resident.press_data(refused.message_id, GazetteerButton("handle", second).to_data())
    assert "管理员" in await resident.expect_answer()

    await admin.press("处理「新南门」")
    await _until(admin, lambda e: p.BTN_NEW_COMPOUND in e.buttons)
    await admin.press(p.BTN_OTHER_COMPOUND)
    await _until(admin, lambda e: "在哪个社区" in (e.text or ""))
    await admin.press("玉林北路社区")
    await _until(admin, lambda e: "的哪个小区" in (e.text or ""))
    await admin.press("芳邻苑")
    done = await _until(admin, lambda e: "已把" in (e.text or ""))
    assert "芳邻苑" in done.text and "2 件需求" in done.text
    for number in (first, second):
        moved = _request(bot.db, number)
        assert (moved.community, moved.compound, moved.unmatched_place) == (
            "玉林北路社区", "芳邻苑", None,
        )  # fmt: skip
    # The open request now in the organisation's 社区 reaches its staff.
    await _until(staff, lambda e: f"#{first}" in (e.text or "") and "认领" in " ".join(e.buttons))
    # Pressed again: already handled.
    await admin.press_data(listing.message_id, GazetteerButton("handle", second).to_data())
    assert "已经处理过了" in await admin.expect_answer()
    with bot.db.session() as s:
        place = s.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        assert "新南门" in place.aliases

    # Next time it is known.
    await _to_place(neighbour, "小区门口路灯不亮")
    await neighbour.send("新南门 1栋")
    said = await _until(neighbour, lambda e: "跳过" in " ".join(e.buttons))
    assert "芳邻苑（玉林北路社区）" in said.text


async def test_a_new_compound_from_an_unknown_place(bot: BotHarness) -> None:
    _import_sample(bot.db)
    resident, admin = bot.user(RESIDENT, "王阿姨"), bot.admin
    await _to_place(resident)
    await resident.send("望江名苑 2栋")
    await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    number = await _submit(resident)
    await admin.send("/places")
    await _until(admin, lambda e: "望江名苑" in (e.text or ""))
    await admin.press("处理「望江名苑」")
    await _until(admin, lambda e: p.BTN_NEW_COMPOUND in e.buttons)
    await admin.press(p.BTN_NEW_COMPOUND)
    await _until(admin, lambda e: "新小区加到哪个社区" in (e.text or ""))
    await admin.press("倪家桥社区")
    done = await _until(admin, lambda e: "新小区" in (e.text or "") and "已把" in (e.text or ""))
    assert "倪家桥社区" in done.text
    row = _request(bot.db, number)
    assert (row.community, row.compound, row.building) == ("倪家桥社区", "望江名苑", "2栋")


async def test_without_a_gazetteer_the_place_is_kept_as_typed(bot: BotHarness) -> None:
    resident, admin = bot.user(RESIDENT, "王阿姨"), bot.admin
    await _to_place(resident)
    await resident.send("芳林苑 3栋")
    said = await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    assert "地点：" not in said.text
    number = await _submit(resident)
    row = _request(bot.db, number)
    assert (row.community, row.building, row.compound, row.unmatched_place) == (
        "芳林苑", "3栋", None, None,
    )  # fmt: skip
    assert _flags(bot.db) == []
    await admin.send("/places")
    empty = await _until(admin, lambda e: "地名册" in (e.text or ""))
    assert "linli places import" in empty.text


@pytest.mark.parametrize("data", ["z:alias:1", "z:handle:0", "z:newin:1:99999", "p:1:9", "z:x"])
async def test_forged_place_buttons_are_refused_politely(bot: BotHarness, data: str) -> None:
    _import_sample(bot.db)
    admin = bot.admin
    await admin.send("/places")
    listing = await _until(admin, lambda e: "地名册" in (e.text or ""))
    await admin.press_data(listing.message_id, data)
    answer: Any = await admin.expect_answer()
    assert answer in (p.ALREADY_HANDLED, p.PLACE_EXPIRED) or "过期" in answer


def _city(communities: int) -> list[gazetteer.CommunityView]:
    return [
        gazetteer.CommunityView(
            "某某街道",
            f"第{i}号很长名字的社区",
            tuple((i * 10 + j + 1, f"第{j}个很长名字的小区花园", ("别名",)) for j in range(12)),
        )
        for i in range(communities)
    ]


def test_a_city_sized_gazetteer_fits_in_one_message() -> None:
    unknown = [
        gazetteer.UnknownPlace("一个很长很长的地名" * 3, 3, 100 + i, gazetteer.utcnow())
        for i in range(10)
    ]
    text, markup = places_handlers.overview_view(_city(800), unknown, 30)
    assert len(text) < 4096
    assert "还有 " in text and "个社区" in text and "linli places list" in text
    assert markup is not None and len(markup.inline_keyboard) == 10
    _text, choices = places_handlers.communities_view(
        7, "新南门", _city(800), new=True, closest=["第500号很长名字的社区"]
    )
    assert choices is not None
    buttons = [b for row in choices.inline_keyboard for b in row]
    assert len(buttons) == places_handlers.COMMUNITY_BUTTONS + 1  # and 返回
    assert buttons[0].text == "第500号很长名字的社区"  # the closest first


async def test_a_refused_gazetteer_edit_is_explained_in_chinese(bot: BotHarness) -> None:
    """A 小区 whose aliases are full: the admin's alert says so in Chinese, nothing changes."""
    _import_sample(bot.db)
    with bot.db.session() as s:
        place = s.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        place.aliases = [f"别名{i}" for i in range(gazetteer.MAX_ALIASES)]
        s.add(place)
        s.flush()
        place_id = place.id
    assert place_id is not None
    resident, admin = bot.user(RESIDENT, "王阿姨"), bot.admin
    await _to_place(resident)
    await resident.send("新南门 5栋")
    await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    number = await _submit(resident)
    await admin.send("/places")
    listing = await _until(admin, lambda e: "新南门" in (e.text or ""))
    await admin.press_data(listing.message_id, GazetteerButton("alias", number, place_id).to_data())
    reason = p.EDIT_REFUSED_REASONS["aliases"].format(aliases=gazetteer.MAX_ALIASES)
    assert await admin.expect_answer() == p.EDIT_REFUSED.format(reason=reason)
    assert _request(bot.db, number).unmatched_place == "新南门"
