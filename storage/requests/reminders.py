"""The periodic check that enforces the time limits (storage.deadlines), and the daily digest.

The periodic check queues every reminder with a dedupe key naming the request, the moment its
clock started and the recipient: it is queued once, whatever the number of ticks or restarts,
and a request that re-enters the queue starts a new clock with new keys. A held request granted
more time (storage.requests.extensions) has its extension in the key too: its moved deadline
is reminded of, and told to admins when passed, once more.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.deadlines import (
    REMIND_LEAD,
    Limits,
    claim_deadline,
    resolve_deadline,
    stale_deadline,
    stale_release_at,
    surely_elapsed_before,
)
from storage.models import (
    HELD_STATUSES,
    ActorKind,
    EventKind,
    NoticeAction,
    NoticeKind,
    Notification,
    NotifyMode,
    Organisation,
    Priority,
    RequestStatus,
    ServiceRequest,
    Staff,
    utcnow,
)
from storage.notices import Notice, moment, request_brief
from storage.organisations import covers, organisation_contracts
from storage.outbox import enqueue, queued_keys
from storage.requests.claims import open_in_scope, requeue
from storage.requests.records import Actor

log = logging.getLogger(__name__)

DIGEST_TIME = time(8, 30)
DIGEST_LINES = 10


@dataclass
class CheckReport:
    """What one run of the check did (counts of queued messages and released requests)."""

    reminders: int = 0
    overdue_notices: int = 0
    stale_warnings: int = 0
    released: list[int] = field(default_factory=list)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _held_round(request: ServiceRequest, start: datetime) -> str:
    """A held request's round: its clock's start, and the working days granted since."""
    extension = request.extension_days or 0
    return f"{request.id}:{_epoch(start)}" + (f"+{extension}" if extension else "")


def _extended() -> sa.ColumnElement[bool]:
    """Granted more time: its moved deadline is a new round, whatever was noticed before."""
    return col(ServiceRequest.extension_days) > 0


def _not_yet_noticed(
    kind: NoticeKind, start: sa.ColumnElement[Any] | sa.orm.Mapped[Any]
) -> sa.ColumnElement[bool]:
    """No `kind` notice about this request since its clock started (nothing left to do)."""
    return ~(
        sa.select(sa.literal(1))
        .where(
            col(Notification.request_id) == col(ServiceRequest.id),
            col(Notification.kind) == kind,
            col(Notification.created_at) >= start,
        )
        .exists()
    )


def _queue_all(session: Session, items: list[tuple[str, Notice]], *, now: datetime) -> int:
    """Queue (dedupe key, notice) items whose key is new; returns how many."""
    if not items:
        return 0
    known = queued_keys(session, keys=[key for key, _notice in items])
    queued = 0
    for key, notice in items:
        if key not in known:
            queued += enqueue(session, notice, dedupe_key=key, now=now)
    return queued


def release_stale_claims(session: Session, *, limits: Limits, now: datetime) -> list[int]:
    """Return to the queue held requests with no note or progress for N working days."""
    cutoff = now - timedelta(days=limits.stale_days)
    rows = session.exec(
        select(ServiceRequest)
        .where(
            col(ServiceRequest.status).in_(HELD_STATUSES),
            col(ServiceRequest.last_progress_at) <= cutoff,
        )
        .order_by(col(ServiceRequest.id))
    ).all()
    released: list[int] = []
    for request in rows:
        assert request.id is not None and request.last_progress_at is not None
        days = limits.stale_days + (request.extension_days or 0)
        if now < stale_release_at(
            request.last_progress_at, limits, extension_days=request.extension_days or 0
        ):
            continue
        if requeue(
            session,
            request=request,
            by=Actor(ActorKind.SYSTEM, None),
            kind=EventKind.STALE_RELEASED,
            note=f"no progress for {days} working days",
            now=now,
            staff_notice=(NoticeKind.STALE_RELEASED, {"number": request.id, "days": days}),
        ):
            released.append(request.id)
            log.info("request #%s returned to the queue: no progress", request.id)
    return released


def check_deadlines(
    session: Session,
    *,
    limits: Limits,
    admin_ids: Collection[int],
    now: datetime | None = None,
) -> CheckReport:
    """Release stale claims, remind staff of near limits (催办), tell admins of passed ones."""
    now = now or utcnow()
    report = CheckReport(released=release_stale_claims(session, limits=limits, now=now))
    organisations = list(session.exec(select(Organisation)).all())
    active = [org for org in organisations if not org.blacklisted]
    contracts = organisation_contracts(session, at=now, tz=limits.tz)
    names = {org.id: org.name for org in organisations}
    barred = {org.id for org in organisations if org.blacklisted}
    staff_by_org: dict[int, list[Staff]] = {}
    for member in session.exec(select(Staff).order_by(col(Staff.id))).all():
        staff_by_org.setdefault(member.organisation_id, []).append(member)
    items: list[tuple[str, Notice]] = []
    overdue_items: list[tuple[str, Notice]] = []
    stale_items: list[tuple[str, Notice]] = []

    # Open requests: the claim limit. The earliest a reminder can be due is 3/4 of the
    # shortest limit after the clock started, which bounds the rows read.
    shortest = min(timedelta(hours=limits.urgent_claim_hours), timedelta(days=limits.claim_days))
    start = sa.func.coalesce(col(ServiceRequest.last_progress_at), col(ServiceRequest.created_at))
    open_filters = [
        col(ServiceRequest.status) == RequestStatus.OPEN.value,
        start <= now - shortest * 3 / 4,
        _not_yet_noticed(NoticeKind.OVERDUE_CLAIM, start),
    ]
    held_filters = [
        col(ServiceRequest.status).in_(HELD_STATUSES),
        col(ServiceRequest.claimed_at) <= now - timedelta(days=limits.resolve_days) * 3 / 4,
        sa.or_(
            _not_yet_noticed(NoticeKind.OVERDUE_RESOLVE, col(ServiceRequest.claimed_at)),
            _extended(),
        ),
    ]
    if not admin_ids:
        # Nobody to tell of a passed limit, so no notice marks it as done: leave out what is
        # surely past its limit rather than reading it again at every tick.
        urgent = col(ServiceRequest.priority) == Priority.URGENT.value
        open_filters.append(
            sa.or_(
                sa.and_(urgent, start > now - timedelta(hours=limits.urgent_claim_hours)),
                sa.and_(
                    ~urgent,
                    start >= surely_elapsed_before(now, limits.claim_days, tz=limits.tz),
                ),
            )
        )
        held_filters.append(
            sa.or_(
                col(ServiceRequest.claimed_at)
                >= surely_elapsed_before(now, limits.resolve_days, tz=limits.tz),
                _extended(),
            )
        )
    open_rows = session.exec(
        select(ServiceRequest).where(*open_filters).order_by(col(ServiceRequest.id))
    ).all()
    for request in open_rows:
        deadline = claim_deadline(request, limits)
        if now < deadline.remind_at:
            continue
        round_ = f"{request.id}:{_epoch(deadline.start)}"
        fields = {**request_brief(request), "deadline": moment(deadline.due.astimezone(limits.tz))}
        if deadline.overdue(now):
            for admin in sorted(admin_ids):
                key = f"overdue-claim:{round_}:{admin}"
                notice = Notice(NoticeKind.OVERDUE_CLAIM, admin, fields, request_id=request.id)
                overdue_items.append((key, notice))
            continue
        for org in active:
            if org.id is None or not covers(
                org,
                contracts.get(org.id, []),
                category=request.category,
                community=request.community,
            ):
                continue
            for member in staff_by_org.get(org.id, []):
                if member.notify_mode != NotifyMode.OFF.value:
                    key = f"remind-claim:{round_}:{member.telegram_id}"
                    notice = Notice(
                        NoticeKind.REMIND_CLAIM, member.telegram_id, fields, request_id=request.id
                    )
                    items.append((key, notice))

    # Held requests: the resolve limit, for the organisation that holds it.
    held_rows = session.exec(
        select(ServiceRequest).where(*held_filters).order_by(col(ServiceRequest.id))
    ).all()
    for request in held_rows:
        deadline = resolve_deadline(request, limits)
        if now < deadline.remind_at or request.organisation_id is None:
            continue
        round_ = _held_round(request, deadline.start)
        fields = {
            "number": request.id,
            "category": request.category,
            "organisation": names.get(request.organisation_id, ""),
            "deadline": moment(deadline.due.astimezone(limits.tz)),
        }
        if deadline.overdue(now):
            for admin in sorted(admin_ids):
                key = f"overdue-resolve:{round_}:{admin}"
                notice = Notice(NoticeKind.OVERDUE_RESOLVE, admin, fields, request_id=request.id)
                overdue_items.append((key, notice))
            continue
        for member in staff_by_org.get(request.organisation_id, []):
            key = f"remind-resolve:{round_}:{member.telegram_id}"
            notice = Notice(
                NoticeKind.REMIND_RESOLVE, member.telegram_id, fields, request_id=request.id
            )
            items.append((key, notice))

    # Held requests without progress: warned a few hours before they go back to the queue.
    # The key names the last progress, so a note starts a new round (and a new warning).
    stale_rows = session.exec(
        select(ServiceRequest)
        .where(
            col(ServiceRequest.status).in_(HELD_STATUSES),
            col(ServiceRequest.last_progress_at)
            <= now - (timedelta(days=limits.stale_days) - REMIND_LEAD),
            sa.or_(
                _not_yet_noticed(NoticeKind.REMIND_STALE, col(ServiceRequest.last_progress_at)),
                _extended(),
            ),
        )
        .order_by(col(ServiceRequest.id))
    ).all()
    for request in stale_rows:
        holder = request.organisation_id
        deadline = stale_deadline(request, limits)
        if holder is None or holder in barred or not deadline.remind_at <= now < deadline.due:
            continue
        fields = {
            "number": request.id,
            "category": request.category,
            "days": limits.stale_days + (request.extension_days or 0),
            "deadline": moment(deadline.due.astimezone(limits.tz)),
        }
        for member in staff_by_org.get(holder, []):
            key = f"remind-stale:{_held_round(request, deadline.start)}:{member.telegram_id}"
            notice = Notice(
                NoticeKind.REMIND_STALE, member.telegram_id, fields, request_id=request.id
            )
            stale_items.append((key, notice))

    report.reminders = _queue_all(session, items, now=now)
    report.overdue_notices = _queue_all(session, overdue_items, now=now)
    report.stale_warnings = _queue_all(session, stale_items, now=now)
    if report.reminders or report.overdue_notices or report.stale_warnings or report.released:
        log.info(
            "deadline check: %d reminder(s), %d overdue notice(s), %d stale warning(s), "
            "%d released",
            report.reminders,
            report.overdue_notices,
            report.stale_warnings,
            len(report.released),
        )
    return report


def queue_digests(
    session: Session, *, tz: tzinfo, now: datetime | None = None, at: time = DIGEST_TIME
) -> int:
    """Once a day after `at` (local), one summary of the open queue per digest-mode member.

    Keyed by member and local date, so it is queued once a day whichever process or tick gets
    there first, and still goes out the same day if the bot was down at `at`.
    """
    now = now or utcnow()
    local = now.astimezone(tz)
    if local.time() < at:
        return 0
    members = session.exec(
        select(Staff, Organisation)
        .join(Organisation, col(Organisation.id) == col(Staff.organisation_id))
        .where(
            Staff.notify_mode == NotifyMode.DIGEST.value,
            col(Organisation.blacklisted).is_(False),
        )
        .order_by(col(Staff.id))
    ).all()
    keys = {
        member.telegram_id: f"digest:{member.telegram_id}:{local.date()}" for member, _ in members
    }
    done = queued_keys(session, keys=list(keys.values()))
    queued = 0
    for member, organisation in members:
        key = keys[member.telegram_id]
        if key in done:
            continue
        count, rows = open_in_scope(
            session, organisation=organisation, offset=0, limit=DIGEST_LINES
        )
        if not count:
            continue
        notice = Notice(
            NoticeKind.DIGEST,
            member.telegram_id,
            {"count": count, "requests": [request_brief(row) for row in rows]},
            actions=(NoticeAction.OPEN_QUEUE,),
        )
        queued += enqueue(session, notice, dedupe_key=key, now=now)
    return queued
