"""The notification outbox: notices written with the change that caused them, sent later.

A notice (storage.notices) says what happened, not how to word it: the bot words it when it
sends it. A status change and the notices it causes commit together, so a crash or a Telegram outage
loses nothing: the worker (bot.notifier) claims due rows with a short lease, sends them and
marks them sent, or schedules a retry with exponential back-off. Delivery is at least once:
a process that dies between sending and marking lets the lease expire and the row is sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    HELD_STATUSES,
    NoticeAction,
    NoticeKind,
    Notification,
    Organisation,
    RequestCard,
    RequestStatus,
    ServiceRequest,
    Staff,
    utcnow,
)
from storage.notices import Notice, card_edit_notice
from storage.sql import insert_if_absent

log = logging.getLogger(__name__)

# Kinds about an open request, and those about a held one: obsolete once it moved on.
_WHILE_OPEN = frozenset(
    {NoticeKind.CARD, NoticeKind.CARD_UPDATE, NoticeKind.REMIND_CLAIM, NoticeKind.OVERDUE_CLAIM}
)
_WHILE_HELD = frozenset(
    {NoticeKind.REMIND_RESOLVE, NoticeKind.OVERDUE_RESOLVE, NoticeKind.REMIND_STALE}
)
# Kinds written for the staff of the organisation holding the request.
_TO_HOLDER = frozenset({NoticeKind.REMIND_RESOLVE, NoticeKind.REMIND_STALE})
# Work pushed to staff: never delivered to the staff of a blacklisted organisation.
_STAFF_WORK = frozenset(
    {
        NoticeKind.CARD,
        NoticeKind.CARD_UPDATE,
        NoticeKind.REMIND_CLAIM,
        NoticeKind.REMIND_RESOLVE,
        NoticeKind.REMIND_STALE,
        NoticeKind.DIGEST,
    }
)

# Kinds only ever written for staff: dropped once the chat is no longer a staff member (an
# admin removed them or they left, storage.membership), whatever was queued before.
_TO_STAFF = _STAFF_WORK | frozenset(
    {
        NoticeKind.ASSIGNED,
        NoticeKind.ASSIGNED_AWAY,
        NoticeKind.REOPENED,
        NoticeKind.STALE_RELEASED,
        NoticeKind.ORG_BLACKLISTED,
        NoticeKind.ORG_UNBLACKLISTED,
        NoticeKind.RESIDENT_NOTE,
        NoticeKind.PUSHED,
        NoticeKind.ANSWER,
        NoticeKind.WITHDRAWN,
        NoticeKind.ATTACHMENT,
        NoticeKind.URGED,
        NoticeKind.UNDELIVERED,
        NoticeKind.EXTENSION_GRANTED,
        NoticeKind.EXTENSION_REFUSED,
    }
)

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(hours=1)
DEFAULT_LEASE = timedelta(seconds=60)
# PostgreSQL advisory lock serialising claims (the claim is one short transaction; sending
# happens outside it). Without it, two workers claiming at the same instant would not see each
# other's uncommitted leases and could split one chat's messages between them, out of order.
CLAIM_LOCK_KEY = 0x6C696E6C69  # "linli"


def enqueue(
    session: Session,
    notice: Notice,
    *,
    dedupe_key: str | None = None,
    send_after: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a notice in the caller's transaction; False when `dedupe_key` is already queued."""
    now = now or utcnow()
    values: dict[str, Any] = {
        "chat_id": notice.chat_id,
        "kind": notice.kind.value,
        "params": dict(notice.params),
        "actions": [action.value for action in notice.actions] or None,
        "request_id": notice.request_id,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "send_after": send_after or now,
        "attempts": 0,
    }
    if dedupe_key is None:
        session.execute(sa.insert(Notification).values(**values))
        return True
    table = SQLModel.metadata.tables["notifications"]
    return insert_if_absent(session, table, values, unless=table.c.dedupe_key == dedupe_key)


def queued_keys(session: Session, *, keys: list[str]) -> set[str]:
    """Which of `keys` are already in the outbox (to skip building their texts again)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.exec(
            select(Notification.dedupe_key).where(col(Notification.dedupe_key).in_(chunk))
        ).all()
        found.update(row for row in rows if row is not None)
    return found


# --- the worker's side ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A claimed notification, detached from the session, ready to send.

    `leased_until` is this worker's lease on the row: a send must be over (and recorded) by
    then, or another worker may take the row over and send it again.
    """

    id: int
    notice: Notice
    attempts: int
    leased_until: datetime

    @property
    def chat_id(self) -> int:
        return self.notice.chat_id

    @property
    def kind(self) -> NoticeKind:
        return self.notice.kind

    @property
    def request_id(self) -> int | None:
        return self.notice.request_id


def notice_of(row: Notification) -> Notice:
    """The notice a stored row holds."""
    return Notice(
        kind=NoticeKind(row.kind),
        chat_id=row.chat_id,
        params=dict(row.params or {}),
        request_id=row.request_id,
        actions=tuple(NoticeAction(action) for action in row.actions or ()),
    )


