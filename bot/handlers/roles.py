"""Each role its own bot: /start, /help and the Telegram command menu follow who is asking.

A resident (everyone), a staff member (of an organisation, with its name) and an admin
(ADMIN_IDS; an admin may also be staff) each get their own greeting, help and menu. The
residents' menu is the default scope; staff and admins get a menu of their own in their chat
(BotCommandScopeChat), set when they join (/join), at each /start, and for the admins when the
bot starts. A resident's /start removes a chat menu left from an earlier role.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from telegram import Bot, BotCommand, BotCommandScopeChat, ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler

from bot import texts
from bot.context import Context, Services
from bot.handlers import staff
from bot.handlers.common import Call, command, keyboard_button, main_keyboard, reply_html
from bot.handlers.draft_steps import one_at_a_time
from bot.texts import roles as t
from storage import drafts, membership, residents
from storage import organisations as orgs
from storage.errors import NotStaff

log = logging.getLogger(__name__)


def _menu(items: Iterable[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in items]


RESIDENT_COMMANDS = _menu(t.RESIDENT_MENU)
STAFF_COMMANDS = _menu(t.STAFF_MENU)
ADMIN_COMMANDS = _menu(t.ADMIN_MENU)


def _admin_and_staff_menu() -> list[BotCommand]:
    """The admin's menu, then the staff commands it lacks; /help describes both roles."""
    names = {name for name, _ in t.ADMIN_MENU}
    items = [
        (name, t.ADMIN_AND_STAFF_HELP_ITEM if name == "help" else description)
        for name, description in t.ADMIN_MENU
    ]
    return _menu(items + [item for item in t.STAFF_MENU if item[0] not in names])


ADMIN_AND_STAFF_COMMANDS = _admin_and_staff_menu()


# --- who is asking --------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """A person's roles: admin or not, and the organisation they are staff of (if any)."""

    admin: bool
    organisation: str | None = None
    suspended: bool = False  # their organisation is blacklisted

    @property
    def resident(self) -> bool:
        return not self.admin and self.organisation is None

    def commands(self) -> list[BotCommand]:
        if self.admin:
            return ADMIN_AND_STAFF_COMMANDS if self.organisation else ADMIN_COMMANDS
        return STAFF_COMMANDS if self.organisation else RESIDENT_COMMANDS


def _staff_of(session: Session, *, telegram_id: int) -> tuple[str, bool] | None:
    """The name of the person's organisation and whether it is blacklisted; None for non-staff."""
    try:
        _staff, organisation = orgs.staff_organisation(session, telegram_id=telegram_id)
    except NotStaff:
        return None
    return organisation.name, organisation.blacklisted


async def who(services: Services, telegram_id: int) -> Who:
    """The roles of `telegram_id` now."""
    admin = telegram_id in services.settings.admin_ids
    found = await services.db.run(_staff_of, telegram_id=telegram_id)
    if found is None:
        return Who(admin)
    name, suspended = found
    return Who(admin, name, suspended)


# --- the command menu -----------------------------------------------------------------------


async def show_menu(bot: Bot, telegram_id: int, roles: Who) -> None:
    """Give the person's private chat the menu of their roles (a resident: the default one).

    A failure is logged, never raised: the menu is a convenience, the commands work anyway.
    """
    scope = BotCommandScopeChat(telegram_id)
    try:
        if roles.resident:
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(roles.commands(), scope=scope)
    except TelegramError as exc:
        log.info("could not set the command menu of a chat: %s", exc)


async def set_menus(bot: Bot, services: Services) -> None:
    """At start-up: the residents' menu for everyone, and each admin's own menu.

    An admin who never opened a chat with the bot cannot have one yet (Telegram: chat not
    found); they get it at their /start.
    """
    await bot.set_my_commands(RESIDENT_COMMANDS)
    for admin_id in sorted(services.settings.admin_ids):
        await show_menu(bot, admin_id, await who(services, admin_id))


# --- /start and /help -----------------------------------------------------------------------


def _name(call: Call) -> str:
    return texts.excerpt(call.user.first_name, 20)


def _greeting(call: Call, roles: Who) -> str:
    organisation = texts.excerpt(roles.organisation or "", 60)
    if roles.admin:
        text = t.ADMIN_WELCOME.format(name=_name(call))
        if roles.organisation:
            text += t.ADMIN_ALSO_STAFF.format(organisation=organisation)
    else:
        text = t.STAFF_WELCOME.format(name=_name(call), organisation=organisation)
    return text + (t.ORGANISATION_SUSPENDED if roles.suspended else "")


@one_at_a_time
@command()
async def start(call: Call) -> None:
    """Greet by role, set the role's menu, and drop any unfinished draft.

    Residents get the main keyboard; staff and admins their commands, without it.
    """
    services = call.services
    roles = await who(services, call.user.id)
    await show_menu(call.context.bot, call.user.id, roles)
    if roles.resident:
        discarded = await services.db.run(
            residents.start_over, telegram_id=call.user.id, display_name=call.user.full_name
        )
        welcome = texts.WELCOME.format(name=_name(call))
        await reply_html(
            call.message, welcome + (texts.START_DISCARDED if discarded else ""), main_keyboard()
        )
        return
    discarded = await services.db.run(drafts.delete_draft, telegram_id=call.user.id)
    greeting = _greeting(call, roles) + (t.STAFF_DRAFT_DISCARDED if discarded else "")
    await reply_html(call.message, greeting, ReplyKeyboardRemove())


def staff_help(services: Services, organisation: str) -> str:
    settings = services.settings
    return t.STAFF_HELP.format(
        organisation=texts.excerpt(organisation, 60),
        claim_days=settings.claim_limit_working_days,
        urgent_hours=settings.urgent_claim_limit_hours,
        resolve_days=settings.resolve_limit_working_days,
        stale_days=settings.stale_claim_working_days,
    )


def admin_help(services: Services) -> str:
    settings = services.settings
    return t.ADMIN_HELP.format(
        invite_days=membership.INVITE_DAYS,
        weekday=t.WEEKDAYS[settings.summary_weekday - 1],
        time=settings.summary_time,
    )


@command()
async def help_command(call: Call) -> None:
    """Explain the bot to the person's roles: an admin who is staff reads both helps."""
    roles = await who(call.services, call.user.id)
    if roles.resident:
        await reply_html(call.message, texts.HELP, main_keyboard())
        return
    parts = [admin_help(call.services)] if roles.admin else []
    if roles.organisation:
        parts.append(staff_help(call.services, roles.organisation))
    await reply_html(call.message, "\n\n".join(parts))


async def join(update: Update, context: Context) -> None:
    """/join (bot.handlers.staff.join), then the new staff member's menu."""
    await staff.join(update, context)
    user = update.effective_user
    if user is None:
        return
    roles = await who(context.bot_data.services, user.id)
    if roles.organisation:
        await show_menu(context.bot, user.id, roles)


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/start, /help (and the keyboard's 帮助, also typed) and /join, registered before the
    resident's and staff's handlers."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        keyboard_button(texts.BTN_HELP, help_command),
        CommandHandler("join", join),
    ]
