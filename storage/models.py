"""All tables of linli.

Telegram ids are 64-bit (BigInteger); every timestamp is timezone-aware UTC. Statuses are
`str` enums stored as plain strings, so adding one needs no database enum migration.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _created(*, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=index)
    )


def _tg_id(*, unique: bool = False, index: bool = True, nullable: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger(), unique=unique, index=index, nullable=nullable),
    )


class RequestStatus(enum.StrEnum):
    """Lifecycle of a request (工单): open -> claimed -> in_progress -> resolved."""

    OPEN = "open"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    MERGED = "merged"


ACTIVE_STATUSES = (RequestStatus.OPEN, RequestStatus.CLAIMED, RequestStatus.IN_PROGRESS)
# Held by an organisation: claimed or in progress.
HELD_STATUSES = (RequestStatus.CLAIMED, RequestStatus.IN_PROGRESS)


class Priority(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class ActorKind(enum.StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    ADMIN = "admin"
    SYSTEM = "system"


class EventKind(enum.StrEnum):
    """What a RequestEvent records (its `kind` column)."""

    STATUS = "status"
    SUBMITTED = "submitted"
    CLAIMED = "claimed"
    NOTE = "note"
    RESOLVED = "resolved"
    RELEASED = "released"
    STALE_RELEASED = "stale_released"
    BLACKLIST_RELEASED = "blacklist_released"
    ASSIGNED = "assigned"
    RECLASSIFIED = "reclassified"
    FEEDBACK = "feedback"
    REOPENED = "reopened"
    RATED = "rated"
    CANCELLED = "cancelled"
    SUPPORTED = "supported"
    MERGED = "merged"
    MERGED_IN = "merged_in"
    # The request's thread between resident and staff (storage.requests.thread).
    RESIDENT_NOTE = "resident_note"  # the resident added a detail, photo or location (补充)
    PUSHED = "pushed"  # the resident pushed for it (催办)
    ASKED = "asked"  # staff asked the resident a question
    ANSWERED = "answered"  # the resident answered it
    WITHDRAWN = "withdrawn"  # the resident no longer needs a request already held
    # The staff member holding it left the organisation or was removed (storage.membership):
    # the request stays with the organisation; the note names who held it.
    HOLDER_LEFT = "holder_left"
    # 回访 that finishes (storage.requests.followup): reminded once, then closed unanswered.
    FEEDBACK_REMINDED = "feedback_reminded"
    FEEDBACK_EXPIRED = "feedback_expired"  # 未回访: closed without 是/否
    URGED = "urged"  # an admin's 督办 (storage.requests.oversight), naming the holder
    UNDELIVERED = "undelivered"  # a notice never reached the resident (storage.delivery)
    # Staff ask for more time (storage.requests.extensions); the note is "<days>: <reason>".
    EXTENSION_ASKED = "extension_asked"
    EXTENDED = "extended"  # an admin agreed: the limits move by <days> working days
    EXTENSION_REFUSED = "extension_refused"  # an admin did not agree


class NoticeKind(enum.StrEnum):
    """What a queued notice tells (its `kind` column); the bot words each kind."""

    # To staff: a new request in scope, with a claim action; recorded as a RequestCard.
    CARD = "card"
    # Edit the cards of a request held in one chat: it was taken or closed.
    CARD_EDIT = "card_edit"
    # Edit the cards of a request still open: the resident added to it (claim button kept).
    CARD_UPDATE = "card_update"
    # Reminders (催办) and overdue notices of storage.requests.reminders, and the daily digest:
    # each is about a state of its request that may have passed by the time it is sent, and is then
    # dropped (outbox.claim_due).
    REMIND_CLAIM = "remind_claim"  # to staff in scope: claim it before the limit
    OVERDUE_CLAIM = "overdue_claim"  # to admins: nobody claimed it in time
    REMIND_RESOLVE = "remind_resolve"  # to the holder's staff: resolve it before the limit
    OVERDUE_RESOLVE = "overdue_resolve"  # to admins: not resolved in time
    REMIND_STALE = "remind_stale"  # to the holder's staff: no progress, soon back in the queue
    DIGEST = "digest"  # to a digest-mode staff member: the open queue
    # To the resident who filed the request (or, with `supporter` set, to a neighbour who
    # said 我也遇到了): what happened to it.
    CLAIMED = "claimed"
    NOTE = "note"
    RESOLVED = "resolved"
    REQUEUED = "requeued"
    MERGED = "merged"  # the request was merged into another
    QUESTION = "question"  # staff ask the filer a question; the answer is relayed back
    FEEDBACK_REMINDER = "feedback_reminder"  # 回访 not answered after FEEDBACK_REMIND_AFTER
    FEEDBACK_CLOSED = "feedback_closed"  # closed as 未回访 after FEEDBACK_CLOSE_AFTER
    WAITING_FOR_ORGANISATION = "waiting_for_organisation"  # no organisation covers it yet
    # To the staff of an organisation.
    ASSIGNED = "assigned"
    ASSIGNED_AWAY = "assigned_away"
    REOPENED = "reopened"
    STALE_RELEASED = "stale_released"
    ORG_BLACKLISTED = "org_blacklisted"
    ORG_UNBLACKLISTED = "org_unblacklisted"
    # To the staff member who holds a request (or, while open, staff in scope): the thread.
    RESIDENT_NOTE = "resident_note"  # the resident's 补充 (text, photo or location)
    PUSHED = "pushed"  # the resident's 催办
    ANSWER = "answer"  # the resident's answer to a question, to the staff member who asked
    WITHDRAWN = "withdrawn"  # the resident no longer needs it
    ATTACHMENT = "attachment"  # a photo or location of the request, sent to its new holder
    # To admins: a request filed that no organisation's scope covers (the day it is filed).
    UNCOVERED = "uncovered"
    # To admins: a resident's place matched nothing in the gazetteer (once a place a day).
    UNKNOWN_PLACE = "unknown_place"
    # To the staff who should act: an admin's 督办 (with the claim button while open).
    URGED = "urged"
    # To the holder's staff, once: the resident cannot be reached through the bot.
    UNDELIVERED = "undelivered"
    # To a person an admin took out of an organisation (storage.membership).
    STAFF_REMOVED = "staff_removed"
    # To admins: the weekly summary, rendered by the bot itself (a snapshot of the week).
    SUMMARY = "summary"
    # More time for a held request (storage.requests.extensions): to admins, the ask (with
    # 同意/不同意); to the staff member who asked, the answer.
    EXTENSION_ASKED = "extension_asked"
    EXTENSION_GRANTED = "extension_granted"
    EXTENSION_REFUSED = "extension_refused"
    # To the public channel: the anonymised weekly digest (信息公开), rendered by the bot.
    PUBLIC_DIGEST = "public_digest"
    # To the resident told WAITING_FOR_ORGANISATION: an organisation now serves it (once).
    NOW_COVERED = "now_covered"


class NoticeAction(enum.StrEnum):
    """A button a notice offers; the bot labels it and encodes its callback data."""

    CLAIM = "claim"  # claim the request
    ANSWER = "answer"  # 解决了 / 没解决
    RATE = "rate"  # 1-5 stars
    OPEN_QUEUE = "open_queue"  # show the queue
    DECIDE_EXTENSION = "decide_extension"  # 同意 / 不同意 more time (params["ask"])


class AttachmentKind(enum.StrEnum):
    PHOTO = "photo"
    LOCATION = "location"


class NotifyMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


class Resident(SQLModel, table=True):
    __tablename__ = "residents"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _tg_id(unique=True)
    display_name: str = Field(default="", max_length=200)
    community: str | None = Field(default=None, max_length=100)
    building: str | None = Field(default=None, max_length=100)
    created_at: datetime = _created()
    forgotten_at: datetime | None = _ts(nullable=True)


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    contact: str = Field(default="", max_length=200)
    # JSON lists of category codes / community names; NULL means "all".
    categories: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    communities: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    blacklisted: bool = Field(default=False)
    blacklist_reason: str | None = Field(default=None, max_length=500)
    blacklisted_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _created()


class Staff(SQLModel, table=True):
    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _tg_id(unique=True)
    display_name: str = Field(default="", max_length=200)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    notify_mode: str = Field(default=NotifyMode.IMMEDIATE.value, max_length=20)
    joined_at: datetime = _created()


class Invite(SQLModel, table=True):
    __tablename__ = "invites"

    code: str = Field(primary_key=True, max_length=40)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    created_by: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    used_by: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger(), nullable=True))
    used_at: datetime | None = _ts(nullable=True)


class ServiceRequest(SQLModel, table=True):
    """A resident's need (工单); its id is the number residents and staff see (#1024)."""

    __tablename__ = "requests"
    __table_args__ = (
        sa.Index("ix_requests_status_created", "status", "created_at"),
        sa.Index("ix_requests_org_status", "organisation_id", "status"),
        # The staff queue: open requests, most urgent and oldest first.
        sa.Index("ix_requests_queue", "status", "priority", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="residents.id", index=True)
    original_text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    normalised_text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    predicted_category: str = Field(max_length=50)
    predicted_confidence: float = Field(default=0.0)
    category: str = Field(max_length=50, index=True)
    community: str | None = Field(default=None, max_length=100, index=True)
    building: str | None = Field(default=None, max_length=100)
    # The gazetteer's 小区 the place was matched to (storage.gazetteer), and what the resident
    # typed for the place when it matched nothing (kept as written, flagged for an admin).
    compound: str | None = Field(default=None, max_length=100)
    place_id: int | None = Field(default=None, foreign_key="places.id", index=True)
    unmatched_place: str | None = Field(default=None, max_length=100)
    latitude: float | None = None
    longitude: float | None = None
    photo_file_id: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=200)
    status: str = Field(default=RequestStatus.OPEN.value, max_length=20)
    priority: str = Field(default=Priority.NORMAL.value, max_length=20)
    urgency_reason: str | None = Field(default=None, max_length=50)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id")
    claimed_by: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    merged_into_id: int | None = Field(default=None, foreign_key="requests.id")
    supporters: int = Field(default=1)
    reopened_count: int = Field(default=0)
    # Working days an admin added to this claim's limits (storage.requests.extensions);
    # back to 0 whenever the request is claimed again or re-enters the queue.
    extension_days: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    solved: bool | None = None
    rating: int | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True)
    )
    claimed_at: datetime | None = _ts(nullable=True, index=True)
    resolved_at: datetime | None = _ts(nullable=True, index=True)
    last_progress_at: datetime | None = _ts(nullable=True)
    updated_at: datetime = _created()


