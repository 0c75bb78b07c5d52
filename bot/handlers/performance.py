"""/performance: the evaluation pack (绩效评价) for admins, guided or in one line.

    /performance                          which contract or organisation (buttons), which period
                                          (本月 / 上月 / 本季度 / 上季度 / 合同期内 / 输入日期)
    /performance 合同7 2027-01-01 2027-03-31
    /performance 玉林社工站 2027-Q1        (or 2027-03, 本月, 上季度, 合同期 ...)

The answer is the figures as text, then the workbook and the PDF as documents (completion
photos fetched with get_file and embedded). 输入日期 asks with a ForceReply; the admin's reply
to that message (recognised by the subject's reference in it) gives the dates. Stateless: the
buttons carry the subject and the period (y:..., bot.callbacks.PerformanceButton).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from telegram import ForceReply, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.context import Context, Services
from bot.handlers.admin_views import is_admin
from bot.handlers.arguments import parse_day
from bot.handlers.common import Call, Press, Role, button, command, edit_html, inline, reply_html
from bot.performance_render import formatting as fmt
from bot.performance_render import render_text
from bot.texts import performance as t
from storage.deadlines import Limits
from storage.errors import ContractNotFound, NotFound
from storage.performance import InvalidPeriod, PerformancePack, Period, Relative, periods
from storage.performance.pack import Choice, evaluable, make_pack

log = logging.getLogger(__name__)

ADMIN = Role(is_admin, t.NOT_ALLOWED)
MAX_PHOTOS = 30  # completion photos fetched for one PDF
MAX_CHOICES = 20
# The periods typed after the subject in /performance SUBJECT PERIOD.
WORDS = {
    "本月": Relative.THIS_MONTH,
    "上月": Relative.LAST_MONTH,
    "本季度": Relative.THIS_QUARTER,
    "上季度": Relative.LAST_QUARTER,
    "合同期": Relative.CONTRACT,
    "合同期内": Relative.CONTRACT,
}
_CONTRACT_REF = re.compile(r"^(?:合同|contract)\s*#?\s*([0-9]{1,9})$", re.IGNORECASE)
_ASKED = re.compile(
    re.escape(t.ASK_DATES_REF)
    .replace(re.escape("{kind}"), f"({t.REF_CONTRACT}|{t.REF_ORGANISATION})")
    .replace(re.escape("{id}"), "([0-9]{1,9})")
)


@dataclass(frozen=True)
class Asked:
    """What an admin asked for: a contract or an organisation, and a period (given, or one
    relative to today)."""

    contract_id: int | None
    organisation_ref: str | None
    period: Period | None = None
    relative: Relative | None = None


# --- making and sending the pack ------------------------------------------------------------------


async def _fetch_photos(bot: Any, pack: PerformancePack) -> dict[str, bytes]:
    """The sample's completion photos, downloaded from Telegram (those that fail are skipped)."""
    found: dict[str, bytes] = {}
    wanted = [p for case in pack.sample for p in case.photos][:MAX_PHOTOS]
    for file_id in wanted:
        try:
            telegram_file = await bot.get_file(file_id)
            found[file_id] = bytes(await telegram_file.download_as_bytearray())
        except Exception as exc:
            log.warning("a completion photo could not be fetched: %s", type(exc).__name__)
    return found


async def _render(part: str, render: Any, *args: Any) -> bytes | None:
    """A file rendered in a worker thread; None (logged by type) if it fails."""
    try:
        data: bytes = await asyncio.to_thread(render, *args)
    except Exception as exc:
        log.error("performance %s could not be rendered: %s", part, type(exc).__name__)
        return None
    return data


