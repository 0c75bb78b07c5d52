"""Staff come and go, and an organisation's scope changes: /removestaff, /leave, /scope.

/removestaff (admins): the organisations with staff as buttons (or `/removestaff 组织名`), then
its staff by display name, then a confirmation. /leave (staff): a confirmation. Either way the
member is no longer staff (storage.membership); the requests they held stay with the
organisation. /scope 组织 (admins) shows the scope with a button per category to toggle (and
全部类别 / 全部社区); `/scope 组织 类别 设施维修,养老助老` and `/scope 组织 社区 玉林社区,芳草社区`
replace one half of it (「全部」 for all). Button data: bot.callbacks.Member (w:) and Scope (s:).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks, notifier, texts
from bot.context import Services
from bot.handlers import roles
from bot.handlers.acting import AdminActor, admin_actor
from bot.handlers.admin_views import ADMIN, is_admin, manual_scope_text
from bot.handlers.arguments import split_args
from bot.handlers.common import (
    BadArguments,
    Call,
    Press,
    button,
    command,
    edit_html,
    inline,
    reply_html,
)
from bot.handlers.staff_views import View
from bot.refusals import refusal_text
from bot.texts import membership as w
from bot.texts import staff as t
from storage import membership, organisations
from storage.errors import DomainError, InvalidInput, NotStaff
from storage.models import Organisation
from storage.requests import scope as scope_rules

T = TypeVar("T")
ORGS_SHOWN = 30  # organisations offered as buttons by a bare /removestaff
_SEPARATORS = re.compile(r"[,，、;；\s]+")


async def _attempt(
    run: Awaitable[T], answer: Callable[[str], Awaitable[Any]], *, not_staff: str, ref: str = ""
) -> T | None:
    """The domain call's result, or None once its refusal is answered (`not_staff` for
    NotStaff, which here is about the person removed or leaving, never the sender's role)."""
    try:
        return await run
    except NotStaff:
        await answer(not_staff)
    except InvalidInput as exc:
        last = exc.field == "categories"
        await answer(w.SCOPE_LAST_CATEGORY if last else refusal_text(exc, ref=ref))
    except DomainError as exc:
        await answer(refusal_text(exc, ref=ref))
    return None


def _replying(call: Call) -> Callable[[str], Awaitable[Any]]:
    return lambda text: reply_html(call.message, text)


def _alerting(press: Press) -> Callable[[str], Awaitable[Any]]:
    return lambda text: press.query.answer(text, show_alert=True)


def _name(organisation: Organisation) -> str:
    return texts.excerpt(organisation.name, 60)


def _numbers(numbers: list[int]) -> str:
    return "、".join(f"#{n}" for n in numbers)


# --- /removestaff ---------------------------------------------------------------------------


def _organisation_ref(call: Call) -> str:
    args = split_args(call.message, 1)
    return args[0] if args else ""


def _staff_view(organisation: Organisation, members: list[membership.Member]) -> View:
    name = _name(organisation)
    if not members:
        return w.REMOVE_NO_STAFF.format(organisation=name), None
    assert organisation.id is not None
    names = [m.display_name for m in members]
    rows = []
    for member in members:
        label = texts.excerpt(member.display_name, 20) or "—"
        if names.count(member.display_name) > 1:
            label += f" …{str(member.telegram_id)[-4:]}"
        data = callbacks.Member("who", organisation.id, member.telegram_id).to_data()
        rows.append([(label, data)])
    rows.append([(w.BTN_KEEP, callbacks.Member("no", organisation.id).to_data())])
    return w.REMOVE_PICK_PERSON.format(organisation=name), inline(rows)