class RequestEvent(SQLModel, table=True):
    """One change in a request's life: who, when, from which status to which, and why."""

    __tablename__ = "request_events"
    __table_args__ = (sa.Index("ix_request_events_request_at", "request_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="requests.id", index=True)
    at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True)
    )
    actor_kind: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id")
    kind: str = Field(default="status", max_length=30)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))


class RequestAttachment(SQLModel, table=True):
    """A photo or location added to a request after filing (by the resident, or staff's
    完工照片); the ones given while filing stay on the request row."""

    __tablename__ = "request_attachments"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="requests.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="request_events.id")
    kind: str = Field(max_length=20)
    actor_kind: str = Field(max_length=20)
    file_id: str | None = Field(default=None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = _created()


class RequestSupporter(SQLModel, table=True):
    """A resident who said 我也遇到了 (+1) on a request instead of filing a duplicate."""

    __tablename__ = "request_supporters"
    __table_args__ = (sa.UniqueConstraint("request_id", "resident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="requests.id", index=True)
    resident_id: int = Field(foreign_key="residents.id", index=True)
    created_at: datetime = _created(index=True)


class Correction(SQLModel, table=True):
    """A classifier guess corrected by a resident, staff member or admin: training data."""

    __tablename__ = "corrections"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int | None = Field(default=None, foreign_key="requests.id", index=True)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    predicted: str = Field(max_length=50)
    corrected: str = Field(max_length=50)
    source: str = Field(max_length=20)
    created_at: datetime = _created(index=True)


class Draft(SQLModel, table=True):
    """A request being written: the resident's conversation state, kept across restarts."""

    __tablename__ = "drafts"

    telegram_id: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True))
    step: str = Field(max_length=20)
    # Bumped at every step, carried in button data, so stale buttons are recognised.
    version: int = Field(default=1)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))
    updated_at: datetime = _created()


