"""The same need raised by many: find it, let residents say 我也遇到了 (+1), merge by hand.

The count of residents who raised a problem is what makes the weekly summary useful, so a
resident who says +1 and a resident whose request is merged both become `RequestSupporter`
rows of the request that stays, dated when they raised it (see storage.summary).
`requests.supporters` is kept equal to 1 (the filer) + the number of supporter rows. Only a
press of 我也遇到了 writes a 'supported' event: the summary counts presses from those, not
from the supporter rows, which merges create too.

Neighbours who said 我也遇到了 and the residents of merged requests follow the surviving request
(storage.requests.records.follower_chat_ids): they hear its status.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nlp.similarity import SAME_NEED_THRESHOLD, similarity, similarity_tokens
from storage.errors import (
    CannotMerge,
    InvalidState,
    MergeNotAllowed,
    NotAllowed,
    NotFound,
    NotStaff,
    RequestNotFound,
)
from storage.gazetteer import building_key
from storage.models import (
    ACTIVE_STATUSES,
    ActorKind,
    EventKind,
    NoticeKind,
    Organisation,
    RequestStatus,
    RequestSupporter,
    Resident,
    ServiceRequest,
    utcnow,
)
from storage.notices import Notice
from storage.organisations import Role, active_staff_organisation, in_scope, role_of
from storage.outbox import enqueue
from storage.requests.records import Actor, follower_chat_ids, get_request, record_event
from storage.residents import get_or_create_resident
from storage.sql import insert_if_absent

DUPLICATE_WINDOW = timedelta(days=14)
# Enough for a busy community's fortnight; similarity runs in Python over these only.
MAX_CANDIDATES = 300
_ACTIVE = tuple(status.value for status in ACTIVE_STATUSES)
_MAX_MERGE_HOPS = 10


@dataclass(frozen=True)
class DuplicateMatch:
    """An active request that says the same thing as a new message."""

    request_id: int
    score: float
    category: str
    community: str | None
    building: str | None
    status: str
    supporters: int
    created_at: datetime
    text: str
    # The resident asking filed it themselves: offer to wait, not to +1.
    own: bool


@dataclass(frozen=True)
class SupportResult:
    """After 我也遇到了: the request supported and whether this resident was new to it."""

    request_id: int
    status: str
    supporters: int
    added: bool
    organisation_id: int | None


@dataclass(frozen=True)
class MergeResult:
    keep: int
    merged: int
    supporters: int
    moved_residents: int


@lru_cache(maxsize=8192)
def _comparable(text: str, building: str | None) -> frozenset[str]:
    # Cached: every new need in a community is compared with up to MAX_CANDIDATES open ones,
    # whose tokens would otherwise be segmented again each time (~0.7 ms each).
    # The building is part of the need: "3栋电梯坏了" is not the same as the one in 5栋.
    # Compared in one spelling (storage.gazetteer.building_key): 三幢 is 3栋.
    return similarity_tokens(f"{building_key(building)} {text}")


def find_duplicates(
    session: Session,
    *,
    text: str,
    community: str,
    building: str | None = None,
    place_id: int | None = None,
    telegram_id: int | None = None,
    now: datetime | None = None,
    window: timedelta = DUPLICATE_WINDOW,
    threshold: float = SAME_NEED_THRESHOLD,
    limit: int = 3,
) -> list[DuplicateMatch]:
    """Active requests of the same place, filed within `window`, that say the same thing.

    The same place is the same canonical 社区 (storage.gazetteer) and, when both requests were
    matched to a 小区 (`place_id`), the same 小区: 3栋 of 芳邻苑 is not 3栋 of 玉洁苑. The
    building is part of the compared text. Candidates are chosen in SQL (same place, active,
    recent; newest first); the text similarity runs over those only. Best match first.
    """
    since = (now or utcnow()) - window
    # Plain columns, not ORM objects: this runs at every filing over up to MAX_CANDIDATES rows.
    query = (
        sa.select(
            col(ServiceRequest.id),
            col(ServiceRequest.normalised_text),
            col(ServiceRequest.original_text),
            col(ServiceRequest.category),
            col(ServiceRequest.community),
            col(ServiceRequest.building),
            col(ServiceRequest.status),
            col(ServiceRequest.supporters),
            col(ServiceRequest.created_at),
            col(Resident.telegram_id),
        )
        .join(Resident, col(Resident.id) == col(ServiceRequest.resident_id))
        .where(
            col(ServiceRequest.community) == community,
            col(ServiceRequest.status).in_(_ACTIVE),
            col(ServiceRequest.created_at) >= since,
            sa.true()
            if place_id is None
            else sa.or_(
                col(ServiceRequest.place_id).is_(None), col(ServiceRequest.place_id) == place_id
            ),
        )
        .order_by(col(ServiceRequest.created_at).desc())
        .limit(MAX_CANDIDATES)
    )
    mine = _comparable(text, building)
    matches = []
    for row in session.execute(query).all():
        score = similarity(mine, _comparable(row.normalised_text, row.building))
        if score >= threshold:
            matches.append(
                DuplicateMatch(
                    request_id=row.id,
                    score=round(score, 3),
                    category=row.category,
                    community=row.community,
                    building=row.building,
                    status=row.status,
                    supporters=row.supporters,
                    created_at=row.created_at,
                    text=row.original_text,
                    own=telegram_id is not None and row.telegram_id == telegram_id,
                )
            )
    matches.sort(key=lambda m: (-m.score, -m.supporters, m.request_id))
    return matches[:limit]


def existing_request(session: Session, number: int) -> ServiceRequest:
    """records.get_request, whose NotFound names the number (RequestNotFound)."""
    try:
        return get_request(session, number=number)
    except NotFound:
        raise RequestNotFound(number) from None


def _surviving(session: Session, number: int) -> ServiceRequest:
    """The request itself, or the one it was (transitively) merged into."""
    request = get_request(session, number=number)
    for _ in range(_MAX_MERGE_HOPS):
        if request.status != RequestStatus.MERGED.value or request.merged_into_id is None:
            break
        request = get_request(session, number=request.merged_into_id)
    return request


def _recount(session: Session, request_id: int, now: datetime) -> int:
    """Set supporters = 1 + supporter rows, in one statement, and return it."""
    rows = (
        sa.select(sa.func.count())
        .select_from(RequestSupporter)
        .where(col(RequestSupporter.request_id) == request_id)
        .scalar_subquery()
    )
    session.execute(
        sa.update(ServiceRequest)
        .where(col(ServiceRequest.id) == request_id)
        .values(supporters=1 + rows, updated_at=now)
    )
    value = session.execute(
        sa.select(col(ServiceRequest.supporters)).where(col(ServiceRequest.id) == request_id)
    ).scalar_one()
    return int(value)


def _add_supporter(
    session: Session, *, request_id: int, resident_id: int, created_at: datetime | None = None
) -> bool:
    """Insert the supporter row unless it exists; False when it already did (or won a race)."""
    table = RequestSupporter.__table__  # type: ignore[attr-defined]
    values = {
        "request_id": request_id,
        "resident_id": resident_id,
        "created_at": created_at or utcnow(),
    }
    return insert_if_absent(
        session,
        table,
        values,
        unless=sa.and_(table.c.request_id == request_id, table.c.resident_id == resident_id),
    )


def support_request(
    session: Session,
    *,
    request_id: int,
    telegram_id: int,
    display_name: str,
    now: datetime | None = None,
) -> SupportResult:
    """Record 我也遇到了 by this resident; idempotent; never on the resident's own request.

    A request that was merged passes the +1 on to the one it was merged into. Raises
    NotFound, NotAllowed (own request) or InvalidState (no longer active).
    """
    request = _surviving(session, request_id)
    assert request.id is not None
    resident = get_or_create_resident(session, telegram_id=telegram_id, display_name=display_name)
    assert resident.id is not None
    if request.resident_id == resident.id:
        raise NotAllowed("a resident cannot support their own request")
    if request.status not in _ACTIVE:
        raise InvalidState(request.status)
    now = now or utcnow()
    added = _add_supporter(session, request_id=request.id, resident_id=resident.id, created_at=now)
    if added:
        # Atomic increment: concurrent +1s from different residents all count.
        session.execute(
            sa.update(ServiceRequest)
            .where(col(ServiceRequest.id) == request.id)
            .values(supporters=col(ServiceRequest.supporters) + 1, updated_at=now)
        )
        event = record_event(
            session,
            request=request,
            by=Actor(ActorKind.RESIDENT, telegram_id),
            to_status=None,
            kind=EventKind.SUPPORTED,
        )
        event.at = now
        session.flush()
    session.refresh(request)
    return SupportResult(
        request_id=request.id,
        status=request.status,
        supporters=request.supporters,
        added=added,
        organisation_id=request.organisation_id,
    )


def merge_requests(
    session: Session,
    *,
    keep: int,
    merge: int,
    by: Actor,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> MergeResult:
    """Merge request `merge` into `keep`: it becomes merged and its people support `keep`.

    `organisation_id` is the acting staff member's organisation: staff may merge only
    requests in its scope that nobody or their own organisation has claimed (admins pass
    None). Raises RequestNotFound, MergeNotAllowed or CannotMerge (each says which request).
    """
    if keep == merge:
        raise CannotMerge("same")
    kept = existing_request(session, keep)
    gone = existing_request(session, merge)
    assert kept.id is not None and gone.id is not None
    if organisation_id is not None:
        organisation = session.get(Organisation, organisation_id)
        for number, request in ((keep, kept), (merge, gone)):
            if organisation is None or request.organisation_id not in (None, organisation_id):
                raise MergeNotAllowed(number, "belongs to another organisation")
            if not in_scope(
                session, organisation, category=request.category, community=request.community
            ):
                raise MergeNotAllowed(number, "is outside the organisation's scope")
    if kept.status not in (*_ACTIVE, RequestStatus.RESOLVED.value):
        raise CannotMerge("keep_closed")
    now = now or utcnow()
    from_status = gone.status
    moved = session.execute(
        sa.update(ServiceRequest)
        .where(col(ServiceRequest.id) == gone.id, col(ServiceRequest.status).in_(_ACTIVE))
        .values(status=RequestStatus.MERGED.value, merged_into_id=kept.id, updated_at=now)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise CannotMerge("merge_closed")
    # Requests earlier merged into `gone` now point at `keep`: no chains.
    session.execute(
        sa.update(ServiceRequest)
        .where(col(ServiceRequest.merged_into_id) == gone.id)
        .values(merged_into_id=kept.id)
    )
    people = [(gone.resident_id, gone.created_at)] + [
        (row.resident_id, row.created_at)
        for row in session.exec(
            select(RequestSupporter).where(RequestSupporter.request_id == gone.id)
        ).all()
    ]
    moved_residents = 0
    for resident_id, raised_at in people:
        if resident_id != kept.resident_id:
            moved_residents += _add_supporter(
                session, request_id=kept.id, resident_id=resident_id, created_at=raised_at
            )
    session.execute(sa.delete(RequestSupporter).where(col(RequestSupporter.request_id) == gone.id))
    supporters = _recount(session, kept.id, now)
    events = [
        record_event(
            session,
            request=gone,
            by=by,
            from_status=from_status,
            to_status=RequestStatus.MERGED.value,
            kind=EventKind.MERGED,
            note=f"#{kept.id}",
            organisation_id=organisation_id,
        ),
        record_event(
            session,
            request=kept,
            by=by,
            to_status=None,
            kind=EventKind.MERGED_IN,
            note=f"#{gone.id}",
            organisation_id=organisation_id,
        ),
    ]
    for event in events:
        event.at = now
    session.flush()
    session.refresh(kept)
    session.refresh(gone)
    return MergeResult(
        keep=kept.id, merged=gone.id, supporters=supporters, moved_residents=moved_residents
    )


def merge_and_notify(
    session: Session,
    *,
    telegram_id: int,
    admin_ids: Collection[int],
    keep: int,
    merge: int,
) -> MergeResult:
    """Merge as admin or staff, and tell the merged request's residents where it went."""
    role = role_of(session, telegram_id=telegram_id, admin_ids=admin_ids)
    organisation_id: int | None = None
    if role is Role.RESIDENT:
        raise NotStaff(f"user {telegram_id} may not merge")
    if role is Role.STAFF:
        _staff, organisation = active_staff_organisation(session, telegram_id=telegram_id)
        organisation_id = organisation.id
    # Both numbers are looked up first (keep, then merge), so that a refusal names the one
    # missing; the followers must be read before the merge moves them.
    existing_request(session, keep)
    existing_request(session, merge)
    followers = follower_chat_ids(session, merge)
    result = merge_requests(
        session,
        keep=keep,
        merge=merge,
        by=Actor(ActorKind.ADMIN if role is Role.ADMIN else ActorKind.STAFF, telegram_id),
        organisation_id=organisation_id,
    )
    for chat_id in followers:
        notice = Notice(
            NoticeKind.MERGED, chat_id, {"merged": merge, "keep": keep}, request_id=keep
        )
        enqueue(session, notice, dedupe_key=f"merged:{merge}:{chat_id}")
    return result
