"""/performance end to end through the real bot and the fake Telegram: the admin picks an
organisation and a period with buttons (or types them, or types the dates in reply to the
bot's question) and receives the figures as text and the workbook and PDF as documents, the
completion photo embedded; anyone else is refused."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdf
from openpyxl import load_workbook

from bot import callbacks
from bot.fakeapi import TINY_JPEG, FakeUser
from bot.handlers.performance import Asked, parse_request
from bot.texts import performance as t
from storage import organisations as orgs
from storage.models import ServiceContract
from storage.performance import Period
from tests.bot.conftest import ADMIN_ID, BotHarness
from tests.bot.test_conversation_flow import RESIDENT, STAFF, _claimed, _filed, _setup, _until
from tests.bot.test_performance_render import pdf_text

PHONE = "13812345678"


async def _worked_request(bot: BotHarness) -> int:
    """A request of this month, claimed and resolved with a completion photo."""
    _setup(bot.db)
    number = _filed(bot.db, f"3栋电梯又坏了 电话{PHONE}")
    _claimed(bot.db, number)
    staff = bot.user(STAFF)
    await staff.send_photo(f"/done {number} 换了控制板", data=TINY_JPEG)
    await _until(bot.user(RESIDENT), lambda e: e.kind == "photo")
    return number


async def _pack(admin: FakeUser) -> tuple[str, bytes, bytes]:
    """The text, then the workbook and the PDF, as the admin receives them."""
    text = await _until(admin, lambda e: e.kind == "message" and t.RATES["response_rate"]
                        in (e.text or ""), timeout=20)  # fmt: skip
    documents: dict[str, bytes] = {}
    while len(documents) < 2:
        event = await _until(admin, lambda e: e.kind == "document", timeout=30)
        assert event.filename is not None and event.file_bytes is not None
        documents[event.filename.rsplit(".", 1)[1]] = event.file_bytes
    return text.text, documents["xlsx"], documents["pdf"]


async def test_the_admin_gets_the_pack_with_buttons(bot: BotHarness) -> None:
    number = await _worked_request(bot)
    admin = bot.admin
    await admin.send("/performance")
    chooser = await _until(admin, lambda e: t.CHOOSE_SUBJECT in (e.text or ""))
    organisation = t.BTN_ORGANISATION.format(organisation="玉林服务中心")
    assert organisation in chooser.buttons
    await admin.press(organisation, message_id=chooser.message_id)
    periods = await _until(admin, lambda e: "请选择评价期" in (e.text or ""))
    assert "玉林服务中心" in periods.text
    assert t.BTN_THIS_MONTH in periods.buttons and t.BTN_CONTRACT_TERM not in periods.buttons
    await admin.press(t.BTN_THIS_MONTH, message_id=chooser.message_id)
    text, workbook, pdf = await _pack(admin)
    assert "玉林服务中心" in text and "抽查 1 件" in text
    book = load_workbook(io.BytesIO(workbook))
    sample = list(book[t.SHEET_SAMPLE].iter_rows(values_only=True))[1:]
    assert sample[0][0] == number and "138****5678" in sample[0][8]
    assert sample[0][11] == t.PHOTO_EXISTS.format(count=1)
    words = pdf_text(pdf)
    assert "玉林服务中心" in words and "响应率" in words and "换了控制板" in words
    assert PHONE not in words and "138****5678" in words
    # The completion photo was fetched from Telegram and embedded.
    assert any(page.images for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


async def test_typed_subject_and_period_and_typed_dates(bot: BotHarness) -> None:
    await _worked_request(bot)
    admin = bot.admin
    await admin.send("/performance 玉林服务中心 本月")
    text, _workbook, pdf = await _pack(admin)
    assert "玉林服务中心" in text and "玉林服务中心" in pdf_text(pdf)
    await admin.send("/performance")
    chooser = await _until(admin, lambda e: t.CHOOSE_SUBJECT in (e.text or ""))
    await admin.press(t.BTN_ORGANISATION.format(organisation="玉林服务中心"))
    await _until(admin, lambda e: "请选择评价期" in (e.text or ""))
    await admin.press(t.BTN_TYPE_DATES, message_id=chooser.message_id)
    asked = await _until(admin, lambda e: e.force_reply)
    await admin.send("2026-13-01 2026-12-31", reply_to=asked.message_id)
    assert (await _until(admin, lambda e: e.kind == "message")).text == t.BAD_DATES
    await admin.send("2026-12-31 2026-01-01", reply_to=asked.message_id)
    assert "评价期不对" in (await _until(admin, lambda e: e.kind == "message")).text
    # Typed as in /newcontract (bot.handlers.arguments.parse_day): Chinese dates too.
    await admin.send("2026年1月1日 至 2026/12/31", reply_to=asked.message_id)
    text, _workbook, _pdf = await _pack(admin)
    assert "2026年1月1日 至 2026年12月31日" in text


async def test_refusals(bot: BotHarness) -> None:
    await _worked_request(bot)
    admin, resident = bot.admin, bot.user(RESIDENT)
    await resident.send("/performance")
    refused = await _until(resident, lambda e: e.kind == "message")
    assert refused.text == t.NOT_ALLOWED
    await admin.send("/performance 合同99 本月")
    said = await _until(admin, lambda e: e.kind == "message")
    assert said.text == t.CONTRACT_NOT_FOUND.format(id=99)
    await admin.send("/performance 没有这个组织 2026-03")
    said = await _until(admin, lambda e: e.kind == "message")
    assert said.text == t.ORGANISATION_NOT_FOUND.format(ref="没有这个组织")
    await admin.send("/performance 玉林服务中心 2026-13")
    assert "评价期不对" in (await _until(admin, lambda e: e.kind == "message")).text
    await admin.send("/performance 玉林服务中心 合同期")
    assert "评价期不对" in (await _until(admin, lambda e: e.kind == "message")).text
    # A forged or foreign button: the resident is refused, a mangled one is expired.
    await admin.send("/performance")
    chooser = await _until(admin, lambda e: t.CHOOSE_SUBJECT in (e.text or ""))
    await admin.press_data(chooser.message_id, "y:o:x")
    assert await admin.expect_answer() == t.BUTTON_EXPIRED
    data = callbacks.PerformanceButton(False, 1, "tm").to_data()
    await resident.press_data(refused.message_id, data)
    assert await resident.expect_answer() == t.NOT_ALLOWED


async def test_a_contract_over_its_whole_term(bot: BotHarness) -> None:
    await _worked_request(bot)
    today = date.today()
    with bot.db.session() as s:
        s.add(
            ServiceContract(
                purchaser="玉林街道办事处",
                organisation_id=1,
                categories=["repairs"],
                communities=["玉林社区"],
                start_date=today - timedelta(days=400),
                end_date=today + timedelta(days=400),
                targets={"response_rate": 0.9},
            )
        )
    admin = bot.admin
    await admin.send("/performance")
    chooser = await _until(admin, lambda e: t.CHOOSE_SUBJECT in (e.text or ""))
    contract = t.BTN_CONTRACT.format(id=1, organisation="玉林服务中心")
    await admin.press(contract, message_id=chooser.message_id)
    await _until(admin, lambda e: t.BTN_CONTRACT_TERM in e.buttons)
    await admin.press(t.BTN_CONTRACT_TERM, message_id=chooser.message_id)
    text, workbook, pdf = await _pack(admin)
    assert "合同 #1" in text and "玉林街道办事处" in text and "目标 ≥ 90.0%" in text
    assert t.SHEET_COVERAGE in load_workbook(io.BytesIO(workbook)).sheetnames
    assert "七、合同覆盖情况" in pdf_text(pdf)


async def test_an_organisation_named_with_html_characters(bot: BotHarness) -> None:
    """The name on the pressed button is said back escaped in the HTML period question."""
    name = "邻里<互助>&社"
    with bot.db.session() as s:
        orgs.create_organisation(s, actor_id=ADMIN_ID, admin_ids=frozenset({ADMIN_ID}), name=name)
    admin = bot.admin
    await admin.send("/performance")
    chooser = await _until(admin, lambda e: t.CHOOSE_SUBJECT in (e.text or ""))
    await admin.press(t.BTN_ORGANISATION.format(organisation=name), message_id=chooser.message_id)
    periods = await _until(admin, lambda e: "请选择评价期" in (e.text or ""))
    assert name in periods.text and t.BTN_THIS_MONTH in periods.buttons


def test_parse_request_reads_dates_as_newcontract_does() -> None:
    asked = parse_request(["合同7", "2027年1月1日", "2027/3/31"])
    assert asked == Asked(7, None, Period(date(2027, 1, 1), date(2027, 3, 31)))
    asked = parse_request(["玉林服务中心", "2027-01-01", "2027-03-31"])
    assert asked == Asked(None, "玉林服务中心", Period(date(2027, 1, 1), date(2027, 3, 31)))
