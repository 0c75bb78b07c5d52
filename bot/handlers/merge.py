"""/merge <keep> <merge>: staff or an admin folds a duplicate request into another.

storage.requests.duplicates.merge_and_notify checks who may merge what and tells the merged
request's residents where it went; a refusal is worded by bot.refusals (Scene.MERGE).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram.ext import BaseHandler, CommandHandler

from bot.handlers.common import BadArguments, Call, command, parse_number, reply_html
from bot.notifier import kick
from bot.refusals import Scene, refusal_text
from bot.texts import summary as t
from storage.errors import CannotMerge, NotAllowed, NotFound
from storage.requests.duplicates import merge_and_notify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergeArgs:
    """The request kept and the one merged into it."""

    keep: int
    merge: int


def _merge_args(call: Call) -> MergeArgs:
    numbers = [parse_number(arg) for arg in call.args]
    if len(numbers) != 2 or numbers[0] is None or numbers[1] is None:
        raise BadArguments(t.MERGE_USAGE, html=True)
    return MergeArgs(numbers[0], numbers[1])


@command(_merge_args)
async def merge_command(call: Call, args: MergeArgs) -> None:
    """/merge <keep> <merge>: staff or an admin folds a duplicate request into another."""
    services, keep, merge = call.services, args.keep, args.merge
    try:
        result = await services.db.run(
            merge_and_notify,
            telegram_id=call.user.id,
            admin_ids=services.settings.admin_ids,
            keep=keep,
            merge=merge,
        )
    except (NotAllowed, NotFound, CannotMerge) as exc:
        refusal = refusal_text(exc, scene=Scene.MERGE, number=keep, merged=merge)
        await reply_html(call.message, refusal)
        return
    log.info("request #%s merged into #%s", merge, keep)
    done = t.MERGE_DONE.format(merged=merge, keep=keep, supporters=result.supporters)
    await reply_html(call.message, done)
    kick(call.context)


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/merge (staff and admins); register before the fallbacks."""
    return [CommandHandler("merge", merge_command)]