@command(_organisation_ref, role=ADMIN)
async def remove_staff(call: Call, ref: str) -> None:
    """/removestaff [组织]: pick the organisation (buttons), then the person, then confirm."""
    if ref:
        found = await _attempt(
            call.services.db.run(membership.staff_of, **admin_actor(call), organisation=ref),
            _replying(call),
            not_staff=texts.ERROR,
            ref=ref,
        )
        if found is not None:
            await reply_html(call.message, *_staff_view(*found))
        return
    infos = await call.services.db.run(organisations.list_organisations)
    staffed = [info for info in infos if info.staff]
    if not staffed:
        await reply_html(call.message, w.REMOVE_NO_STAFF_ANYWHERE)
        return
    rows = [
        [
            (
                f"{texts.excerpt(info.name, 30)}（{info.staff}）",
                callbacks.Member("org", info.id).to_data(),
            )
        ]
        for info in staffed[:ORGS_SHOWN]
    ]
    text = w.REMOVE_PICK_ORG
    if len(staffed) > ORGS_SHOWN:
        text += "\n" + w.REMOVE_TOO_MANY_ORGS.format(shown=ORGS_SHOWN)
    await reply_html(call.message, text, inline(rows))


async def _pick_organisation(press: Press, data: callbacks.Member) -> None:
    found = await _attempt(
        press.services.db.run(
            membership.staff_of, **_press_admin(press), organisation=str(data.organisation)
        ),
        _alerting(press),
        not_staff=texts.ERROR,
    )
    if found is not None:
        await press.query.answer()
        await edit_html(press.query, *_staff_view(*found))


async def _pick_person(press: Press, data: callbacks.Member) -> None:
    assert data.telegram_id is not None
    found = await _attempt(
        press.services.db.run(
            membership.member_of,
            **_press_admin(press),
            organisation=str(data.organisation),
            telegram_id=data.telegram_id,
        ),
        _alerting(press),
        not_staff=w.NOT_A_MEMBER,
    )
    if found is None:
        return
    organisation, member = found
    await press.query.answer()
    holding = w.REMOVE_HOLDING.format(count=member.holding) if member.holding else ""
    text = w.REMOVE_CONFIRM.format(
        name=texts.excerpt(member.display_name, 40),
        organisation=_name(organisation),
        holding=holding,
    )
    rows = [
        [
            (w.BTN_REMOVE, callbacks.Member("rm", data.organisation, data.telegram_id).to_data()),
            (w.BTN_KEEP, callbacks.Member("no", data.organisation).to_data()),
        ]
    ]
    await edit_html(press.query, text, inline(rows))


async def _remove(press: Press, data: callbacks.Member) -> None:
    assert data.telegram_id is not None
    gone = await _attempt(
        press.services.db.run(
            membership.remove_staff,
            **_press_admin(press),
            organisation=str(data.organisation),
            telegram_id=data.telegram_id,
        ),
        _alerting(press),
        not_staff=w.NOT_A_MEMBER,
    )
    if gone is None:
        return
    notifier.kick(press.context)
    await press.query.answer()
    await _menu_after(press, gone.telegram_id)
    name = texts.excerpt(gone.organisation_name, 60)
    kept = w.KEPT.format(numbers=_numbers(gone.kept), organisation=name) if gone.kept else ""
    person = texts.excerpt(gone.display_name, 40)
    await edit_html(press.query, w.REMOVED.format(name=person, organisation=name, kept=kept))


async def _keep(press: Press, data: callbacks.Member) -> None:
    await press.query.answer()
    await edit_html(press.query, w.REMOVE_CANCELLED)


async def _menu_after(press: Press, telegram_id: int) -> None:
    """The person's command menu follows their roles now (no staff commands any more)."""
    now = await roles.who(press.services, telegram_id)
    await roles.show_menu(press.context.bot, telegram_id, now)


def _press_admin(press: Press) -> AdminActor:
    """`actor_id` and `admin_ids` for an admin operation pressed as a button."""
    return {"actor_id": press.user.id, "admin_ids": press.services.settings.admin_ids}


# --- /leave ---------------------------------------------------------------------------------


