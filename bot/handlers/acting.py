"""One domain call made as the staff member or admin who sent a command or pressed a button.

`as_staff(call, fn, **kwargs)` runs `fn(telegram_id=<sender>, **kwargs)`, `as_admin` runs
`fn(actor_id=<sender>, admin_ids=ADMIN_IDS, **kwargs)`, `pressed_as_staff` is `as_staff` for a
button (and answers the press). Each returns what `fn` returns (never None), or None once the
refusal is answered: worded by bot.refusals, about the `number` and the `organisation` among
the arguments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from bot.handlers.common import Call, Press, reply_html
from bot.refusals import Scene, refusal_text
from storage.errors import DomainError

T = TypeVar("T")


async def _attempt(
    run: Awaitable[T],
    answer: Callable[[str], Awaitable[Any]],
    arguments: Mapping[str, Any],
    scene: Scene = Scene.STAFF,
) -> T | None:
    try:
        return await run
    except DomainError as exc:
        number, ref = arguments.get("number"), arguments.get("organisation", "")
        await answer(refusal_text(exc, scene=scene, number=number, ref=ref))
        return None


async def as_staff(call: Call, fn: Callable[..., T], /, **kwargs: Any) -> T | None:
    """`fn(telegram_id=<sender>, **kwargs)`; None after replying with its refusal."""
    run = call.services.db.run(fn, telegram_id=call.user.id, **kwargs)
    return await _attempt(run, lambda text: reply_html(call.message, text), kwargs)


async def pressed_as_staff(press: Press, fn: Callable[..., T], /, **kwargs: Any) -> T | None:
    """`fn(telegram_id=<presser>, **kwargs)`, the press answered; None after an alert with
    its refusal."""
    run = press.services.db.run(fn, telegram_id=press.user.id, **kwargs)
    result = await _attempt(run, lambda text: press.query.answer(text, show_alert=True), kwargs)
    if result is not None:
        await press.query.answer()
    return result


async def as_admin(
    call: Call, fn: Callable[..., T], /, *, scene: Scene = Scene.STAFF, **kwargs: Any
) -> T | None:
    """`fn(actor_id=<sender>, admin_ids=ADMIN_IDS, **kwargs)`; None after its refusal."""
    admin_ids = call.services.settings.admin_ids
    run = call.services.db.run(fn, actor_id=call.user.id, admin_ids=admin_ids, **kwargs)
    return await _attempt(run, lambda text: reply_html(call.message, text), kwargs, scene)