def _pending(now: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        col(Notification.sent_at).is_(None),
        col(Notification.failed_at).is_(None),
        col(Notification.send_after) <= now,
        sa.or_(col(Notification.claimed_until).is_(None), col(Notification.claimed_until) < now),
    ]


def _no_earlier_in_flight(now: datetime) -> sa.ColumnElement[bool]:
    """No earlier message of the same chat is leased (to any worker) or waiting for a retry.

    Keeps a chat's messages in order across workers and retries: a notice that the request was
    resolved never overtakes the one that it was claimed. Earlier messages that are due now
    are claimed in the same batch (oldest first), so one worker still sends a chat's backlog
    in one run.
    """
    earlier = SQLModel.metadata.tables["notifications"].alias("earlier")
    return ~(
        sa.select(sa.literal(1))
        .where(
            earlier.c.chat_id == col(Notification.chat_id),
            earlier.c.id < col(Notification.id),
            earlier.c.sent_at.is_(None),
            earlier.c.failed_at.is_(None),
            sa.or_(earlier.c.claimed_until >= now, earlier.c.send_after > now),
        )
        .exists()
    )


@dataclass(frozen=True)
class _RequestNow:
    """What the obsolescence rules need of a request, read when its messages are claimed."""

    status: str
    organisation_id: int | None
    queued_at: datetime  # when it last entered the queue (its claim clock started)
    claimed_at: datetime | None
    last_progress_at: datetime | None


def _requests_now(session: Session, ids: set[int]) -> dict[int, _RequestNow]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(
            col(ServiceRequest.id),
            col(ServiceRequest.status),
            col(ServiceRequest.organisation_id),
            col(ServiceRequest.created_at),
            col(ServiceRequest.claimed_at),
            col(ServiceRequest.last_progress_at),
        ).where(col(ServiceRequest.id).in_(ids))
    ).all()
    return {
        number: _RequestNow(
            status=status,
            organisation_id=organisation_id,
            queued_at=progress or created,
            claimed_at=claimed,
            last_progress_at=progress,
        )
        for number, status, organisation_id, created, claimed, progress in rows
        if number is not None
    }


def _staff_now(session: Session, chats: set[int]) -> dict[int, tuple[int, bool]]:
    """chat -> (organisation id, blacklisted) for the chats that are staff members."""
    if not chats:
        return {}
    rows = session.exec(
        select(Staff.telegram_id, Organisation.id, Organisation.blacklisted)
        .join(Organisation, col(Organisation.id) == col(Staff.organisation_id))
        .where(col(Staff.telegram_id).in_(chats))
    ).all()
    return {chat: (org, blacklisted) for chat, org, blacklisted in rows if org is not None}


def _obsolete(
    row: Notification, request: _RequestNow | None, staff: tuple[int, bool] | None
) -> str | None:
    """Why `row` must not be sent any more, or None.

    A card or claim reminder is about an open request; a resolve or stale reminder and the
    resolve notice about a held one; a reminder written before the request's clock last
    restarted (back in the queue, claimed again, a progress note) is about a round that is over.
    """
    if row.kind in _STAFF_WORK and staff is not None and staff[1]:
        return "organisation blacklisted"
    if row.kind in _TO_STAFF and staff is None:
        return "no longer staff"
    if request is None:
        return None
    if row.kind in _WHILE_OPEN:
        if request.status != RequestStatus.OPEN:
            return "request no longer open"
        if row.kind != NoticeKind.CARD and row.created_at < request.queued_at:
            return "request re-entered the queue"
    if row.kind in _WHILE_HELD:
        if request.status not in HELD_STATUSES:
            return "request no longer held"
        if request.claimed_at is not None and row.created_at < request.claimed_at:
            return "request claimed again"
    if row.kind in _TO_HOLDER and (staff is None or staff[0] != request.organisation_id):
        return "request held by another organisation"
    if (
        row.kind == NoticeKind.REMIND_STALE
        and request.last_progress_at is not None
        and row.created_at < request.last_progress_at
    ):
        return "progress recorded since"
    return None


