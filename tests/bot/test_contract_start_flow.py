"""A contract entered in advance, through the real bot and the fake Telegram: on its start date
the periodic check sends its organisation's staff a card of the request that waited, once, and
the card claims it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import notifier
from bot.texts import staff as t
from storage import contracts, membership
from storage import organisations as orgs
from storage.models import ServiceContract, ServiceRequest, utcnow
from tests.bot.conftest import ADMIN_ID, BotHarness
from tests.bot.test_conversation_flow import _filed, _until

ADMINS = frozenset({ADMIN_ID})
STAFF = 3_000_000_301
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_contract_starting_announces_the_waiting_request_once(bot: BotHarness) -> None:
    today = utcnow().astimezone(SHANGHAI).date()
    with bot.db.session() as s:
        orgs.create_organisation(s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="玉林服务中心")
        invite, _ = membership.create_invite(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation="玉林服务中心"
        )
        membership.join(s, code=invite.code, telegram_id=STAFF, display_name="社工")
        # Entered in advance: from tomorrow (and its first contract: no "all" scope meanwhile).
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
    number = _filed(bot.db, announce=True)  # nobody serves it yet
    staff = bot.user(STAFF)
    bot.app.job_queue.run_once(notifier.periodic_job, 0)
    assert [e for e in await staff.settle(quiet=0.5) if f"#{number}" in (e.text or "")] == []

    # A day later: the contract's dates moved back one day instead of the clock forward.
    with bot.db.session() as s:
        stored = s.get(ServiceContract, contract_id)
        assert stored is not None and stored.announced_at is None
        stored.start_date, stored.end_date = today, today + timedelta(days=89)
        s.add(stored)
    bot.app.job_queue.run_once(notifier.periodic_job, 0)
    card = await _until(staff, lambda e: f"#{number}" in (e.text or ""))
    assert card.buttons == [t.BTN_CLAIM_CARD] and "设施维修" in card.text

    # The next run (or another process) sends nothing more.
    bot.app.job_queue.run_once(notifier.periodic_job, 0)
    assert [e for e in await staff.settle(quiet=0.5) if f"#{number}" in (e.text or "")] == []

    await staff.press(t.BTN_CLAIM_CARD, message_id=card.message_id)
    assert await staff.expect_answer() == t.CLAIM_TOAST.format(number=number)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest).where(ServiceRequest.id == number)).one()
        assert request.status == "claimed"
