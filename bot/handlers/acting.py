"""One domain call made as the staff member or admin who sent a command or pressed a button.

`as_staff(call, fn, **kwargs)` runs `fn(session, **kwargs)` (the caller names the sender:
`telegram_id=call.user.id`, or `**admin_actor(call)` for `as_admin`);
`pressed_as_staff` is `as_staff` for a button (and answers the press). They are typed with
ParamSpec, so mypy checks the arguments against the domain function. Each returns what `fn`
returns (never None), or None once the refusal is answered: worded by bot.refusals, about the
`number` and the `organisation` among the arguments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Concatenate, ParamSpec, TypedDict, TypeVar

from sqlmodel import Session
from telegram import Message

from bot.context import Services
from bot.handlers.common import Call, Press, reply_html
from bot.refusals import Scene, refusal_text
from storage.errors import DomainError

T = TypeVar("T")
P = ParamSpec("P")


class AdminActor(TypedDict):
    """How the domain's admin operations name who acts: the sender and the configured admins."""

    actor_id: int
    admin_ids: frozenset[int]


def admin_actor(call: Call) -> AdminActor:
    """`actor_id` and `admin_ids` for an admin operation sent as `call` (checked by mypy)."""
    return {"actor_id": call.user.id, "admin_ids": call.services.settings.admin_ids}


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


async def as_staff(
    call: Call, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """`fn(session, *args, **kwargs)` for the sender; None after replying with its refusal."""
    run = call.services.db.run(fn, *args, **kwargs)
    return await _attempt(run, lambda text: reply_html(call.message, text), kwargs)


async def pressed_as_staff(
    press: Press, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """`fn(session, *args, **kwargs)` for the presser, the press answered; None after an alert
    with its refusal."""
    run = press.services.db.run(fn, *args, **kwargs)
    result = await _attempt(run, lambda text: press.query.answer(text, show_alert=True), kwargs)
    if result is not None:
        await press.query.answer()
    return result


async def as_resident(
    message: Message,
    services: Services,
    fn: Callable[Concatenate[Session, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T | None:
    """`fn(session, *args, **kwargs)` about a resident's own request; None after replying
    below `message` with its refusal (worded for the thread: not found, closed)."""
    run = services.db.run(fn, *args, **kwargs)
    return await _attempt(run, message.reply_text, kwargs, Scene.THREAD)


async def as_admin(
    call: Call, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """`fn(session, *args, **kwargs)` for an admin's command; None after its refusal."""
    return await as_admin_in(call, Scene.STAFF, fn, *args, **kwargs)


async def as_admin_in(
    call: Call,
    scene: Scene,
    fn: Callable[Concatenate[Session, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T | None:
    """`as_admin`, its refusals worded for `scene`."""
    run = call.services.db.run(fn, *args, **kwargs)
    return await _attempt(run, lambda text: reply_html(call.message, text), kwargs, scene)