@command()
async def leave(call: Call) -> None:
    """/leave: a staff member asks to leave their organisation; a button confirms."""
    found = await _attempt(
        call.services.db.run(membership.own_membership, telegram_id=call.user.id),
        _replying(call),
        not_staff=w.LEAVE_NOT_STAFF,
    )
    if found is None:
        return
    organisation, member = found
    assert organisation.id is not None
    holding = w.LEAVE_HOLDING.format(count=member.holding) if member.holding else ""
    text = w.LEAVE_CONFIRM.format(organisation=_name(organisation), holding=holding)
    rows = [
        [
            (w.BTN_LEAVE, callbacks.Member("leave", organisation.id).to_data()),
            (w.BTN_KEEP, callbacks.Member("stay", organisation.id).to_data()),
        ]
    ]
    await reply_html(call.message, text, inline(rows))


async def _leave(press: Press, data: callbacks.Member) -> None:
    gone = await _attempt(
        press.services.db.run(
            membership.leave, telegram_id=press.user.id, organisation_id=data.organisation
        ),
        _alerting(press),
        not_staff=w.LEAVE_NOT_STAFF,
    )
    if gone is None:
        return
    notifier.kick(press.context)
    await press.query.answer()
    await _menu_after(press, press.user.id)
    kept = w.LEFT_KEPT.format(numbers=_numbers(gone.kept)) if gone.kept else ""
    name = texts.excerpt(gone.organisation_name, 60)
    await edit_html(press.query, w.LEFT.format(organisation=name, kept=kept))


async def _stay(press: Press, data: callbacks.Member) -> None:
    await press.query.answer()
    await edit_html(press.query, w.LEAVE_CANCELLED)


_MEMBER_STEPS: dict[str, Callable[[Press, callbacks.Member], Awaitable[None]]] = {
    "org": _pick_organisation,
    "who": _pick_person,
    "rm": _remove,
    "no": _keep,
    "leave": _leave,
    "stay": _stay,
}
_ADMIN_STEPS = frozenset({"org", "who", "rm", "no"})


@button(callbacks.Member, expired=t.BUTTON_EXPIRED)
async def on_member_button(press: Press, data: callbacks.Member) -> None:
    """Every /removestaff and /leave button (w:<action>:<organisation>[:<person>])."""
    if data.action in _ADMIN_STEPS and not is_admin(press.services, press.user.id):
        await press.query.answer(t.NOT_ADMIN, show_alert=True)
        return
    await _MEMBER_STEPS[data.action](press, data)


# --- /scope ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeArgs:
    """`/scope 组织 [类别|社区 a,b]`: the organisation, and the half of the scope to replace."""

    ref: str
    categories: organisations.Scope = organisations.KEEP
    communities: organisations.Scope = organisations.KEEP

    @property
    def changes(self) -> bool:
        return (
            self.categories is not organisations.KEEP or self.communities is not organisations.KEEP
        )


def _scope_args(call: Call) -> ScopeArgs:
    """The organisation's name runs up to the first 类别 / 社区; the values follow it."""
    args = split_args(call.message, 1)
    words = args[0].split() if args else []
    keywords = w.CATEGORY_WORDS | w.COMMUNITY_WORDS
    at = next((i for i, word in enumerate(words) if i and word.lower() in keywords), None)
    if not words or (at is None and len(words) > 1 and words[-1].lower() in keywords):
        raise BadArguments(w.SCOPE_USAGE, html=True)
    if at is None:
        return ScopeArgs(" ".join(words))
    ref, half = " ".join(words[:at]), words[at].lower()
    values = [v for v in _SEPARATORS.split(" ".join(words[at + 1 :])) if v]
    what = w.CATEGORY_WORD if half in w.CATEGORY_WORDS else w.COMMUNITY_WORD
    if not values:
        raise BadArguments(w.SCOPE_EMPTY.format(what=what) + "\n\n" + w.SCOPE_USAGE, html=True)
    chosen: list[str] | None = None if any(v.lower() in w.ALL_WORDS for v in values) else values
    if half in w.COMMUNITY_WORDS:
        too_long = [v for v in chosen or [] if len(v) > organisations.MAX_COMMUNITY]
        if too_long:
            raise BadArguments(w.SCOPE_TOO_LONG.format(limit=organisations.MAX_COMMUNITY))
        return ScopeArgs(ref, communities=chosen)
    unknown = [v for v in chosen or [] if organisations.category_code(v) is None]
    if unknown:
        names = "、".join(c.name for c in call.services.categories)
        reply = w.SCOPE_UNKNOWN_CATEGORY.format(unknown="、".join(unknown), names=names)
        raise BadArguments(reply)
    return ScopeArgs(ref, categories=chosen)


