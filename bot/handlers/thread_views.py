"""The resident's views of a request's thread: /my N, and the buttons that ask which request
or whether a message is a new need. Pure functions of the domain's data, so they are tested
without Telegram."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from telegram import InlineKeyboardMarkup

from bot import texts
from bot.callbacks import Thread, ThreadAction
from bot.context import Services
from bot.handlers.common import inline
from bot.handlers.draft_views import View
from bot.texts import conversation as c
from bot.texts.dates import deadline_words
from storage.deadlines import DeadlineKind
from storage.models import EventKind
from storage.requests.thread import RequestThread, ThreadEntry

# /my N shows the newest steps of a long thread (a message stays far under 4,096 characters).
MAX_ENTRIES = 15
ENTRY_NOTE_LENGTH = 120
TEXT_LENGTH = 300


def _moment(value: datetime, tz: tzinfo) -> str:
    local = value.astimezone(tz)
    return c.MOMENT.format(month=local.month, day=local.day, hour=local.hour, minute=local.minute)


def _note(entry: ThreadEntry) -> str:
    return texts.excerpt(entry.note or "", ENTRY_NOTE_LENGTH)


def entry_words(entry: ThreadEntry) -> str | None:
    """One step of the thread in words (None: a step the resident need not read)."""
    organisation = texts.excerpt(entry.organisation or "", 40)
    kind = entry.kind
    if kind == EventKind.RESIDENT_NOTE:
        return (
            c.ENTRY_RESIDENT_NOTE.format(note=_note(entry))
            if entry.note
            else (c.ENTRY_RESIDENT_FILE)
        )
    if kind == EventKind.STATUS:
        if entry.to_status == "cancelled":
            return c.ENTRY_CANCELLED
        return c.ENTRY_STATUS.format(status=texts.status_name(entry.to_status or ""))
    simple = {
        EventKind.SUBMITTED: c.ENTRY_SUBMITTED,
        EventKind.PUSHED: c.ENTRY_PUSHED,
        EventKind.WITHDRAWN: c.ENTRY_WITHDRAWN,
        EventKind.REOPENED: c.ENTRY_REOPENED,
        EventKind.RELEASED: c.ENTRY_REQUEUED,
        EventKind.STALE_RELEASED: c.ENTRY_REQUEUED,
        EventKind.BLACKLIST_RELEASED: c.ENTRY_REQUEUED,
        EventKind.FEEDBACK: c.ENTRY_FEEDBACK,
        EventKind.MERGED: c.ENTRY_MERGED,
        EventKind.FEEDBACK_EXPIRED: c.ENTRY_FEEDBACK_EXPIRED,
    }
    if kind in simple:
        return simple[kind]
    templates = {
        EventKind.CLAIMED: c.ENTRY_CLAIMED,
        EventKind.ASSIGNED: c.ENTRY_ASSIGNED,
        EventKind.NOTE: c.ENTRY_NOTE,
        EventKind.ASKED: c.ENTRY_ASKED,
        EventKind.ANSWERED: c.ENTRY_ANSWERED,
        EventKind.RESOLVED: c.ENTRY_RESOLVED,
        EventKind.RATED: c.ENTRY_RATED,
    }
    template = templates.get(kind)
    if template is None:
        return None
    return template.format(organisation=organisation, note=_note(entry) or "—")


def thread_view(services: Services, thread: RequestThread) -> View:
    """/my N: the request, its holder and deadline, every step in order, what can be done."""
    tz = services.settings.tz
    number = thread.number
    lines = [
        c.DETAIL_HEADER.format(number=number, category=services.category_name(thread.category))
    ]
    status = texts.status_name(thread.status)
    if thread.organisation:
        organisation = texts.excerpt(thread.organisation, 40)
        lines.append(c.DETAIL_HOLDER.format(status=status, organisation=organisation))
    else:
        lines.append(c.DETAIL_STATUS.format(status=status))
    if thread.merged_into is not None:
        lines.append(c.DETAIL_MERGED.format(number=thread.merged_into))
    if thread.place:
        lines.append(c.DETAIL_PLACE.format(place=texts.excerpt(thread.place, 60)))
    lines.append(c.DETAIL_TEXT.format(text=texts.excerpt(thread.text, TEXT_LENGTH)))
    if thread.photos or thread.locations:
        lines.append(c.DETAIL_FILES.format(photos=thread.photos, locations=thread.locations))
    if thread.deadline is not None:
        template = (
            c.DETAIL_CLAIM_DUE
            if thread.deadline.kind == DeadlineKind.CLAIM
            else c.DETAIL_RESOLVE_DUE
        )
        line = template.format(deadline=deadline_words(thread.deadline.due, tz))
        lines.append(line + (c.DETAIL_OVERDUE if thread.overdue else ""))
    worded = [
        (entry, words) for entry in thread.entries if (words := entry_words(entry)) is not None
    ]
    if worded:
        lines.append(c.DETAIL_HISTORY)
        if len(worded) > MAX_ENTRIES:
            lines.append(c.DETAIL_MORE_LINES.format(count=len(worded) - MAX_ENTRIES))
            worded = worded[-MAX_ENTRIES:]
        lines += [
            c.DETAIL_LINE.format(moment=_moment(entry.at, tz), what=words)
            for entry, words in worded
        ]
    return "\n".join(lines), _thread_buttons(thread)


def _thread_buttons(thread: RequestThread) -> InlineKeyboardMarkup | None:
    row: list[tuple[str, str]] = []
    if thread.active:
        row.append((c.BTN_ADD, Thread("more", thread.number).to_data()))
    if thread.can_withdraw:
        row.append((c.BTN_WITHDRAW, Thread("wd", thread.number).to_data()))
    if thread.can_push:
        row.append((c.BTN_PUSH, Thread("push", thread.number).to_data()))
    return inline([row]) if row else None


def new_or_add_view(
    services: Services, *, number: int, category: str, text: str, version: int
) -> View:
    """Ask whether a message is a new need or more about request `number`."""
    words = c.NEW_OR_ADD.format(
        number=number,
        category=services.category_name(category),
        excerpt=texts.excerpt(text, 60) if text else "📷",
    )
    buttons = [
        [(c.BTN_NEW_NEED, Thread("new", number, version).to_data())],
        [(c.BTN_ADD_TO.format(number=number), Thread("add", number, version).to_data())],
    ]
    return words, inline(buttons)


def choose_view(
    services: Services,
    *,
    action: ThreadAction,
    choices: Sequence[tuple[int, str]],
    version: int,
    offer_new: bool,
) -> View:
    """Ask which of the resident's requests (number, category) a message is about."""
    rows = [
        [
            (
                c.BTN_REQUEST.format(number=number, category=services.category_name(category)),
                Thread(action, number, version).to_data(),
            )
        ]
        for number, category in choices
    ]
    if offer_new and choices:
        rows.append([(c.BTN_NEW_NEED, Thread("new", choices[0][0], version).to_data())])
    return c.WHICH_REQUEST, inline(rows)


def withdraw_view(
    services: Services,
    *,
    number: int,
    category: str,
    organisation: str | None,
    version: int,
) -> View:
    """Ask the resident to confirm a withdrawal."""
    name = services.category_name(category)
    if organisation:
        words = c.WITHDRAW_CONFIRM_HELD.format(
            number=number, category=name, organisation=texts.excerpt(organisation, 40)
        )
    else:
        words = c.WITHDRAW_CONFIRM.format(number=number, category=name)
    buttons = [
        [
            (c.BTN_WITHDRAW_YES, Thread("wdy", number, version).to_data()),
            (c.BTN_WITHDRAW_NO, Thread("wdn", number, version).to_data()),
        ]
    ]
    return words, inline(buttons)
