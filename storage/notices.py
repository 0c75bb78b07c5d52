"""What each notice carries: the facts a state change leaves for the bot to word.

A notice is queued in the transaction of the change that caused it (storage.outbox) and
worded by the bot when it is sent (bot.notices). What it carries is decided here, and that is
a domain rule as much as the change itself: a supporter (a neighbour who said 我也遇到了)
gets staff's words masked; a staff card quotes the resident masked; nothing here is Chinese.
Parameters are frozen when the notice is queued: a card keeps the text it was sent with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from nlp.privacy import mask_personal_data
from storage.models import (
    HELD_STATUSES,
    NoticeAction,
    NoticeKind,
    Organisation,
    Priority,
    ServiceRequest,
)


@dataclass(frozen=True)
class Notice:
    """What to tell whom: `params` are frozen when it is queued, the bot words them at sending.

    `params` hold JSON values only (numbers, text, booleans, lists; moments as ISO text).
    """

    kind: NoticeKind
    chat_id: int
    params: Mapping[str, Any] = field(default_factory=dict)
    request_id: int | None = None
    actions: tuple[NoticeAction, ...] = ()


def place_of(request: ServiceRequest) -> str:
    """Community, 小区 (when the gazetteer matched one) and building ("" when none)."""
    return " ".join(p for p in (request.community, request.compound, request.building) if p)


def request_brief(request: ServiceRequest) -> dict[str, Any]:
    """Number, urgency, category code and place: what every notice about a request names."""
    return {
        "number": request.id,
        "urgent": request.priority == Priority.URGENT,
        "category": request.category,
        "place": place_of(request),
    }


def card_params(request: ServiceRequest) -> dict[str, Any]:
    """A staff card: the request in brief and the resident's words, masked."""
    return {**request_brief(request), "quote": mask_personal_data(request.original_text)}


def card_notice(request: ServiceRequest, *, chat_id: int) -> Notice:
    return Notice(
        NoticeKind.CARD,
        chat_id,
        card_params(request),
        request_id=request.id,
        actions=(NoticeAction.CLAIM,),
    )


def holder_name(session: Session, request: ServiceRequest) -> str | None:
    """The name of the organisation holding the request, when one does."""
    if request.status not in HELD_STATUSES or request.organisation_id is None:
        return None
    organisation = session.get(Organisation, request.organisation_id)
    return organisation.name if organisation else ""


def card_edit_notice(
    session: Session,
    request: ServiceRequest,
    *,
    chat_id: int,
    card: Mapping[str, Any] | None = None,
) -> Notice:
    """The edit of a card that can no longer be claimed: who took it, or that it is closed.

    `card` is the card as it was sent (its frozen params); by default, or for a card queued as
    finished text before notices were typed, it is drawn again from the request.
    """
    sent = dict(card) if card is not None and "text" not in card else card_params(request)
    params = {
        **sent,
        "status": request.status,
        "holder": holder_name(session, request),
    }
    return Notice(NoticeKind.CARD_EDIT, chat_id, params, request_id=request.id)


def moment(value: datetime) -> str:
    """A moment as notice params keep it (ISO text with its offset)."""
    return value.isoformat()
