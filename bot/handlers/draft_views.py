"""How each step of the resident's draft looks: its text and its buttons (d:<version>:...).

Every view is a (text, keyboard) pair rendered from the draft alone (and the services'
categories), sent as a new message (`send`) or put in place of the pressed one (`edit`).
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message

from bot import texts
from bot.callbacks import DraftAction, DraftButton, PlacePick
from bot.context import Services
from bot.handlers.common import edit_html, inline, reply_html
from bot.texts import places as place_texts
from bot.texts import summary as dup_texts
from storage.drafts import need_of
from storage.models import Draft
from storage.requests import duplicates

View = tuple[str, InlineKeyboardMarkup | None]


def _data(draft: Draft, action: DraftAction, arg: str = "") -> str:
    return DraftButton(draft.version, action, arg).to_data()


async def send(message: Message, view: View) -> None:
    """The view as a new message below `message`."""
    await reply_html(message, *view)


async def edit(query: CallbackQuery, view: View) -> None:
    """The view in place of the message whose button was pressed."""
    await edit_html(query, *view)


def guess_view(services: Services, draft: Draft) -> View:
    """The classifier's guess to confirm, or (unsure) its top 3 and the full list."""
    need = need_of(draft)
    excerpt = texts.excerpt(need.text)
    if need.confident:
        name = services.category_name(need.predicted)
        confirm = texts.BTN_CONFIRM_GUESS.format(category=name)
        return texts.GUESS_CONFIDENT.format(category=name, excerpt=excerpt), inline(
            [
                [(confirm, _data(draft, "cat", need.predicted))],
                [(texts.BTN_OTHER_CATEGORY, _data(draft, "cats"))],
            ]
        )
    rows = [
        [(f"{i}. {services.category_name(label)}", _data(draft, "cat", label))]
        for i, (label, _p) in enumerate(need.top, start=1)
        if services.is_category(label)
    ]
    rows.append([(texts.BTN_MORE_CATEGORIES, _data(draft, "cats"))])
    return texts.GUESS_UNSURE.format(excerpt=excerpt), inline(rows)


def category_list_view(services: Services, draft: Draft) -> View:
    """Every category, two a row, and 返回."""
    buttons = [(c.name, _data(draft, "cat", c.code)) for c in services.categories]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(texts.BTN_BACK, _data(draft, "back"))])
    return texts.PICK_CATEGORY.format(excerpt=texts.excerpt(need_of(draft).text)), inline(rows)


def community_view(draft: Draft, last_place: str | None, text: str = texts.ASK_COMMUNITY) -> View:
    """Ask where; offer the place of the resident's previous request (用上次的)."""
    if not last_place:
        return text, None
    label = texts.BTN_USE_LAST.format(place=last_place[:30])
    return text, inline([[(label, _data(draft, "last"))]])


def place_label(community: str, compound: str | None) -> str:
    """'芳邻苑（玉林北路社区）', or the 社区 alone."""
    return (
        place_texts.PLACE_LABEL.format(compound=compound, community=community)
        if compound
        else community
    )


def place_choice_view(draft: Draft) -> View:
    """The gazetteer is unsure: the best 2-3 places as buttons, and 都不是（按我写的）."""
    need = need_of(draft)
    rows = [
        [
            (
                place_texts.BTN_PLACE.format(number=i, label=place_label(community, compound)),
                PlacePick(draft.version, i).to_data(),
            )
        ]
        for i, (community, compound, _place_id) in enumerate(need.place_choices, start=1)
    ]
    rows.append([(place_texts.BTN_PLACE_AS_TYPED, PlacePick(draft.version, 0).to_data())])
    typed = " ".join(p for p in (need.place_typed, need.building) if p)
    return place_texts.PLACE_UNSURE.format(typed=texts.excerpt(typed)), inline(rows)


def extras_view(draft: Draft, note: str = texts.ASK_EXTRAS) -> View:
    """Offer a photo, location or contact: 跳过 until one is added, then 下一步."""
    label = texts.BTN_NEXT if need_of(draft).has_extras else texts.BTN_SKIP
    return note, inline([[(label, _data(draft, "next"))]])


def confirm_text(services: Services, draft: Draft) -> str:
    """Everything the resident gave, to check before 提交."""
    need = need_of(draft)
    return texts.CONFIRM.format(
        category=services.category_name(need.category or ""),
        text=texts.excerpt(need.text, 300),
        place=texts.excerpt(need.place) or texts.NONE,
        photo=texts.YES if need.photo else texts.NO,
        location=texts.YES if need.latitude is not None else texts.NO,
        contact=texts.excerpt(need.contact) if need.contact else texts.NONE,
    )


def confirm_view(services: Services, draft: Draft) -> View:
    """The request to check, with 提交, 改类别 and 取消."""
    rows = [
        [(texts.BTN_SUBMIT, _data(draft, "submit"))],
        [
            (texts.BTN_CHANGE_CATEGORY, _data(draft, "cats")),
            (texts.BTN_CANCEL, _data(draft, "cancel")),
        ],
    ]
    return confirm_text(services, draft), inline(rows)


def submitted_view(services: Services, draft: Draft) -> View:
    """The confirmed request kept on screen without its buttons (nor its closing question)."""
    return confirm_text(services, draft).rsplit("\n\n", 1)[0], None


def duplicate_view(services: Services, draft: Draft, match: duplicates.DuplicateMatch) -> View:
    """Offer 我也遇到了 instead of filing the same need again (their own: file anyway?)."""
    status = texts.status_name(match.status)
    if match.own:
        text = dup_texts.DUPLICATE_OWN.format(
            date=match.created_at.astimezone(services.settings.tz).strftime("%m月%d日"),
            number=match.request_id,
            excerpt=texts.excerpt(match.text),
            status=status,
        )
        return text, inline(
            [
                [(dup_texts.BTN_FILE_ANYWAY, _data(draft, "anyway"))],
                [(texts.BTN_CANCEL, _data(draft, "cancel"))],
            ]
        )
    place = " ".join(p for p in (match.community, match.building) if p)
    text = dup_texts.DUPLICATE_FOUND.format(
        number=match.request_id,
        excerpt=texts.excerpt(match.text),
        place=texts.excerpt(place) or texts.NONE,
        status=status,
        supporters=match.supporters,
    )
    return text, inline(
        [
            [(dup_texts.BTN_ME_TOO, _data(draft, "metoo"))],
            [(dup_texts.BTN_FILE_ANYWAY, _data(draft, "anyway"))],
        ]
    )
