"""The words of every notice: what storage queued (storage.notices) turned into a message.

The outbox keeps what happened (a kind, the facts frozen when it was queued, the actions it
offers); this module words it in Chinese, escapes what people wrote, shortens it and turns
actions into buttons (bot.callbacks), when the notice is sent (bot.notifier).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.texts import conversation as c
from bot.texts import excerpt, status_name
from bot.texts import extensions as ext
from bot.texts import membership as membership_texts
from bot.texts import now_covered as now_covered_texts
from bot.texts import oversight as o
from bot.texts import places as place_texts
from bot.texts import staff as t
from bot.texts import summary as summary_texts
from bot.texts.dates import deadline_words
from nlp.categories import category_name
from storage.models import NoticeAction, NoticeKind
from storage.notices import Notice

Buttons = list[list[tuple[str, str]]]

# How much of each fact a message shows.
ORGANISATION_LENGTH = 60
ORGANISATION_LENGTH_ALONE = 100  # a message about the organisation itself
NOTE_LENGTH = 1000  # staff's note to the resident who filed
RESIDENT_LENGTH = 2000  # a resident's 补充 or answer to the staff holding it, all of it
SUPPORTER_NOTE_LENGTH = 200  # the masked note supporters see
REASON_LENGTH = 200
PLACE_LENGTH = 40
CARD_EXCERPT_LENGTH = 80


@dataclass(frozen=True)
class Rendered:
    """A notice in words: HTML text and inline buttons as (label, callback data) rows; with a
    `photo` (a Telegram file id) the text is its caption; a `location` follows the text."""

    text: str
    buttons: Buttons | None = None
    photo: str | None = None
    location: tuple[float, float] | None = None

    def reply_markup(self) -> InlineKeyboardMarkup | None:
        """The buttons as Telegram's inline keyboard (None without buttons)."""
        if not self.buttons:
            return None
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                for row in self.buttons
            ]
        )


def _organisation(params: Mapping[str, Any], limit: int = ORGANISATION_LENGTH) -> str:
    return excerpt(str(params.get("organisation") or ""), limit)


def _place(params: Mapping[str, Any]) -> str:
    place = str(params.get("place") or "")
    return excerpt(place, PLACE_LENGTH) if place else t.NO_PLACE


def _urgent(params: Mapping[str, Any]) -> str:
    return t.URGENT_MARK if params.get("urgent") else ""


def _deadline(params: Mapping[str, Any]) -> str:
    """The deadline in plain words, in the local time it was queued with."""
    due = datetime.fromisoformat(str(params["deadline"]))
    return deadline_words(due, due.tzinfo or UTC)


def _brief(params: Mapping[str, Any]) -> dict[str, Any]:
    """Number, urgency mark, category name and place, as the templates name them."""
    return {
        "number": params["number"],
        "urgent": _urgent(params),
        "category": category_name(str(params["category"])),
        "place": _place(params),
    }


def _card(params: Mapping[str, Any]) -> str:
    return t.CARD.format(
        **_brief(params), excerpt=excerpt(str(params["quote"]), CARD_EXCERPT_LENGTH)
    ).rstrip()


def _card_update(params: Mapping[str, Any]) -> str:
    """A card still open, with what the resident added since (masked) and a photo count."""
    lines = [_card(params)]
    notes = [excerpt(str(note), CARD_EXCERPT_LENGTH) for note in params.get("additions") or ()]
    if notes:
        lines.append(t.ADDITIONS.format(notes="；".join(notes)))
    files = _files(params)
    if files:
        lines.append(t.ATTACHMENT_COUNT.format(what=files) + t.ATTACHMENTS_AFTER_CLAIM)
    return "\n".join(lines)


def _card_edit(params: Mapping[str, Any]) -> str:
    holder = params.get("holder")
    if holder is not None:
        return _card(params) + t.CARD_TAKEN.format(
            organisation=excerpt(str(holder), ORGANISATION_LENGTH)
        )
    return _card(params) + t.CARD_CLOSED.format(status=status_name(str(params["status"])))


