"""Service contracts in chat (admins): /contracts lists, shows and ends them; /newcontract is a
guided dialogue: organisation → purchaser → categories → communities → start → end → targets
→ budget → confirm.

The dialogue is kept in the admin's `Draft` row with steps prefixed "contract_" (as /neworg
keeps "org_"), so it survives restarts. Its typed answers are taken by `message_handlers()`,
registered in a group before the others: an update it takes goes no further
(ApplicationHandlerStop); any other text goes on to /neworg and the resident's handlers.
Button data: k:<draft version>:<action>[:<arg>] (bot.callbacks.NewContractButton) and
j:<action>:<number> (bot.callbacks.ContractButton). Diagram: contracts.mmd.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callbacks, texts
from bot.context import Context, Services
from bot.handlers.admin_views import ADMIN, is_admin, manual_scope_text
from bot.handlers.arguments import parse_day
from bot.handlers.common import (
    BadArguments,
    Call,
    Press,
    button,
    command,
    edit_html,
    inline,
    parse_number,
    reply_html,
)
from bot.handlers.staff_views import View, nav_row
from bot.refusals import Scene, refusal_text
from bot.texts import contracts as k
from bot.texts import staff as t
from nlp.normalize import normalise
from storage import contracts, gazetteer, organisations
from storage import drafts as store
from storage.contracts import ContractInfo, ContractStatus
from storage.errors import DomainError, InvalidInput, NotFound
from storage.models import Draft, utcnow

log = logging.getLogger(__name__)

STEP_ORG = "contract_org"
STEP_PURCHASER = "contract_purchaser"
STEP_CATEGORIES = "contract_categories"
STEP_COMMUNITIES = "contract_communities"
STEP_START = "contract_start"
STEP_END = "contract_end"
STEP_TARGETS = "contract_targets"
STEP_BUDGET = "contract_budget"
STEP_CONFIRM = "contract_confirm"
STEPS = (
    STEP_ORG,
    STEP_PURCHASER,
    STEP_CATEGORIES,
    STEP_COMMUNITIES,
    STEP_START,
    STEP_END,
    STEP_TARGETS,
    STEP_BUDGET,
    STEP_CONFIRM,
)
MAX_ORG_BUTTONS = 20
MAX_COMMUNITY_BUTTONS = 24
PAGE_SIZE = 5  # contracts on a page of /contracts: the message stays under 4096 characters
SHOW_COMMUNITIES = 60  # 社区 named in full views (`linli contract create` takes any number)
MAX_TYPED = 500  # longer answers are refused before any parsing
_SEPARATORS = re.compile(r"[,，、;；\n]+")
_BUDGET = re.compile(r"[¥￥]?(\d+(?:\.\d+)?)(万)?元?")
# One target: a name without digits, an optional = or :, a number (and %), then a separator.
_TARGET = re.compile(
    r"[\s,，、;；]*([^\d=＝:：,，、;；]+?)\s*[=＝:：]?\s*(\d+(?:\.\d+)?\s*[%％]?)[\s,，、;；]*"
)


# --- reading what admins type ---------------------------------------------------------------


def parse_budget(text: str) -> float | None:
    """300000, 300,000, 30万 or ¥30万元 in yuan; None when it is no amount."""
    compact = re.sub(r"[\s,，]", "", normalise(text))
    match = _BUDGET.fullmatch(compact)
    if match is None:
        return None
    amount = float(match[1]) * (10_000 if match[2] else 1)
    return amount if amount <= contracts.MAX_BUDGET else None


def target_code(name: str) -> str:
    """The code of a figure admins name in Chinese (响应率); other names as written."""
    name = " ".join(normalise(name).split())
    for code, words in k.TARGET_NAMES.items():
        if name in (code, words):
            return code
    return name


def parse_targets(text: str) -> dict[str, float]:
    """'响应率 90%，满意率=85%' (or one a line, or only spaces between) ->
    {'response_rate': 0.9, 'satisfaction_rate': 0.85}.

    InvalidInput("target", item) names the first item that cannot be read (or whose name is
    too long); InvalidInput("targets") says there are more than contracts.MAX_TARGETS. Each
    item is checked by storage's own rule (contracts.parse_target), as the contract will be.
    """
    text = normalise(text).strip()
    found: dict[str, float] = {}
    at = 0
    while at < len(text):
        match = _TARGET.match(text, at)
        if match is None:
            raise InvalidInput("target", text[at:].strip(" ,，、;；")[:20])
        try:
            code, value = contracts.parse_target(f"{target_code(match[1])}={match[2]}")
        except InvalidInput:
            raise InvalidInput("target", match[0].strip(" ,，、;；")) from None
        found[code] = value
        at = match.end()
    if not found:
        raise InvalidInput("target", text)
    if len(found) > contracts.MAX_TARGETS:
        raise InvalidInput("targets", f"more than {contracts.MAX_TARGETS}")
    return found


# --- words ----------------------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{round(value * 100, 1):g}%"


def targets_text(targets: Mapping[str, float]) -> str:
    """响应率 90%、满意率 85%、服务人次 500 (known rates as percentages)."""
    parts = []
    for name, value in targets.items():
        if name in k.TARGET_NAMES:
            parts.append(f"{k.TARGET_NAMES[name]} {_percent(value)}")
        else:
            parts.append(f"{texts.excerpt(name, 30)} {value:g}")
    return k.SEP.join(parts) or k.NONE


def budget_text(budget: float | None) -> str:
    if budget is None:
        return k.NONE
    amount = f"{budget:,.0f}" if budget == int(budget) else f"{budget:,.2f}"
    return k.BUDGET.format(amount=amount)


def _categories(services: Services, codes: list[str]) -> str:
    return manual_scope_text(services, codes, categories=True)


def _communities(services: Services, names: list[str], shown: int | None = None) -> str:
    return manual_scope_text(services, names, categories=False, shown=shown)


def _row(info: ContractInfo, services: Services) -> str:
    return k.ROW.format(
        id=info.id,
        organisation=texts.excerpt(info.organisation, 60),
        status=k.STATUS[info.status],
        purchaser=texts.excerpt(info.purchaser, 60),
        start=info.start_date.isoformat(),
        end=info.end_date.isoformat(),
        categories=_categories(services, info.categories),
        communities=_communities(services, info.communities, shown=8),
        targets=targets_text(info.targets),
    )


def _over(info: ContractInfo) -> bool:
    return info.status in (ContractStatus.EXPIRED, ContractStatus.ENDED)


def list_view(infos: list[ContractInfo], services: Services, page: int) -> View:
    """A page of /contracts, active first, with 查看/终止 buttons per contract."""
    if not infos:
        return k.LIST_EMPTY, None
    pages = max(1, -(-len(infos) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = infos[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    header = k.LIST_HEADER.format(count=len(infos), page=page + 1, pages=pages)
    rows: list[list[tuple[str, str]]] = []
    for info in shown:
        row = [(k.BTN_SHOW.format(id=info.id), callbacks.ContractButton("show", info.id).to_data())]
        if not _over(info):
            row.append(
                (k.BTN_END.format(id=info.id), callbacks.ContractButton("end", info.id).to_data())
            )
        rows.append(row)
    nav = nav_row(page, pages, lambda n: callbacks.ContractButton("page", n).to_data())
    if nav:
        rows.append(nav)
    text = "\n\n".join([header, *(_row(info, services) for info in shown)])
    return text, inline(rows)


def show_view(info: ContractInfo, services: Services) -> View:
    """One contract in full, with 提前终止 while it is not over, and 返回列表."""
    tz = services.settings.tz
    ended = ""
    if info.ended_at is not None:
        reason = info.ended_reason or ""
        ended = k.SHOW_ENDED.format(
            at=info.ended_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            reason=k.SHOW_ENDED_REASON.format(reason=texts.excerpt(reason, 200)) if reason else "",
        )
    text = k.SHOW.format(
        id=info.id,
        title=k.SHOW_TITLE.format(title=texts.excerpt(info.title, 100)) if info.title else "",
        status=k.STATUS[info.status],
        organisation=texts.excerpt(info.organisation, 100),
        blacklisted=k.SHOW_BLACKLISTED if info.organisation_blacklisted else "",
        purchaser=texts.excerpt(info.purchaser, 100),
        start=info.start_date.isoformat(),
        end=info.end_date.isoformat(),
        categories=_categories(services, info.categories),
        communities=_communities(services, info.communities, shown=SHOW_COMMUNITIES),
        targets=targets_text(info.targets),
        budget=budget_text(info.budget_yuan),
        created=info.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        ended=ended,
    )
    rows = []
    if not _over(info):
        rows.append([(k.BTN_END_ONE, callbacks.ContractButton("end", info.id).to_data())])
    rows.append([(k.BTN_BACK, callbacks.ContractButton("page", 0).to_data())])
    return text, inline(rows)


# --- /contracts -----------------------------------------------------------------------------


def _contracts_argument(call: Call) -> int | None:
    """/contracts [N]: a contract's number, or None for the list."""
    if not call.args:
        return None
    number = parse_number(call.args[0])
    if number is None:
        raise BadArguments(k.USAGE)
    return number


