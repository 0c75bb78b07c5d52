"""What staff see: the /queue and /mine lists, a claimed request, the /notify choices.

Pure rendering (text and buttons) of what storage.requests.claims returns; the handlers in
bot.handlers.staff (and the /orgs list of bot.handlers.admin, for its page row) call these.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot import callbacks, texts
from bot.context import Services
from bot.handlers.common import inline
from bot.texts import conversation as c
from bot.texts import staff as t
from bot.texts.dates import deadline_words
from bot.texts.summary import SUPPORTERS_BADGE
from storage import deadlines
from storage.models import NotifyMode, utcnow
from storage.requests import claims, records

View = tuple[str, Any]  # a message's text and its inline keyboard (or None)


def nav_row(page: int, pages: int, data: Callable[[int], str]) -> list[tuple[str, str]]:
    """⬅️ / ➡️ of a paged list (0-based `page`); `data(page)` is the button data of a page."""
    row = []
    if page > 0:
        row.append((t.BTN_PREV, data(page - 1)))
    if page < pages - 1:
        row.append((t.BTN_NEXT, data(page + 1)))
    return row


def _limits(services: Services) -> deadlines.Limits:
    return deadlines.Limits.from_settings(services.settings)


def _when(moment: datetime, services: Services) -> str:
    return deadline_words(moment, services.settings.tz)


def _age(moment: datetime, now: datetime) -> str:
    minutes = max(int((now - moment).total_seconds() // 60), 0)
    if minutes < 60:
        return t.AGE_MINUTES.format(n=minutes)
    if minutes < 48 * 60:
        return t.AGE_HOURS.format(n=minutes // 60)
    return t.AGE_DAYS.format(n=minutes // (24 * 60))


def _place(view: records.RequestView) -> str:
    return texts.excerpt(view.place, 40) if view.place else t.NO_PLACE


def additions_text(item: records.RequestView, *, held: bool) -> str:
    """The resident's 补充 (masked unless held) and the photo/location count, as extra lines
    under an item ("" when the resident added nothing)."""
    lines = []
    if item.additions:
        notes = "；".join(texts.excerpt(note, 80) for note in item.additions)
        more = t.ADDITIONS_MORE.format(count=item.more_additions) if item.more_additions else ""
        lines.append(t.ADDITIONS.format(notes=notes) + more)
    what = []
    if item.photos:
        what.append(c.PHOTOS.format(count=item.photos))
    if item.locations:
        what.append(c.LOCATIONS.format(count=item.locations))
    if what:
        hidden = "" if held else t.ATTACHMENTS_AFTER_CLAIM
        lines.append(t.ATTACHMENT_COUNT.format(what=c.AND.join(what)) + hidden)
    return "".join("\n  " + line for line in lines)


def _queue_item(item: records.RequestView, services: Services, now: datetime) -> str:
    return t.QUEUE_ITEM.format(
        number=item.number,
        urgent=t.URGENT_MARK if item.urgent else "",
        category=services.category_name(item.category),
        place=_place(item),
        age=_age(item.created_at, now),
        supporters=(
            " · " + SUPPORTERS_BADGE.format(count=item.supporters) if item.supporters > 1 else ""
        ),
        excerpt=texts.excerpt(item.text, 60),
    ) + additions_text(item, held=False)


def queue_view(page: claims.QueuePage, services: Services) -> View:
    """A page of the open requests in scope, a 认领 button under each."""
    if not page.total:
        return t.QUEUE_EMPTY, None
    now = utcnow()
    lines = [t.QUEUE_HEADER.format(total=page.total, page=page.page + 1, pages=page.pages)]
    rows: list[list[tuple[str, str]]] = []
    for item in page.items:
        lines.append(_queue_item(item, services, now))
        claim = callbacks.Claim(item.number, page.page).to_data()
        rows.append([(t.BTN_CLAIM.format(number=item.number), claim)])
    nav = nav_row(page.page, page.pages, lambda n: callbacks.QueuePage(n).to_data())
    if nav:
        rows.append(nav)
    return "\n".join(lines), inline(rows)


def claimed_view(view: records.RequestView, services: Services) -> str:
    """The whole request, once claimed, with its deadline."""
    due = deadlines.resolve_due_at(
        view.claimed_at or utcnow(), limits=_limits(services), extension_days=view.extension_days
    )
    return t.CLAIMED.format(
        number=view.number,
        category=services.category_name(view.category),
        text=texts.excerpt(view.text, 1000),
        place=_place(view),
        contact=texts.excerpt(view.contact, 200) if view.contact else t.NONE,
        deadline=_when(due, services),
    ) + additions_text(view, held=True)


def _mine_item(item: records.RequestView, services: Services, now: datetime) -> str:
    limits = _limits(services)
    extension = item.extension_days
    due = deadlines.resolve_due_at(item.claimed_at or now, limits=limits, extension_days=extension)
    release = deadlines.stale_release_at(
        item.last_progress_at or item.claimed_at or now, limits, extension_days=extension
    )
    return t.MINE_ITEM.format(
        number=item.number,
        urgent=t.URGENT_MARK if item.urgent else "",
        category=services.category_name(item.category),
        status=texts.status_name(item.status),
        place=_place(item),
        text=texts.excerpt(item.text, 200),
        contact=texts.excerpt(item.contact, 100) if item.contact else t.NONE,
        deadline=_when(due, services),
        overdue=t.OVERDUE_MARK if now >= due else "",
        release=_when(release, services),
    ) + additions_text(item, held=True)


def mine_view(result: claims.MinePage, services: Services) -> View:
    """A page of the organisation's claimed, unresolved requests with their deadlines."""
    if not result.total:
        return t.MINE_EMPTY, None
    now = utcnow()
    header = t.MINE_HEADER.format(
        organisation=texts.excerpt(result.organisation, 60),
        total=result.total,
        page=result.page + 1,
        pages=result.pages,
    )
    lines = [header, *(_mine_item(item, services, now) for item in result.items)]
    rows = [
        [(t.BTN_FILES.format(number=item.number), callbacks.Files(item.number).to_data())]
        for item in result.items
        if item.photos or item.locations
    ]
    nav = nav_row(result.page, result.pages, lambda n: callbacks.MinePage(n).to_data())
    if nav:
        rows.append(nav)
    return "\n\n".join(lines), inline(rows) if rows else None


def notify_markup() -> Any:
    """One button per notify mode."""
    return inline(
        [
            [(name, callbacks.Notify(NotifyMode(mode)).to_data())]
            for mode, name in t.NOTIFY_MODES.items()
        ]
    )
