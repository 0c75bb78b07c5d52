"""The resident's privacy: /mydata shows everything stored about them; /forgetme erases their
personal data after a confirmation (forget:yes / forget:no)."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.callbacks import Forget
from bot.handlers.common import Call, Press, button, command, inline, reply_html
from storage import privacy

log = logging.getLogger(__name__)


def _my_data_text(data: dict[str, Any]) -> str:
    """The resident's name, place, first contact and (up to 20) requests."""
    rows = "".join(
        texts.MYDATA_ROW.format(
            number=r["number"],
            status=texts.status_name(r["status"]),
            text=texts.excerpt(r["text"], 40),
            contact=f"（联系方式：{texts.excerpt(r['contact'], 30)}）" if r["contact"] else "",
        )
        for r in data["requests"][:20]
    )
    place = " ".join(p for p in (data["community"], data["building"]) if p)
    return texts.MYDATA.format(
        name=texts.excerpt(data["display_name"], 30) or texts.NONE,
        place=texts.excerpt(place) or texts.NONE,
        since=data["created_at"][:10],
        count=len(data["requests"]),
        requests=rows,
    )


@command()
async def my_data(call: Call) -> None:
    """Show the resident everything stored about them."""
    data = await call.services.db.run(privacy.resident_data, telegram_id=call.user.id)
    if data is None:
        await call.message.reply_text(texts.MYDATA_NONE)
        return
    await reply_html(call.message, _my_data_text(data))


@command()
async def forget_me(call: Call) -> None:
    """Ask for confirmation before erasing the resident's personal data."""
    buttons = [
        [(texts.BTN_FORGET_YES, Forget(confirmed=True).to_data())],
        [(texts.BTN_FORGET_NO, Forget(confirmed=False).to_data())],
    ]
    await call.message.reply_text(texts.FORGET_CONFIRM, reply_markup=inline(buttons))


@button(Forget, expired=texts.BUTTON_EXPIRED)
async def forget_button(press: Press, data: Forget) -> None:
    """Erase (or keep) the resident's personal data."""
    await press.query.answer()
    if not data.confirmed:
        await press.query.edit_message_text(texts.FORGET_KEPT)
        return
    count = await press.services.db.run(privacy.forget_resident, telegram_id=press.user.id)
    log.info("a resident erased their personal data (%s requests anonymised)", count)
    await press.query.edit_message_text(texts.FORGOTTEN.format(count=count))


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/mydata, /forgetme and its two buttons."""
    return [
        CommandHandler("mydata", my_data),
        CommandHandler("forgetme", forget_me),
        CallbackQueryHandler(forget_button, pattern=Forget.PATTERN),
    ]