async def _infos(services: Services) -> list[ContractInfo]:
    return await services.db.run(contracts.list_contracts, tz=services.settings.tz)


@command(_contracts_argument, role=ADMIN)
async def list_contracts(call: Call, number: int | None) -> None:
    """/contracts: every contract, active first, paged; /contracts N: one contract."""
    services = call.services
    if number is None:
        await reply_html(call.message, *list_view(await _infos(services), services, 0))
        return
    try:
        info = await services.db.run(contracts.contract_info, number, tz=services.settings.tz)
    except DomainError as exc:
        await reply_html(call.message, refusal_text(exc, scene=Scene.CONTRACT))
        return
    await reply_html(call.message, *show_view(info, services))


@button(callbacks.ContractButton, expired=t.BUTTON_EXPIRED, role=ADMIN)
async def on_contract_button(press: Press, data: callbacks.ContractButton) -> None:
    """j:show|end|yes|no:<number> and j:page:<page> of /contracts."""
    services = press.services
    if data.action == "page":
        await press.query.answer()
        await edit_html(press.query, *list_view(await _infos(services), services, data.number))
        return
    try:
        if data.action == "yes":
            await services.db.run(
                contracts.end_contract,
                actor_id=press.user.id,
                admin_ids=services.settings.admin_ids,
                contract_id=data.number,
                reason="",
                tz=services.settings.tz,
            )
        info = await services.db.run(contracts.contract_info, data.number, tz=services.settings.tz)
    except DomainError as exc:
        await press.query.answer(refusal_text(exc, scene=Scene.CONTRACT), show_alert=True)
        return
    await press.query.answer()
    name = texts.excerpt(info.organisation, 60)
    if data.action == "end":
        if _over(info):
            await edit_html(press.query, *show_view(info, services))
            return
        rows = [
            [
                (k.BTN_END_YES, callbacks.ContractButton("yes", info.id).to_data()),
                (k.BTN_END_NO, callbacks.ContractButton("no", info.id).to_data()),
            ]
        ]
        text = k.END_CONFIRM.format(id=info.id, organisation=name)
        await edit_html(press.query, text, inline(rows))
        return
    view = show_view(info, services)
    if data.action == "yes":
        log.info("contract %s ended through /contracts", info.id)
        view = (k.ENDED.format(id=info.id, organisation=name) + "\n\n" + view[0], view[1])
    elif data.action == "no":
        view = (k.END_KEPT.format(id=info.id) + "\n\n" + view[0], view[1])
    await edit_html(press.query, *view)