def _to_resident(filer: str, supporter: str) -> Callable[[Mapping[str, Any]], str]:
    """A status notice: `filer`'s words for who filed it, `supporter`'s for neighbours."""

    def render(params: Mapping[str, Any]) -> str:
        template = supporter if params.get("supporter") else filer
        return template.format(number=params["number"], organisation=_organisation(params))

    return render


def _note(params: Mapping[str, Any]) -> str:
    supporter = bool(params.get("supporter"))
    return (t.SUPPORTER_NOTE if supporter else t.RESIDENT_NOTE).format(
        number=params["number"],
        organisation=_organisation(params),
        note=excerpt(str(params["note"]), SUPPORTER_NOTE_LENGTH if supporter else NOTE_LENGTH),
    )


def _resolved(params: Mapping[str, Any]) -> str:
    if params.get("supporter"):
        return t.SUPPORTER_RESOLVED.format(
            number=params["number"], organisation=_organisation(params)
        )
    return t.RESIDENT_RESOLVED.format(
        number=params["number"],
        organisation=_organisation(params),
        note=excerpt(str(params["note"]), NOTE_LENGTH),
    )


def _digest(params: Mapping[str, Any]) -> str:
    requests = list(params["requests"])
    lines = [t.DIGEST_LINE.format(**_brief(request)) for request in requests]
    count = int(params["count"])
    if count > len(requests):
        lines.append(t.DIGEST_MORE.format(n=count - len(requests)))
    return t.DIGEST.format(count=count, lines="\n".join(lines))