async def send_pack(message: Message, services: Services, asked: Asked, bot: Any) -> None:
    """Make the pack and answer with its text, workbook and PDF (refusals in Chinese)."""
    settings = services.settings
    try:
        pack = await services.db.run(
            make_pack,
            contract_id=asked.contract_id,
            organisation_ref=asked.organisation_ref,
            period=asked.period,
            relative_period=asked.relative,
            limits=Limits.from_settings(settings),
            today=datetime.now(settings.tz).date(),
            database=services.db,
        )
    except ContractNotFound as exc:
        await message.reply_text(t.CONTRACT_NOT_FOUND.format(id=exc.number))
        return
    except NotFound:
        ref = (asked.organisation_ref or "")[:40]
        await message.reply_text(t.ORGANISATION_NOT_FOUND.format(ref=ref))
        return
    except InvalidPeriod:
        await message.reply_text(t.NO_CONTRACT_TERM if asked.relative else t.PERIOD_REFUSED)
        return
    await message.chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    name, tz = services.category_name, settings.tz
    await message.reply_text(render_text(pack, name, tz), parse_mode=ParseMode.HTML)
    from bot.performance_render.pdf import render_pdf
    from bot.performance_render.workbook import render_workbook

    photos = await _fetch_photos(bot, pack)
    label = fmt.subject_label(pack.subject)
    dates = {"start": pack.period.first.isoformat(), "end": pack.period.last.isoformat()}
    for part, data, ext, caption in (
        (t.PART_WORKBOOK, await _render("workbook", render_workbook, pack, name, tz), "xlsx",
         t.WORKBOOK_CAPTION),
        (t.PART_PDF, await _render("pdf", render_pdf, pack, name, tz, photos), "pdf",
         t.PDF_CAPTION),
    ):  # fmt: skip
        if data is None:
            await message.reply_text(t.PART_MISSING.format(part=part))
            continue
        await message.reply_document(
            data,
            filename=fmt.file_name(pack, ext),
            caption=caption.format(subject=label, **dates),
        )
    log.info("performance pack of %s for %s sent to an admin", label, pack.period)


# --- /performance ---------------------------------------------------------------------------------


def _subject_view(choices: list[Choice]) -> tuple[str, Any]:
    rows = []
    for choice in choices:
        if choice.contract_id is not None:
            label = t.BTN_CONTRACT.format(id=choice.contract_id, organisation=choice.organisation)
            data = callbacks.PerformanceButton(True, choice.contract_id).to_data()
        else:
            label = t.BTN_ORGANISATION.format(organisation=choice.organisation)
            data = callbacks.PerformanceButton(False, choice.organisation_id).to_data()
        rows.append([(label[:60], data)])
    return t.CHOOSE_SUBJECT, inline(rows)


def parse_request(args: list[str]) -> Asked:
    """`SUBJECT PERIOD` typed after /performance; ValueError when it cannot be read."""
    first, last = (parse_day(args[-2]), parse_day(args[-1])) if len(args) >= 3 else (None, None)
    if first is not None and last is not None:
        period: Period | None = Period(first, last)
        relative, rest = None, args[:-2]
    elif len(args) >= 2:
        word = args[-1].strip()
        relative = WORDS.get(word)
        period = None if relative else periods.parse_period(word)
        rest = args[:-1]
    else:
        raise ValueError("a subject and a period are needed")
    subject = " ".join(rest).strip()
    contract = _CONTRACT_REF.match(subject)
    if contract is not None:
        return Asked(int(contract[1]), None, period, relative)
    if relative == Relative.CONTRACT:
        raise InvalidPeriod("the whole-contract period needs a contract")
    return Asked(None, subject, period, relative)


@command(role=ADMIN)
async def performance_command(call: Call) -> None:
    """/performance: guided (buttons), or /performance SUBJECT PERIOD in one line."""
    services = call.services
    if not call.args:
        choices = await services.db.run(evaluable, limit=MAX_CHOICES)
        if not choices:
            await call.message.reply_text(t.NOTHING_TO_EVALUATE)
            return
        await reply_html(call.message, *_subject_view(choices))
        return
    try:
        asked = parse_request(call.args)
    except InvalidPeriod:
        await call.message.reply_text(t.PERIOD_REFUSED + "\n" + t.USAGE)
        return
    except ValueError:
        await call.message.reply_text(t.USAGE)
        return
    await send_pack(call.message, services, asked, call.context.bot)


# --- the buttons ----------------------------------------------------------------------------------

_RELATIVE = {r.value: r for r in Relative}


def _subject_words(data: callbacks.PerformanceButton, name: str) -> str:
    if data.contract:
        return t.SUBJECT_CONTRACT.format(id=data.number, organisation=name)
    return t.SUBJECT_ORGANISATION.format(organisation=name)


