"""The notification outbox: messages written with the change that caused them, sent later.

A status change and the messages it causes commit together, so a crash or a Telegram outage
loses nothing: the worker (bot.notifier) claims due rows with a short lease, sends them and
marks them sent, or schedules a retry with exponential back-off. Delivery is at least once:
a process that dies between sending and marking lets the lease expire and the row is sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, SQLModel, col, select

from storage.models import Notification, RequestCard, RequestStatus, ServiceRequest, utcnow

log = logging.getLogger(__name__)

# Kinds the worker treats specially; any other kind is a plain message.
KIND_CARD = "card"  # a new request pushed to staff with a 认领 button; recorded as a RequestCard
KIND_CARD_EDIT = "card_edit"  # edit the cards of `request_id` held in `chat_id` to `text`

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(hours=1)
DEFAULT_LEASE = timedelta(seconds=60)
# PostgreSQL advisory lock serialising claims (the claim is one short transaction; sending
# happens outside it). Without it, two workers claiming at the same instant would not see each
# other's uncommitted leases and could split one chat's messages between them, out of order.
CLAIM_LOCK_KEY = 0x6C696E6C69  # "linli"

Buttons = list[list[tuple[str, str]]]


def rowcount(result: object) -> int:
    """Rows touched by an UPDATE/DELETE/INSERT executed through a session."""
    return int(cast(CursorResult[Any], result).rowcount)


def insert_once(session: Session, statement: sa.Insert) -> bool:
    """Run an `INSERT ... SELECT ... WHERE NOT EXISTS`; False when a twin row won a race.

    SQLite serialises writers, so its NOT EXISTS check cannot race; and pysqlite's SAVEPOINT
    commits the whole transaction when it is the transaction's first statement, so it is not
    used there. PostgreSQL can race between the check and the insert: the loser's unique
    violation is caught inside a SAVEPOINT and the outer transaction carries on.
    """
    # SQLAlchemy reports an INSERT's row count only when asked to.
    statement = statement.execution_options(preserve_rowcount=True)
    if session.get_bind().dialect.name == "sqlite":
        return rowcount(session.execute(statement)) > 0
    try:
        with session.begin_nested():
            return rowcount(session.execute(statement)) > 0
    except sa.exc.IntegrityError:
        return False


def enqueue(
    session: Session,
    *,
    chat_id: int,
    text: str,
    buttons: Buttons | None = None,
    kind: str = "info",
    request_id: int | None = None,
    dedupe_key: str | None = None,
    send_after: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a message in the caller's transaction; False when `dedupe_key` is already queued."""
    now = now or utcnow()
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "buttons": [[[label, data] for label, data in row] for row in buttons] if buttons else None,
        "kind": kind,
        "request_id": request_id,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "send_after": send_after or now,
        "attempts": 0,
    }
    if dedupe_key is None:
        session.execute(sa.insert(Notification).values(**values))
        return True
    table = SQLModel.metadata.tables["notifications"]
    exists = sa.select(sa.literal(1)).where(table.c.dedupe_key == dedupe_key).exists()
    literals = [sa.literal(v, type_=table.c[k].type).label(k) for k, v in values.items()]
    statement = sa.insert(table).from_select(list(values), sa.select(*literals).where(~exists))
    return insert_once(session, statement)


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
    """A claimed notification, detached from the session, ready to send."""

    id: int
    chat_id: int
    text: str
    buttons: Buttons | None
    kind: str
    request_id: int | None
    attempts: int


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
    chat's messages go out in order whatever the number of workers. Cards for requests
    that were claimed meanwhile are dropped here instead of being sent with a dead button.
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
    card_requests = {r.request_id for r in rows if r.kind == KIND_CARD and r.request_id}
    closed: set[int] = set()
    if card_requests:
        found = session.exec(
            select(ServiceRequest.id).where(
                col(ServiceRequest.id).in_(card_requests),
                col(ServiceRequest.status) != RequestStatus.OPEN.value,
            )
        ).all()
        closed = {number for number in found if number is not None}
    out: list[Outgoing] = []
    for row in rows:
        assert row.id is not None
        if row.kind == KIND_CARD and row.request_id in closed:
            row.failed_at, row.last_error = now, "obsolete: request no longer open"
        else:
            row.claimed_until = now + lease
            out.append(
                Outgoing(
                    id=row.id,
                    chat_id=row.chat_id,
                    text=row.text,
                    buttons=[[(b[0], b[1]) for b in line] for line in row.buttons]
                    if row.buttons
                    else None,
                    kind=row.kind,
                    request_id=row.request_id,
                    attempts=row.attempts,
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
    """Record delivery; a delivered card is remembered so it can be edited once claimed."""
    now = now or utcnow()
    row = session.get(Notification, notification_id)
    if row is None:
        return
    row.sent_at, row.sent_message_id, row.claimed_until = now, message_id, None
    session.add(row)
    if row.kind == KIND_CARD and row.request_id is not None and message_id is not None:
        session.add(
            RequestCard(request_id=row.request_id, chat_id=row.chat_id, message_id=message_id)
        )
        request = session.get(ServiceRequest, row.request_id)
        if request is not None and request.status != RequestStatus.OPEN.value:
            # Claimed while this card was in flight: the edit queued at claim time missed it.
            # (Imported here: lifecycle builds on this module.)
            from storage.lifecycle import card_closed_text

            enqueue(
                session,
                chat_id=row.chat_id,
                text=card_closed_text(session, request=request, base_text=row.text),
                kind=KIND_CARD_EDIT,
                request_id=row.request_id,
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