def _claim_deadline(template: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda params: template.format(**_brief(params), deadline=_deadline(params))


def _resolve_deadline(template: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda params: template.format(
        number=params["number"],
        category=category_name(str(params["category"])),
        organisation=_organisation(params),
        deadline=_deadline(params),
    )


def _files(params: Mapping[str, Any]) -> str:
    """ "2 张照片和 1 个位置": what came with a resident's message ("" when nothing)."""
    parts = []
    if int(params.get("photos") or 0):
        parts.append(c.PHOTOS.format(count=int(params["photos"])))
    if int(params.get("locations") or 0):
        parts.append(c.LOCATIONS.format(count=int(params["locations"])))
    return c.AND.join(parts)


def _about(params: Mapping[str, Any]) -> dict[str, Any]:
    """Number, category name and place of a thread notice to staff."""
    return {
        "number": params["number"],
        "category": category_name(str(params["category"])),
        "place": _place(params),
    }


def _resident_note(params: Mapping[str, Any]) -> str:
    note, files = str(params.get("note") or ""), _files(params)
    if not note:
        return c.STAFF_RESIDENT_FILES.format(**_about(params), what=files)
    text = c.STAFF_RESIDENT_NOTE.format(**_about(params), note=excerpt(note, RESIDENT_LENGTH))
    return text + ("\n" + c.STAFF_NOTE_FILES.format(what=files) if files else "")


def _pushed(params: Mapping[str, Any]) -> str:
    due = ""
    if params.get("deadline"):
        template = c.STAFF_PUSHED_OVERDUE if params.get("overdue") else c.STAFF_PUSHED_DUE
        due = template.format(deadline=_deadline(params))
    return c.STAFF_PUSHED.format(
        **_about(params), urgent=_urgent(params), pushes=params["pushes"], due=due
    )


def _answer(params: Mapping[str, Any]) -> str:
    files = _files(params)
    text = c.STAFF_ANSWER.format(
        number=params["number"],
        question=excerpt(str(params.get("question") or ""), SUPPORTER_NOTE_LENGTH),
        answer=excerpt(str(params.get("answer") or "") or "—", RESIDENT_LENGTH),
    )
    return text + ("\n" + c.STAFF_ANSWER_FILES.format(what=files) if files else "")


def _withdrawn(params: Mapping[str, Any]) -> str:
    note = str(params.get("note") or "")
    said = c.STAFF_WITHDRAWN_NOTE.format(note=excerpt(note, NOTE_LENGTH)) if note else ""
    return c.STAFF_WITHDRAWN.format(**_about(params), note="\n" + said if said else "")


def _attachment(params: Mapping[str, Any]) -> str:
    by = c.BY_STAFF if params.get("by") == "staff" else c.BY_RESIDENT
    template = c.STAFF_ATTACHMENT_PHOTO if params.get("photo") else c.STAFF_ATTACHMENT_LOCATION
    return template.format(number=params["number"], by=by)


def _extension_asked(params: Mapping[str, Any]) -> str:
    new_deadline = {"deadline": params["new_deadline"]}
    return ext.EXTENSION_ASKED.format(
        number=params["number"],
        category=category_name(str(params["category"])),
        organisation=_organisation(params),
        days=params["days"],
        reason=excerpt(str(params["reason"]), REASON_LENGTH),
        deadline=_deadline(params),
        new_deadline=_deadline(new_deadline),
    )


def _extension_answer(template: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda params: template.format(
        number=params["number"], days=params["days"], deadline=_deadline(params)
    )


def _question(params: Mapping[str, Any]) -> str:
    return c.QUESTION.format(
        number=params["number"],
        organisation=_organisation(params),
        question=excerpt(str(params["question"]), NOTE_LENGTH),
    )


_WORDS: dict[NoticeKind, Callable[[Mapping[str, Any]], str]] = {
    NoticeKind.EXTENSION_ASKED: _extension_asked,
    NoticeKind.EXTENSION_GRANTED: _extension_answer(ext.EXTENSION_GRANTED),
    NoticeKind.EXTENSION_REFUSED: _extension_answer(ext.EXTENSION_REFUSED),
    NoticeKind.CARD: _card,
    NoticeKind.CARD_EDIT: _card_edit,
    NoticeKind.CARD_UPDATE: _card_update,
    NoticeKind.CLAIMED: _to_resident(t.RESIDENT_CLAIMED, t.SUPPORTER_CLAIMED),
    NoticeKind.NOTE: _note,
    NoticeKind.RESOLVED: _resolved,
    NoticeKind.REQUEUED: _to_resident(t.RESIDENT_REQUEUED, t.SUPPORTER_REQUEUED),
    NoticeKind.MERGED: lambda p: summary_texts.MERGE_NOTICE.format(
        merged=p["merged"], keep=p["keep"]
    ),
    NoticeKind.ASSIGNED: lambda p: t.STAFF_ASSIGNED.format(
        number=p["number"], category=category_name(str(p["category"]))
    ),
    NoticeKind.ASSIGNED_AWAY: lambda p: t.STAFF_ASSIGNED_AWAY.format(
        number=p["number"], organisation=_organisation(p)
    ),
    NoticeKind.REOPENED: lambda p: t.STAFF_REOPENED.format(number=p["number"]),
    NoticeKind.STALE_RELEASED: lambda p: t.STAFF_STALE_RELEASED.format(
        number=p["number"], days=p["days"]
    ),
    NoticeKind.ORG_BLACKLISTED: lambda p: t.STAFF_BLACKLISTED.format(
        organisation=_organisation(p, ORGANISATION_LENGTH_ALONE),
        reason=excerpt(str(p["reason"]), REASON_LENGTH),
    ),
    NoticeKind.ORG_UNBLACKLISTED: lambda p: t.STAFF_UNBLACKLISTED.format(
        organisation=_organisation(p, ORGANISATION_LENGTH_ALONE)
    ),
    NoticeKind.REMIND_CLAIM: _claim_deadline(t.REMIND_CLAIM),
    NoticeKind.OVERDUE_CLAIM: _claim_deadline(t.OVERDUE_CLAIM),
    NoticeKind.REMIND_RESOLVE: _resolve_deadline(t.REMIND_RESOLVE),
    NoticeKind.OVERDUE_RESOLVE: _resolve_deadline(t.OVERDUE_RESOLVE),
    NoticeKind.REMIND_STALE: lambda p: t.REMIND_STALE.format(
        number=p["number"],
        category=category_name(str(p["category"])),
        days=p["days"],
        deadline=_deadline(p),
    ),
    NoticeKind.DIGEST: _digest,
    NoticeKind.QUESTION: _question,
    NoticeKind.UNCOVERED: lambda p: o.UNCOVERED.format(**_brief(p)),
    NoticeKind.UNKNOWN_PLACE: lambda p: place_texts.UNKNOWN_PLACE.format(
        **_brief(p), typed=excerpt(str(p.get("typed") or ""), PLACE_LENGTH)
    ),
    NoticeKind.UNDELIVERED: lambda p: o.STAFF_UNDELIVERED.format(**_brief(p)),
    NoticeKind.STAFF_REMOVED: lambda p: membership_texts.YOU_WERE_REMOVED.format(
        organisation=_organisation(p, ORGANISATION_LENGTH_ALONE)
    ),
    NoticeKind.WAITING_FOR_ORGANISATION: lambda p: o.WAITING_FOR_ORGANISATION.format(
        number=p["number"]
    ),
    NoticeKind.NOW_COVERED: lambda p: now_covered_texts.NOW_COVERED.format(number=p["number"]),
    NoticeKind.URGED: lambda p: o.STAFF_URGED.format(
        **_brief(p), note=excerpt(str(p.get("note") or ""), NOTE_LENGTH)
    ),
    NoticeKind.FEEDBACK_REMINDER: lambda p: c.FEEDBACK_REMINDER.format(number=p["number"]),
    NoticeKind.FEEDBACK_CLOSED: lambda p: c.FEEDBACK_CLOSED.format(number=p["number"]),
    NoticeKind.RESIDENT_NOTE: _resident_note,
    NoticeKind.PUSHED: _pushed,
    NoticeKind.ANSWER: _answer,
    NoticeKind.WITHDRAWN: _withdrawn,
    NoticeKind.ATTACHMENT: _attachment,
}


def _buttons(notice: Notice) -> Buttons | None:
    rows: Buttons = []
    number = notice.request_id or 0
    for action in notice.actions:
        if action is NoticeAction.CLAIM:
            rows.append([(t.BTN_CLAIM_CARD, callbacks.Claim(number).to_data())])
        elif action is NoticeAction.ANSWER:
            rows.append(
                [
                    (t.BTN_SOLVED, callbacks.Feedback.solved_answer(number, True).to_data()),
                    (t.BTN_NOT_SOLVED, callbacks.Feedback.solved_answer(number, False).to_data()),
                ]
            )
        elif action is NoticeAction.RATE:
            rows.append(
                [
                    (t.BTN_STARS.format(n=n), callbacks.Feedback.stars(number, n).to_data())
                    for n in range(1, 6)
                ]
            )
        elif action is NoticeAction.OPEN_QUEUE:
            rows.append([(t.BTN_OPEN_QUEUE, callbacks.QueuePage(opens=True).to_data())])
        elif action is NoticeAction.DECIDE_EXTENSION:
            ask = int(notice.params["ask"])
            rows.append(
                [
                    (ext.BTN_APPROVE, callbacks.Extension(ask, True).to_data()),
                    (ext.BTN_REFUSE, callbacks.Extension(ask, False).to_data()),
                ]
            )
    return rows or None


def render(notice: Notice) -> Rendered:
    """The message for `notice`.

    A notice that carries its own `text` was worded before it was queued: the weekly summary
    (a snapshot the bot rendered), or a row queued before notices were typed (with its
    `buttons`). It is sent as it is.
    """
    if "text" in notice.params:
        buttons = notice.params.get("buttons")
        return Rendered(
            str(notice.params["text"]),
            [[(str(label), str(data)) for label, data in row] for row in buttons]
            if buttons
            else None,
        )
    params = notice.params
    photo = params.get("photo")
    location = None
    if notice.kind == NoticeKind.ATTACHMENT and not photo:
        location = (float(params["latitude"]), float(params["longitude"]))
    return Rendered(
        _WORDS[notice.kind](params),
        _buttons(notice),
        photo=str(photo) if photo else None,
        location=location,
    )