def _reference(data: callbacks.PerformanceButton) -> str:
    return t.ASK_DATES_REF.format(kind=t.REF_CONTRACT if data.contract else t.REF_ORGANISATION,
                                  id=data.number)  # fmt: skip


@button(callbacks.PerformanceButton, expired=t.BUTTON_EXPIRED, role=ADMIN)
async def on_button(press: Press, data: callbacks.PerformanceButton) -> None:
    """y:<c|o>:<number>: offer the periods; y:...:<period>: make the pack (or ask the dates)."""
    await press.query.answer()
    message = press.message
    if message is None:
        return
    if data.period is None:
        rows = [
            [
                (t.BTN_THIS_MONTH, _with(data, "tm")),
                (t.BTN_LAST_MONTH, _with(data, "lm")),
            ],
            [
                (t.BTN_THIS_QUARTER, _with(data, "tq")),
                (t.BTN_LAST_QUARTER, _with(data, "lq")),
            ],
        ]
        last = [(t.BTN_TYPE_DATES, _with(data, "ty"))]
        if data.contract:
            last.insert(0, (t.BTN_CONTRACT_TERM, _with(data, "ct")))
        rows.append(last)
        subject = _pressed_subject(message, data)
        await edit_html(press.query, t.CHOOSE_PERIOD.format(subject=subject), inline(rows))
        return
    if data.period == "ty":
        await message.reply_text(
            t.ASK_DATES + "\n" + _reference(data),
            reply_markup=ForceReply(input_field_placeholder=t.DATES_PLACEHOLDER),
        )
        return
    await edit_html(press.query, t.WORKING_ON)
    asked = _asked(data, relative=_RELATIVE[data.period])
    await send_pack(message, press.services, asked, press.context.bot)


def _with(data: callbacks.PerformanceButton, period: callbacks.PerformancePeriod) -> str:
    return callbacks.PerformanceButton(data.contract, data.number, period).to_data()


def _pressed_subject(message: Message, data: callbacks.PerformanceButton) -> str:
    """The subject as the pressed button named it (合同#7 玉林社工站), escaped for HTML."""
    keyboard = message.reply_markup.inline_keyboard if message.reply_markup else ()
    for row in keyboard:
        for key in row:
            if key.callback_data == data.to_data() and key.text:
                return escape(key.text.split(" ", 1)[-1])
    return _subject_words(data, "")


def _asked(data: callbacks.PerformanceButton, **when: Any) -> Asked:
    if data.contract:
        return Asked(data.number, None, **when)
    return Asked(None, str(data.number), **when)


# --- the typed dates (a reply to the ForceReply question) -----------------------------------------


class _AnswersDates(filters.MessageFilter):
    """A reply to the bot's 输入日期 question (it carries the subject's reference)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return bool(
            replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and replied.text
            and _ASKED.search(replied.text)
        )


async def on_dates(update: Update, context: Context) -> None:
    """The admin's dates for the pack asked with 输入日期."""
    call = Call.of(update, context)
    if call is None or call.message.text is None:
        return
    if not is_admin(call.services, call.user.id):
        await call.message.reply_text(t.NOT_ALLOWED)
        return
    replied = call.message.reply_to_message
    found = _ASKED.search(replied.text or "") if replied is not None else None
    if found is None:
        return
    words = call.message.text.replace("至", " ").replace("到", " ").split()
    first, last = (parse_day(words[0]), parse_day(words[1])) if len(words) == 2 else (None, None)
    if first is None or last is None:
        await call.message.reply_text(t.BAD_DATES)
        return
    try:
        period = Period(first, last)
    except InvalidPeriod:
        await call.message.reply_text(t.PERIOD_REFUSED)
        return
    contract = found[1] == t.REF_CONTRACT
    number = int(found[2])
    asked = Asked(number if contract else None, None if contract else str(number), period)
    await send_pack(call.message, call.services, asked, context.bot)


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/performance and its y:... buttons."""
    return [
        CommandHandler("performance", performance_command),
        CallbackQueryHandler(on_button, pattern=callbacks.PerformanceButton.PATTERN),
    ]


def message_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The dates typed in reply to 输入日期; register before the other text handlers."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    answers = private & filters.TEXT & ~filters.COMMAND & filters.REPLY & _AnswersDates()
    return [MessageHandler(answers, on_dates)]