class Notification(SQLModel, table=True):
    """Outbox: a notice to send, written with the change that caused it, sent by a worker.

    It stores what happened (`kind`, the `params` frozen when it was queued, the `actions` it
    offers), not finished text: the bot words it when it sends. Rows queued before notices
    were typed carry their finished text as `params["text"]` (and `params["buttons"]`).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_pending", "sent_at", "send_after"),
        # The worker holds a chat's later messages back while an earlier one is pending.
        sa.Index("ix_notifications_chat", "chat_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    kind: str = Field(max_length=30)
    params: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    actions: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    request_id: int | None = Field(default=None, foreign_key="requests.id", index=True)
    # Unique when set: the same reminder or summary is queued once, whatever restarts.
    dedupe_key: str | None = Field(default=None, max_length=200, sa_column_kwargs={"unique": True})
    created_at: datetime = _created()
    send_after: datetime = _created()
    attempts: int = Field(default=0)
    claimed_until: datetime | None = _ts(nullable=True)
    sent_at: datetime | None = _ts(nullable=True)
    sent_message_id: int | None = None
    failed_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)


class RequestCard(SQLModel, table=True):
    """A request card pushed to a staff member, kept so it can be edited once claimed."""

    __tablename__ = "request_cards"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="requests.id", index=True)
    chat_id: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    message_id: int
    created_at: datetime = _created()


class Lease(SQLModel, table=True):
    """A named lease so that one bot process among several runs a periodic job."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class Place(SQLModel, table=True):
    """One 小区 of the gazetteer (街道 -> 社区 -> 小区) with the other names residents use for it.

    A deployment maintains it as a CSV (`linli places import`); admins edit it in chat.
    `community` is the canonical 社区 name routing, scopes, contracts and summaries use.
    """

    __tablename__ = "places"
    __table_args__ = (sa.UniqueConstraint("community", "compound"),)

    id: int | None = Field(default=None, primary_key=True)
    street: str = Field(max_length=100, index=True)
    community: str = Field(max_length=100, index=True)
    compound: str = Field(max_length=100)
    # Other names: old names, common misspellings, gate names (a JSON list of strings).
    aliases: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ServiceContract(SQLModel, table=True):
    """A government purchase of services (政府购买服务项目): who buys what from whom, where, when.

    An organisation's scope for new requests comes from its active contracts (plus the scope
    admins give it outside contracts, on the organisation row). `targets` maps a figure's name
    (response_rate, on_time_rate, satisfaction_rate, ...) to the value the purchaser fixed.
    """

    __tablename__ = "service_contracts"

    id: int | None = Field(default=None, primary_key=True)
    purchaser: str = Field(max_length=100)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    title: str = Field(default="", max_length=200)
    # Category codes and canonical 社区 names it covers (never NULL: a contract names both).
    categories: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    communities: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    start_date: date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    end_date: date = Field(sa_column=sa.Column(sa.Date(), nullable=False))
    targets: dict[str, float] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    budget_yuan: float | None = None
    # Ended early (`linli contract end`, /contracts): no new cards from that moment.
    ended_at: datetime | None = _ts(nullable=True)
    ended_reason: str | None = Field(default=None, max_length=500)
    created_by: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    created_at: datetime = _created()
    # When the open requests it covers were announced to its organisation's staff: at creation
    # when it is active at once, else by the periodic check once its start date has come
    # (storage.contracts.announce_started_contracts). NULL: not yet, so exactly once.
    announced_at: datetime | None = _ts(nullable=True)