def _scope_view(services: Services, organisation: Organisation, *, saved: bool = False) -> View:
    assert organisation.id is not None
    org_id, chosen = organisation.id, organisation.categories
    text = w.SCOPE_VIEW.format(
        organisation=_name(organisation),
        categories=manual_scope_text(services, chosen, categories=True),
        communities=manual_scope_text(services, organisation.communities, categories=False),
        ref=org_id,
    )
    buttons = [
        (
            ("✅ " if chosen is not None and c.code in chosen else "") + c.name,
            callbacks.Scope(org_id, "cat", c.code).to_data(),
        )
        for c in services.categories
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    everything = t.BTN_ALL_CATEGORIES + (" ✅" if chosen is None else "")
    last = [(everything, callbacks.Scope(org_id, "allcats").to_data())]
    if organisation.communities is not None:
        last.append((t.BTN_ALL_COMMUNITIES, callbacks.Scope(org_id, "allcomm").to_data()))
    rows.append(last)
    return (w.SCOPE_SAVED if saved else "") + text, inline(rows)


@command(_scope_args, role=ADMIN)
async def scope(call: Call, args: ScopeArgs) -> None:
    """/scope 组织: show the scope with buttons; with 类别 / 社区 and values: replace that half."""
    if args.changes:
        run = call.services.db.run(
            scope_rules.set_scope,
            **admin_actor(call),
            organisation=args.ref,
            categories=args.categories,
            communities=args.communities,
        )
    else:
        run = call.services.db.run(organisations.find_organisation, ref=args.ref)
    organisation = await _attempt(run, _replying(call), not_staff=texts.ERROR, ref=args.ref)
    if organisation is not None:
        await reply_html(
            call.message, *_scope_view(call.services, organisation, saved=args.changes)
        )


@button(callbacks.Scope, expired=t.BUTTON_EXPIRED, role=ADMIN)
async def on_scope_button(press: Press, data: callbacks.Scope) -> None:
    """A /scope button: toggle a category (s:<org>:cat:<code>), or all categories / communities."""
    services, ref = press.services, str(data.organisation)
    if data.action == "cat":
        if not services.is_category(data.category):
            await press.query.answer(t.BUTTON_EXPIRED)
            return
        run = services.db.run(
            scope_rules.toggle_category,
            **_press_admin(press),
            organisation=ref,
            category=data.category,
        )
    elif data.action == "allcats":
        run = services.db.run(
            scope_rules.set_scope, **_press_admin(press), organisation=ref, categories=None
        )
    else:
        run = services.db.run(
            scope_rules.set_scope, **_press_admin(press), organisation=ref, communities=None
        )
    organisation = await _attempt(run, _alerting(press), not_staff=texts.ERROR, ref=ref)
    if organisation is not None:
        await press.query.answer()
        await edit_html(press.query, *_scope_view(services, organisation, saved=True))


def button_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The w:... (/removestaff, /leave) and s:... (/scope) buttons."""
    return [
        CallbackQueryHandler(on_member_button, pattern=callbacks.Member.PATTERN),
        CallbackQueryHandler(on_scope_button, pattern=callbacks.Scope.PATTERN),
    ]


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/removestaff, /leave, /scope, and their buttons (`button_handlers`)."""
    return [
        CommandHandler("removestaff", remove_staff),
        CommandHandler("leave", leave),
        CommandHandler("scope", scope),
        *button_handlers(),
    ]