def claim_due(
    session: Session,
    *,
    now: datetime | None = None,
    limit: int = 25,
    lease: timedelta = DEFAULT_LEASE,
) -> list[Outgoing]:
    """Lease up to `limit` due notifications to this worker, oldest first.

    Claims are serialised (PostgreSQL: an advisory lock held to the end of this short
    transaction; SQLite serialises writers) and `FOR UPDATE SKIP LOCKED` stays as a second
    guard; the lease in `claimed_until` keeps other workers off the rows after this commits.
    A chat's message waits while an earlier one of that chat is leased or backing off, so each
    chat's messages go out in order whatever the number of workers. Messages whose request has
    moved on since they were written (a card for a request claimed meanwhile, a 催办 for one
    already resolved) and work for staff of a blacklisted organisation are dropped here
    instead of being sent (see `_obsolete`).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
    now = now or utcnow()
    rows = list(
        session.exec(
            select(Notification)
            .where(*_pending(now), _no_earlier_in_flight(now))
            .order_by(col(Notification.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
    )
    if not rows:
        return []
    requests = _requests_now(
        session,
        {r.request_id for r in rows if r.request_id and r.kind in _WHILE_OPEN | _WHILE_HELD},
    )
    staff = _staff_now(session, {r.chat_id for r in rows if r.kind in _TO_STAFF})
    out: list[Outgoing] = []
    for row in rows:
        assert row.id is not None
        request = requests.get(row.request_id) if row.request_id is not None else None
        reason = _obsolete(row, request, staff.get(row.chat_id))
        try:
            notice = notice_of(row)
        except ValueError:
            # A kind or action this version does not know (written by another version): given
            # up on rather than raised, which would stop every worker at this row.
            notice = None
        if notice is None:
            row.failed_at, row.last_error = now, "unreadable: unknown kind or action"
            log.error("notification %s of unknown kind %r dropped", row.id, row.kind[:30])
        elif reason is not None:
            row.failed_at, row.last_error = now, f"obsolete: {reason}"
            log.debug("notification %s (%s) dropped: %s", row.id, row.kind, reason)
        else:
            row.claimed_until = now + lease
            out.append(
                Outgoing(
                    id=row.id, notice=notice, attempts=row.attempts, leased_until=row.claimed_until
                )
            )
        session.add(row)
    session.flush()
    return out


def mark_sent(
    session: Session,
    *,
    notification_id: int,
    message_id: int | None,
    now: datetime | None = None,
) -> None:
    """Record delivery; a delivered card is remembered so it can be edited once claimed.

    For a card, the request's row is read `FOR SHARE` (PostgreSQL; SQLite serialises writers):
    a claim in flight holds it, so this waits for the claim and then sees it, and a claim that
    comes after waits for this and then sees the card (lifecycle.close_cards). Either way the
    card is edited; without the lock each could miss the other under READ COMMITTED.
    """
    now = now or utcnow()
    row = session.get(Notification, notification_id)
    if row is None:
        return
    row.sent_at, row.sent_message_id, row.claimed_until = now, message_id, None
    session.add(row)
    if row.kind == NoticeKind.CARD and row.request_id is not None and message_id is not None:
        session.add(
            RequestCard(request_id=row.request_id, chat_id=row.chat_id, message_id=message_id)
        )
        session.flush()
        request = session.exec(
            select(ServiceRequest)
            .where(col(ServiceRequest.id) == row.request_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        ).first()
        if request is not None and request.status != RequestStatus.OPEN:
            # Claimed while this card was in flight: the edit queued at claim time missed it.
            enqueue(
                session,
                card_edit_notice(session, request, chat_id=row.chat_id, card=row.params),
                dedupe_key=f"card-late:{row.id}",
                now=now,
            )


def backoff(attempts: int) -> timedelta:
    """Delay before attempt number `attempts + 1`: 2 s, 4 s, 8 s ... capped at an hour."""
    return min(BASE_BACKOFF * (1 << min(max(attempts - 1, 0), 20)), MAX_BACKOFF)


def mark_failed(
    session: Session,
    *,
    notification_id: int,
    error: str,
    now: datetime | None = None,
    retry_after: float | None = None,
    permanent: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
) -> datetime | None:
    """Count a failed attempt; return when it will be retried, or None when given up.

    `retry_after` (Telegram's 429) replaces the back-off and is not held against the message's
    attempts budget beyond the one attempt, since the message itself is fine.
    """
    now = now or utcnow()
    row = session.get(Notification, notification_id)
    if row is None:
        return None
    row.attempts += 1
    row.claimed_until = None
    row.last_error = error[:500]
    retry: datetime | None
    if permanent or (retry_after is None and row.attempts >= max_attempts):
        row.failed_at, retry = now, None
    elif retry_after is not None:
        retry = now + timedelta(seconds=max(retry_after, 0.0))
    else:
        retry = now + backoff(row.attempts)
    if retry is not None:
        row.send_after = retry
    session.add(row)
    return retry


def unclaim(session: Session, *, notification_ids: list[int]) -> None:
    """Give leased notifications back untouched (sent later, in order, by any worker)."""
    if notification_ids:
        session.execute(
            sa.update(Notification)
            .where(col(Notification.id).in_(notification_ids))
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def card_message_ids(session: Session, *, request_id: int, chat_id: int) -> list[int]:
    """The message ids of the cards of a request held in one chat (usually one)."""
    rows = session.exec(
        select(RequestCard.message_id).where(
            RequestCard.request_id == request_id, RequestCard.chat_id == chat_id
        )
    ).all()
    return list(rows)


def pending_count(session: Session) -> int:
    """Notifications still to send (for tests and health checks)."""
    query = (
        select(sa.func.count())
        .select_from(Notification)
        .where(col(Notification.sent_at).is_(None), col(Notification.failed_at).is_(None))
    )
    return int(session.exec(query).one())
