"""Where a request is, once the gazetteer (storage.gazetteer) changes or does not know it.

A request whose place matched nothing is flagged to the admins (once a place a day); when an
admin makes that place known (an alias, a new 小区) or a CSV is imported, the requests that
carried it get the canonical place, and those still open reach the staff of the organisations
that cover that place now (cards, once per member and opening: cards.announce_new_request).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from datetime import tzinfo

from sqlmodel import Session

from storage import gazetteer
from storage.gazetteer import CHENGDU, ImportedPlace, ImportResult, PlaceEdit, Rematched
from storage.models import NoticeKind, ServiceRequest, utcnow
from storage.notices import Notice, request_brief
from storage.outbox import enqueue
from storage.requests.cards import announce_new_request

log = logging.getLogger(__name__)


def flag_unknown_place(
    session: Session,
    request: ServiceRequest,
    *,
    admin_ids: Collection[int],
    tz: tzinfo = CHENGDU,
) -> bool:
    """Tell the admins that `request` carries a place the gazetteer does not know, once per
    distinct place per (local) day however many residents type it; /places lists them all.
    Returns whether the admins were told now."""
    text = request.unmatched_place
    if text is None or request.id is None:
        return False
    day = utcnow().astimezone(tz).date().isoformat()
    told = False
    for admin in sorted(admin_ids):
        told |= enqueue(
            session,
            Notice(
                NoticeKind.UNKNOWN_PLACE,
                admin,
                {**request_brief(request), "typed": text},
                request_id=request.id,
            ),
            dedupe_key=f"unknown_place:{day}:{gazetteer.unknown_key(text)}:{admin}",
        )
    if told:
        log.info("request #%s: its place is not in the gazetteer; admins told", request.id)
    return told


def _announce(session: Session, numbers: Iterable[int]) -> int:
    """Cards for the open ones among `numbers` to the staff now covering their place."""
    cards = 0
    for number in numbers:
        request = session.get(ServiceRequest, number, populate_existing=True)
        if request is not None:
            cards += announce_new_request(session, request=request)
    return cards


def add_alias(session: Session, *, request_id: int, place_id: int) -> PlaceEdit:
    """gazetteer.add_alias, and cards for the open requests it placed."""
    edit = gazetteer.add_alias(session, request_id=request_id, place_id=place_id)
    _announce(session, edit.request_ids)
    return edit


def add_compound(session: Session, *, request_id: int, like_place_id: int) -> PlaceEdit:
    """gazetteer.add_compound, and cards for the open requests it placed."""
    edit = gazetteer.add_compound(session, request_id=request_id, like_place_id=like_place_id)
    _announce(session, edit.request_ids)
    return edit


def import_places(session: Session, rows: Sequence[ImportedPlace]) -> ImportResult:
    """gazetteer.import_places, and cards for the open requests it re-matched."""
    result = gazetteer.import_places(session, rows)
    _announce(session, result.open_ids)
    return result


def rematch(session: Session) -> Rematched:
    """gazetteer.rematch, and cards for the open requests it re-matched."""
    result = gazetteer.rematch(session)
    _announce(session, result.open_ids)
    return result