# --- /newcontract: views --------------------------------------------------------------------


def _data(draft: Draft, action: callbacks.NewContractAction, arg: str = "") -> str:
    return callbacks.NewContractButton(draft.version, action, arg).to_data()


def _cancel_row(draft: Draft) -> list[tuple[str, str]]:
    return [(t.BTN_CANCEL, _data(draft, "cancel"))]


def _org_view(draft: Draft, choices: list[tuple[int, str]], more: bool) -> View:
    buttons = [
        (f"{number}. {texts.excerpt(name, 30)}", _data(draft, "org", str(number)))
        for number, name in choices
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(_cancel_row(draft))
    more_text = k.ASK_ORG_MORE.format(shown=MAX_ORG_BUTTONS) if more else ""
    return k.ASK_ORG + more_text, inline(rows)


def _typed_view(draft: Draft, question: str, *extra: tuple[str, str]) -> View:
    """A question answered by typing, with its buttons (跳过, 常用目标) and 取消."""
    rows = [list(extra)] if extra else []
    rows.append(_cancel_row(draft))
    return question, inline(rows)


def _categories_view(services: Services, draft: Draft) -> View:
    chosen: list[str] = draft.data.get("categories") or []
    buttons = [
        (("✅ " if c.code in chosen else "") + c.name, _data(draft, "cat", c.code))
        for c in services.categories
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(t.BTN_DONE, _data(draft, "catsdone")), *_cancel_row(draft)])
    text = k.ASK_CATEGORIES.format(chosen=_categories(services, chosen))
    return text, inline(rows)


