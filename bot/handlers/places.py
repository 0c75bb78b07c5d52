"""The admins' gazetteer in chat: /places shows it by 社区 with the unknown places residents
typed recently; each unknown place has buttons (z:...) to make it an alias of a 小区 or a new
小区, which also matches the requests that carried it.

Thin handlers over storage.gazetteer; the views are pure functions below. A button names the
newest request carrying the unknown place (64 bytes hold no place text): pressed after the
place was handled, it is answered politely.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.callbacks import GazetteerAction, GazetteerButton
from bot.handlers.admin_views import ADMIN
from bot.handlers.common import Call, Press, button, command, edit_html, inline, reply_html
from bot.handlers.draft_views import place_label
from bot.texts import places as p
from storage import gazetteer
from storage.errors import InvalidInput, NotFound
from storage.requests import places as place_rules

log = logging.getLogger(__name__)

View = tuple[str, InlineKeyboardMarkup | None]
COMPOUNDS_SHOWN = 8  # per 社区 in the overview; `linli places list` has them all
COMMUNITIES_SHOWN = 30  # 社区 lines in the overview at most ...
COMMUNITY_LINES_BUDGET = 2800  # ... and in this many characters (a message holds 4096)
COMMUNITY_BUTTONS = 40  # 社区 to choose from, the closest to the typed place first
COMPOUND_BUTTONS = 60  # 小区 of one 社区 to choose from (a keyboard holds 100 buttons)
SUGGESTIONS = 3


# --- views ------------------------------------------------------------------------------------


def overview_view(
    communities: list[gazetteer.CommunityView], unknown: list[gazetteer.UnknownPlace], days: int
) -> View:
    """The gazetteer by 社区, then the unknown places with a 处理 button each."""
    if not communities:
        return p.PLACES_EMPTY, None
    lines = [
        p.PLACES_HEAD.format(
            streets=len({c.street for c in communities}),
            communities=len(communities),
            compounds=sum(len(c.compounds) for c in communities),
        )
    ]
    shown_communities, used = 0, 0
    for view in communities[:COMMUNITIES_SHOWN]:
        names = [texts.excerpt(name, 20) for _id, name, _aliases in view.compounds]
        shown = "、".join(names[:COMPOUNDS_SHOWN])
        if len(names) > COMPOUNDS_SHOWN:
            shown += p.PLACES_MORE
        line = p.PLACES_COMMUNITY.format(
            community=texts.excerpt(view.community, 30),
            street=texts.excerpt(view.street, 30),
            count=len(names),
            compounds=shown,
        )
        if used + len(line) > COMMUNITY_LINES_BUDGET:
            break
        lines.append(line)
        shown_communities, used = shown_communities + 1, used + len(line) + 1
    if len(communities) > shown_communities:
        hidden = len(communities) - shown_communities
        lines.append(p.PLACES_MORE_COMMUNITIES.format(count=hidden))
    if not unknown:
        lines.append(p.PLACES_NO_UNKNOWN.format(days=days))
        return "\n".join(lines), None
    lines.append(p.PLACES_UNKNOWN_HEAD.format(days=days))
    rows = []
    for place in unknown:
        typed = texts.excerpt(place.text, 30)
        lines.append(
            p.PLACES_UNKNOWN_LINE.format(typed=typed, count=place.requests, number=place.latest)
        )
        label = p.BTN_HANDLE.format(typed=" ".join(place.text.split())[:20])
        rows.append([(label, GazetteerButton("handle", place.latest).to_data())])
    return "\n".join(lines), inline(rows)


def handle_view(
    request: int, typed: str, count: int, suggestions: list[gazetteer.Candidate]
) -> View:
    """The choices for one unknown place: the closest 小区 as aliases, another, or a new one."""
    rows = [
        [
            (
                p.BTN_ALIAS_OF.format(label=place_label(c.community, c.compound)),
                GazetteerButton("alias", request, c.place_id).to_data(),
            )
        ]
        for c in suggestions
        if c.place_id is not None
    ]
    rows.append([(p.BTN_OTHER_COMPOUND, GazetteerButton("other", request).to_data())])
    rows.append([(p.BTN_NEW_COMPOUND, GazetteerButton("new", request).to_data())])
    text = p.HANDLE.format(typed=texts.excerpt(typed, 40), number=request, count=count)
    return text, inline(rows)


def communities_view(
    request: int,
    typed: str,
    communities: list[gazetteer.CommunityView],
    *,
    new: bool,
    closest: Sequence[str] = (),
) -> View:
    """Pick a 社区 (two a row, those closest to the typed place first): for a new 小区 there
    (new), or to list its 小区 (for an alias)."""
    action: GazetteerAction = "newin" if new else "incomm"
    order = {name: i for i, name in enumerate(closest)}
    ranked = sorted(
        (view for view in communities if view.compounds),
        key=lambda view: (order.get(view.community, len(order)), view.community),
    )[:COMMUNITY_BUTTONS]
    buttons = [
        (
            p.BTN_COMMUNITY.format(community=view.community),
            GazetteerButton(action, request, view.compounds[0][0]).to_data(),
        )
        for view in ranked
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(p.BTN_BACK, GazetteerButton("handle", request).to_data())])
    template = p.PICK_COMMUNITY_FOR_NEW if new else p.PICK_COMMUNITY_FOR_ALIAS
    return template.format(typed=texts.excerpt(typed, 40)), inline(rows)


def compounds_view(request: int, typed: str, community: gazetteer.CommunityView) -> View:
    """Every 小区 of one 社区, two a row, as alias buttons."""
    buttons = [
        (name, GazetteerButton("alias", request, place_id).to_data())
        for place_id, name, _aliases in community.compounds[:COMPOUND_BUTTONS]
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(p.BTN_BACK, GazetteerButton("other", request).to_data())])
    text = p.PICK_COMPOUND.format(
        typed=texts.excerpt(typed, 40), community=texts.excerpt(community.community, 30)
    )
    return text, inline(rows)


# --- handlers ---------------------------------------------------------------------------------


def _days() -> int:
    return gazetteer.UNKNOWN_WINDOW // timedelta(days=1)


@command(role=ADMIN)
async def places(call: Call) -> None:
    """Show the gazetteer and the unknown places residents typed."""
    communities = await call.services.db.run(gazetteer.overview)
    unknown = await call.services.db.run(gazetteer.unknown_places)
    await reply_html(call.message, *overview_view(communities, unknown, _days()))


def _handle_data(session: Any, *, request_id: int) -> tuple[str, int, list[gazetteer.Candidate]]:
    typed = gazetteer.unknown_of(session, request_id=request_id)
    count = next((u.requests for u in gazetteer.unknown_places(session, text=typed)), 1)
    return typed, count, gazetteer.suggest_compounds(session, text=typed, limit=SUGGESTIONS)


@button(GazetteerButton, expired=p.ALREADY_HANDLED, role=ADMIN)
async def on_button(press: Press, data: GazetteerButton) -> None:
    """Handle one step of making an unknown place known."""
    query, db = press.query, press.services.db
    try:
        typed = await db.run(gazetteer.unknown_of, request_id=data.request)
        if data.action == "handle":
            typed, count, suggestions = await db.run(_handle_data, request_id=data.request)
            view = handle_view(data.request, typed, count, suggestions)
        elif data.action in ("other", "new"):
            communities = await db.run(gazetteer.overview)
            closest = await db.run(gazetteer.suggest_communities_for, text=typed)
            view = communities_view(
                data.request, typed, communities, new=data.action == "new", closest=closest
            )
        elif data.action == "incomm":
            assert data.place is not None
            like = await db.run(gazetteer.get_place, place_id=data.place)
            communities = await db.run(gazetteer.overview)
            community = next(c for c in communities if c.community == like.community)
            view = compounds_view(data.request, typed, community)
        else:
            assert data.place is not None
            view = await _edit(press, data, typed)
    except NotFound:
        await query.answer(p.ALREADY_HANDLED, show_alert=True)
        return
    except InvalidInput as exc:
        log.info("gazetteer edit refused: %s", exc)
        why = p.EDIT_REFUSED_REASONS.get(exc.field, p.EDIT_REFUSED_OTHER)
        reason = why.format(aliases=gazetteer.MAX_ALIASES, name=gazetteer.MAX_NAME)
        await query.answer(p.EDIT_REFUSED.format(reason=reason), show_alert=True)
        return
    await query.answer()
    await edit_html(query, *view)


async def _edit(press: Press, data: GazetteerButton, typed: str) -> View:
    """alias / newin: change the gazetteer and match the requests that carried the place."""
    assert data.place is not None
    db = press.services.db
    if data.action == "alias":
        edit = await db.run(place_rules.add_alias, request_id=data.request, place_id=data.place)
        template = p.ALIAS_ADDED
    else:
        edit = await db.run(
            place_rules.add_compound, request_id=data.request, like_place_id=data.place
        )
        template = p.COMPOUND_ADDED
    log.info(
        "admin %s: unknown place of #%s -> place %s", press.user.id, data.request, edit.place_id
    )
    text = template.format(
        typed=texts.excerpt(typed, 40),
        compound=texts.excerpt(edit.compound, 30),
        community=texts.excerpt(edit.community, 30),
        count=edit.requests_matched,
    )
    return text, None


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/places and its z:... buttons."""
    return [
        CommandHandler("places", places),
        CallbackQueryHandler(on_button, pattern=GazetteerButton.PATTERN),
    ]
