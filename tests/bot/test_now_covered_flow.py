"""A need nobody served, through the real bot and the fake Telegram: the resident is told it
waits for an organisation; when an admin widens an organisation's scope (/scope) the staff get
its card and the resident hears once that it was sent to the organisations serving them; the
same when a contract entered in advance starts (the periodic check)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot import notifier
from bot.texts import now_covered as texts
from bot.texts import staff as t
from storage import contracts
from storage import organisations as orgs
from storage.models import ServiceContract, ServiceRequest, utcnow
from storage.requests.oversight import report_if_uncovered
from tests.bot.conftest import ADMIN_ID, BotHarness
from tests.bot.test_conversation_flow import RESIDENT, STAFF, _filed, _setup, _until

ADMINS = frozenset({ADMIN_ID})
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _covered(number: int) -> str:
    return texts.NOW_COVERED.format(number=number).split("</b>")[1][:12]


async def test_the_waiting_resident_hears_once_when_a_scope_covers_the_need(
    bot: BotHarness,
) -> None:
    _setup(bot.db)  # 玉林服务中心 covers repairs only
    resident, admin, staff = bot.user(RESIDENT), bot.admin, bot.user(STAFF)
    await resident.send("想给我妈订老年助餐")
    guess = await resident.next()
    if not any("养老助老" in b for b in guess.buttons):
        await resident.press("其他类别")
        await resident.next()
    await resident.press("养老助老")
    await _until(resident, lambda e: "社区" in (e.text or ""))
    await resident.send("玉林社区 3栋")
    await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    await resident.press("跳过")
    await _until(resident, lambda e: "提交" in " ".join(e.buttons))
    await resident.press("提交")
    honest = await _until(resident, lambda e: "还没有组织负责" in (e.text or ""))
    number = int(honest.text.split("#")[1].split(" ")[0])
    await _until(admin, lambda e: "没有任何组织" in (e.text or ""))
    # Nothing more for the resident while nobody serves it.
    assert await resident.settle(quiet=0.5) == []

    await admin.send("/scope 玉林服务中心 类别 设施维修,养老助老")
    await _until(admin, lambda e: "已更新" in (e.text or ""))
    card = await _until(staff, lambda e: f"#{number}" in (e.text or ""))
    assert card.buttons == [t.BTN_CLAIM_CARD]
    told = await _until(resident, lambda e: _covered(number) in (e.text or ""))
    assert f"#{number}" in told.text and "认领" in told.text

    # Covered again (the scope saved twice, the category toggled off and on): nothing more.
    await admin.send("/scope 玉林服务中心 类别 全部")
    await _until(admin, lambda e: "已更新" in (e.text or ""))
    await admin.send("/scope 玉林服务中心 类别 设施维修,养老助老")
    await _until(admin, lambda e: "已更新" in (e.text or ""))
    assert [e for e in await resident.settle(quiet=0.5) if f"#{number}" in (e.text or "")] == []


async def test_the_waiting_resident_hears_once_when_a_contract_starts(bot: BotHarness) -> None:
    today = utcnow().astimezone(SHANGHAI).date()
    with bot.db.session() as s:
        orgs.create_organisation(s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="玉林服务中心")
        contract = contracts.create_contract(
            s,
            actor_id=ADMIN_ID,
            admin_ids=ADMINS,
            organisation_ref="玉林服务中心",
            purchaser="玉林街道办事处",
            categories=["repairs"],
            communities=["玉林社区"],
            start=today + timedelta(days=1),
            end=today + timedelta(days=90),
        )
        contract_id = contract.id
    number = _filed(bot.db)
    with bot.db.session() as s:  # filed as 提交 does: the report and the honest notice
        request = s.get(ServiceRequest, number)
        assert request is not None
        assert not report_if_uncovered(s, request, admin_ids=ADMINS)
    resident = bot.user(RESIDENT)
    await _until(resident, lambda e: "还没有组织负责" in (e.text or ""))

    # A day later: the contract's dates moved back one day instead of the clock forward.
    with bot.db.session() as s:
        stored = s.get(ServiceContract, contract_id)
        assert stored is not None
        stored.start_date, stored.end_date = today, today + timedelta(days=89)
        s.add(stored)
    bot.app.job_queue.run_once(notifier.periodic_job, 0)
    told = await _until(resident, lambda e: _covered(number) in (e.text or ""))
    assert f"#{number}" in told.text
    bot.app.job_queue.run_once(notifier.periodic_job, 0)
    assert [e for e in await resident.settle(quiet=0.5) if f"#{number}" in (e.text or "")] == []