def _communities_view(services: Services, draft: Draft) -> View:
    offered: list[str] = draft.data.get("offered") or []
    if not offered:
        return _typed_view(draft, k.ASK_COMMUNITIES_TYPED)
    chosen: list[str] = draft.data.get("communities") or []
    buttons = [
        (("✅ " if name in chosen else "") + texts.excerpt(name, 20), _data(draft, "comm", str(i)))
        for i, name in enumerate(offered[:MAX_COMMUNITY_BUTTONS])
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([(t.BTN_DONE, _data(draft, "commdone")), *_cancel_row(draft)])
    text = k.ASK_COMMUNITIES_BUTTONS.format(chosen=_communities(services, chosen))
    if len(offered) > MAX_COMMUNITY_BUTTONS:
        text += k.COMMUNITIES_MORE.format(shown=MAX_COMMUNITY_BUTTONS)
    return text, inline(rows)


def _targets_view(draft: Draft) -> View:
    question = k.ASK_TARGETS.format(
        names=k.SEP.join(k.TARGET_NAMES.values()), defaults=targets_text(k.DEFAULT_TARGETS)
    )
    return _typed_view(
        draft,
        question,
        (k.BTN_DEFAULT_TARGETS, _data(draft, "targets")),
        (t.BTN_SKIP, _data(draft, "skip")),
    )


def _budget_view(draft: Draft) -> View:
    return _typed_view(draft, k.ASK_BUDGET, (t.BTN_SKIP, _data(draft, "skip")))


def _confirm_view(services: Services, draft: Draft, *, clears: bool) -> View:
    data = draft.data
    name = texts.excerpt(data["organisation_name"], 100)
    text = k.CONFIRM.format(
        organisation=name,
        purchaser=texts.excerpt(data["purchaser"], 100),
        start=data["start"],
        end=data["end"],
        categories=_categories(services, data.get("categories") or []),
        communities=_communities(services, data.get("communities") or []),
        targets=targets_text(data.get("targets") or {}),
        budget=budget_text(data.get("budget")),
        scope_note=k.CONFIRM_CLEARS_SCOPE.format(organisation=name) if clears else "",
    )
    rows = [[(k.BTN_CREATE, _data(draft, "create")), *_cancel_row(draft)]]
    return text, inline(rows)


async def _advance(services: Services, draft: Draft, step: str, **data: Any) -> Draft:
    """Save the draft at `step`, with `data` added to what it holds."""
    return await services.db.run(
        store.save_draft, telegram_id=draft.telegram_id, step=step, data={**draft.data, **data}
    )


async def _org_choices(services: Services) -> list[tuple[int, str]]:
    """Organisations that may be given a contract (not blacklisted), by number."""
    infos = await services.db.run(organisations.list_organisations)
    return [(info.id, info.name) for info in infos if not info.blacklisted]


async def _to_communities(services: Services, draft: Draft) -> Draft:
    offered = await services.db.run(contracts.community_names)
    return await _advance(services, draft, STEP_COMMUNITIES, offered=offered, communities=[])


async def _to_confirm(services: Services, draft: Draft, **data: Any) -> View:
    draft = await _advance(services, draft, STEP_CONFIRM, **data)
    clears = await services.db.run(
        contracts.clears_scope_of, organisation_id=int(draft.data["organisation"])
    )
    return _confirm_view(services, draft, clears=clears)


# --- /newcontract: typed answers --------------------------------------------------------------


@command(role=ADMIN)
async def new_contract(call: Call) -> None:
    """/newcontract: start the dialogue by asking for the organisation."""
    services = call.services
    choices = await _org_choices(services)
    if not choices:
        await reply_html(call.message, k.NO_ORGS)
        return
    draft = await services.db.run(
        store.save_draft, telegram_id=call.user.id, step=STEP_ORG, data={}
    )
    more = len(choices) > MAX_ORG_BUTTONS
    await reply_html(call.message, *_org_view(draft, choices[:MAX_ORG_BUTTONS], more))


async def on_text(update: Update, context: Context) -> None:
    """Take an admin's typed answer to the current /newcontract step; other text goes on."""
    call = Call.of(update, context)
    if call is None or call.message.text is None or not is_admin(call.services, call.user.id):
        return
    services = call.services
    draft = await services.db.run(store.load_draft, telegram_id=call.user.id)
    if draft is None or draft.step not in STEPS:
        return
    step = _TEXT_STEPS.get(draft.step)
    text = " ".join(call.message.text.split())
    if step is None:
        await reply_html(call.message, k.PRESS_BUTTON)
    elif len(text) > MAX_TYPED:
        await reply_html(call.message, t.TEXT_TOO_LONG.format(limit=MAX_TYPED))
    else:
        await reply_html(call.message, *await step(services, draft, text))
    raise ApplicationHandlerStop


async def _org_step(services: Services, draft: Draft, text: str) -> View:
    try:
        organisation = await services.db.run(organisations.find_organisation, ref=text)
    except DomainError:
        return k.ORG_UNKNOWN.format(name=texts.excerpt(text, 40)), None
    if organisation.blacklisted:
        return k.ORG_BLACKLISTED.format(organisation=texts.excerpt(organisation.name, 60)), None
    return await _org_chosen(services, draft, organisation.id or 0, organisation.name)


async def _org_chosen(services: Services, draft: Draft, number: int, name: str) -> View:
    draft = await _advance(
        services, draft, STEP_PURCHASER, organisation=number, organisation_name=name
    )
    chosen = k.ORG_CHOSEN.format(organisation=texts.excerpt(name, 100))
    return _typed_view(draft, f"{chosen}\n\n{k.ASK_PURCHASER}")


async def _purchaser_step(services: Services, draft: Draft, text: str) -> View:
    if not text or len(text) > contracts.MAX_PURCHASER:
        return k.PURCHASER_BAD.format(limit=contracts.MAX_PURCHASER), None
    draft = await _advance(services, draft, STEP_CATEGORIES, purchaser=text, categories=[])
    return _categories_view(services, draft)


async def _communities_step(services: Services, draft: Draft, text: str) -> View:
    names = [" ".join(normalise(n).split()) for n in _SEPARATORS.split(text.replace(" ", "、"))]
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        return _communities_view(services, draft)
    if any(len(n) > contracts.MAX_COMMUNITY for n in names):
        return k.COMMUNITIES_BAD.format(limit=contracts.MAX_COMMUNITY), None
    known: list[str] = await services.db.run(contracts.community_names)
    unknown = [n for n in names if known and n not in known]
    if unknown:
        return await _unknown_communities(services, unknown), None
    return await _communities_chosen(services, draft, names)


async def _unknown_communities(services: Services, unknown: list[str]) -> str:
    """Which names the gazetteer does not know, and what they may mean."""
    hints: list[str] = []
    for name in unknown[:5]:
        for suggestion in await services.db.run(gazetteer.suggest_community, name):
            if suggestion not in hints:
                hints.append(suggestion)
    hint = k.COMMUNITIES_HINT.format(names=_communities(services, hints[:5])) if hints else ""
    names = k.SEP.join(texts.excerpt(n, 30) for n in unknown[:10])
    return k.COMMUNITIES_UNKNOWN.format(names=names, hint=hint)


async def _communities_chosen(services: Services, draft: Draft, names: list[str]) -> View:
    draft = await _advance(services, draft, STEP_START, communities=names)
    chosen = k.COMMUNITIES_CHOSEN.format(chosen=_communities(services, names))
    return _typed_view(draft, f"{chosen}\n\n{k.ASK_START}")


async def _start_step(services: Services, draft: Draft, text: str) -> View:
    day = parse_day(text)
    if day is None:
        return k.DATE_BAD, None
    draft = await _advance(services, draft, STEP_END, start=day.isoformat())
    chosen = k.DATE_CHOSEN.format(label=k.START_LABEL, date=day.isoformat())
    return _typed_view(draft, f"{chosen}\n\n{k.ASK_END}")


async def _end_step(services: Services, draft: Draft, text: str) -> View:
    day = parse_day(text)
    if day is None:
        return k.DATE_BAD, None
    start = str(draft.data.get("start"))
    if day.isoformat() < start:
        return k.END_BEFORE_START.format(start=start), None
    draft = await _advance(services, draft, STEP_TARGETS, end=day.isoformat())
    text, markup = _targets_view(draft)
    chosen = k.DATE_CHOSEN.format(label=k.END_LABEL, date=day.isoformat())
    return f"{chosen}\n\n{text}", markup


async def _targets_step(services: Services, draft: Draft, text: str) -> View:
    try:
        targets = parse_targets(text)
    except InvalidInput as exc:
        if exc.field == "targets":
            return k.TARGETS_TOO_MANY.format(limit=contracts.MAX_TARGETS), None
        return k.TARGETS_BAD.format(item=texts.excerpt(str(exc), 40)), None
    return await _targets_chosen(services, draft, targets)


async def _targets_chosen(services: Services, draft: Draft, targets: dict[str, float]) -> View:
    draft = await _advance(services, draft, STEP_BUDGET, targets=targets)
    text, markup = _budget_view(draft)
    return f"{k.TARGETS_CHOSEN.format(targets=targets_text(targets))}\n\n{text}", markup


async def _budget_step(services: Services, draft: Draft, text: str) -> View:
    budget = parse_budget(text)
    if budget is None:
        return k.BUDGET_BAD, None
    return await _to_confirm(services, draft, budget=budget)


_TEXT_STEPS: dict[str, Callable[[Services, Draft, str], Awaitable[View]]] = {
    STEP_ORG: _org_step,
    STEP_PURCHASER: _purchaser_step,
    STEP_COMMUNITIES: _communities_step,
    STEP_START: _start_step,
    STEP_END: _end_step,
    STEP_TARGETS: _targets_step,
    STEP_BUDGET: _budget_step,
}


# --- /newcontract: buttons ------------------------------------------------------------------


@button(callbacks.NewContractButton, expired=t.BUTTON_EXPIRED, role=ADMIN)
async def on_button(press: Press, data: callbacks.NewContractButton) -> None:
    """Every /newcontract button: k:<version>:<action>[:<arg>]."""
    draft = await press.services.db.run(store.load_draft, telegram_id=press.user.id)
    if draft is None or draft.step not in STEPS or draft.version != data.version:
        await press.query.answer(t.BUTTON_EXPIRED)
        return
    step = _cancel if data.action == "cancel" else _BUTTON_STEPS.get((draft.step, data.action))
    if step is None:
        await press.query.answer(t.BUTTON_EXPIRED)
        return
    await step(press, draft, data.arg)


async def _send(press: Press, view: View) -> None:
    if press.message is not None:
        await reply_html(press.message, *view)


async def _cancel(press: Press, draft: Draft, arg: str) -> None:
    await press.services.db.run(store.delete_draft, telegram_id=press.user.id)
    await press.query.answer()
    await edit_html(press.query, k.CANCELLED)


async def _pick_org(press: Press, draft: Draft, arg: str) -> None:
    choices = dict(await _org_choices(press.services))
    number = int(arg)
    if number not in choices:  # blacklisted or gone since the buttons were drawn
        await press.query.answer(t.BUTTON_EXPIRED, show_alert=True)
        return
    await press.query.answer()
    text, markup = await _org_chosen(press.services, draft, number, choices[number])
    await edit_html(press.query, k.ORG_CHOSEN.format(organisation=texts.excerpt(choices[number])))
    await _send(press, (text.split("\n\n", 1)[1], markup))


async def _toggle_category(press: Press, draft: Draft, arg: str) -> None:
    services = press.services
    if not services.is_category(arg):
        await press.query.answer(t.BUTTON_EXPIRED)
        return
    chosen: list[str] = list(draft.data.get("categories") or [])
    chosen = [c for c in chosen if c != arg] if arg in chosen else [*chosen, arg]
    await press.query.answer()
    draft = await _advance(services, draft, STEP_CATEGORIES, categories=chosen)
    await edit_html(press.query, *_categories_view(services, draft))


async def _categories_done(press: Press, draft: Draft, arg: str) -> None:
    services = press.services
    chosen: list[str] = list(draft.data.get("categories") or [])
    if not chosen:
        await press.query.answer(k.NOTHING_CHOSEN, show_alert=True)
        return
    await press.query.answer()
    draft = await _to_communities(services, draft)
    await edit_html(press.query, k.CATEGORIES_CHOSEN.format(chosen=_categories(services, chosen)))
    await _send(press, _communities_view(services, draft))


async def _toggle_community(press: Press, draft: Draft, arg: str) -> None:
    offered: list[str] = draft.data.get("offered") or []
    index = int(arg)
    if index >= min(len(offered), MAX_COMMUNITY_BUTTONS):
        await press.query.answer(t.BUTTON_EXPIRED)
        return
    name = offered[index]
    chosen: list[str] = list(draft.data.get("communities") or [])
    chosen = [c for c in chosen if c != name] if name in chosen else [*chosen, name]
    await press.query.answer()
    draft = await _advance(press.services, draft, STEP_COMMUNITIES, communities=chosen)
    await edit_html(press.query, *_communities_view(press.services, draft))


async def _communities_done(press: Press, draft: Draft, arg: str) -> None:
    chosen: list[str] = list(draft.data.get("communities") or [])
    if not chosen:
        await press.query.answer(k.NOTHING_CHOSEN, show_alert=True)
        return
    await press.query.answer()
    text, markup = await _communities_chosen(press.services, draft, chosen)
    first, question = text.split("\n\n", 1)
    await edit_html(press.query, first)
    await _send(press, (question, markup))


async def _default_targets(press: Press, draft: Draft, arg: str) -> None:
    await _answered(press, await _targets_chosen(press.services, draft, dict(k.DEFAULT_TARGETS)))


async def _skip_targets(press: Press, draft: Draft, arg: str) -> None:
    await _answered(press, await _targets_chosen(press.services, draft, {}))


async def _skip_budget(press: Press, draft: Draft, arg: str) -> None:
    view = await _to_confirm(press.services, draft, budget=None)
    await press.query.answer()
    await edit_html(press.query, k.ASK_BUDGET)
    await _send(press, view)


async def _answered(press: Press, view: View) -> None:
    """Close the question pressed (its buttons gone) and ask the next one below."""
    await press.query.answer()
    first, question = view[0].split("\n\n", 1)
    await edit_html(press.query, first)
    await _send(press, (question, view[1]))


async def _create(press: Press, draft: Draft, arg: str) -> None:
    services, query = press.services, press.query
    try:
        contract = await services.db.run(
            contracts.create_from_draft,
            telegram_id=press.user.id,
            admin_ids=services.settings.admin_ids,
            version=draft.version,
            step=STEP_CONFIRM,
        )
    except DomainError as exc:
        # Refused (blacklisted meanwhile, a 社区 the gazetteer lost ...): the draft stays, so
        # the admin can read why and cancel; a vanished draft is an old button.
        text = refusal_text(exc, scene=Scene.CONTRACT)
        await query.answer(text, show_alert=not isinstance(exc, NotFound))
        return
    await query.answer()
    log.info("contract %s created through /newcontract", contract.id)
    # The confirmation as it was answered, without its buttons.
    await edit_html(query, _confirm_view(services, draft, clears=False)[0])
    status = contracts.contract_status(contract, at=utcnow(), tz=services.settings.tz)
    when = (
        k.CREATED_PENDING.format(start=contract.start_date.isoformat())
        if status == ContractStatus.PENDING
        else k.CREATED_ACTIVE
    )
    name = texts.excerpt(draft.data["organisation_name"], 100)
    await _send(press, (k.CREATED.format(id=contract.id, organisation=name, when=when), None))


_BUTTON_STEPS: dict[tuple[str, str], Callable[[Press, Draft, str], Awaitable[None]]] = {
    (STEP_ORG, "org"): _pick_org,
    (STEP_CATEGORIES, "cat"): _toggle_category,
    (STEP_CATEGORIES, "catsdone"): _categories_done,
    (STEP_COMMUNITIES, "comm"): _toggle_community,
    (STEP_COMMUNITIES, "commdone"): _communities_done,
    (STEP_TARGETS, "targets"): _default_targets,
    (STEP_TARGETS, "skip"): _skip_targets,
    (STEP_BUDGET, "skip"): _skip_budget,
    (STEP_CONFIRM, "create"): _create,
}


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/contracts, /newcontract and their buttons."""
    return [
        CommandHandler("contracts", list_contracts),
        CommandHandler("newcontract", new_contract),
        CallbackQueryHandler(on_contract_button, pattern=callbacks.ContractButton.PATTERN),
        CallbackQueryHandler(on_button, pattern=callbacks.NewContractButton.PATTERN),
    ]


def message_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The /newcontract typed answers; register in a group before the others (it stops the
    updates it takes and lets every other one through)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text)]
