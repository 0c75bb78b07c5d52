"""Drafts: a request (or an organisation) being written, kept across bot restarts.

A resident's draft carries a `NeedDraft` (what they have said so far), stored as JSON in
`Draft.data` with the same keys as ever, so rows written by earlier versions still load. The
admin's /neworg dialogue keeps its own plain dict in the same table. Every write bumps the
draft's version, which button data carries: a button of an older step is recognised as stale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import DraftChanged
from storage.models import Draft, utcnow
from storage.sql import insert_once, rowcount

# A draft untouched this long is abandoned: the resident's next message starts a new need.
DRAFT_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class NeedDraft:
    """What a resident has said about a need so far (the data of their draft).

    The first seven fields come from the description and its classification; the rest are
    added step by step. `duplicate` is the request a neighbour already filed for the same need.
    """

    text: str
    normalised: str
    predicted: str
    confidence: float
    confident: bool
    top: tuple[tuple[str, float], ...] = ()
    urgency: str | None = None
    category: str | None = None
    community: str | None = None
    building: str | None = None
    photo: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    contact: str | None = None
    duplicate: int | None = None
    # At the bot's "adding" step: the resident's request the next message is added to (补充).
    target: int | None = None
    # At the bot's "route" step: the id of the resident's message the choice is about (its
    # buttons name it, so a button of an earlier choice never acts on a later message).
    kept_from: int | None = None
    # The gazetteer's answer (storage.gazetteer): the 小区 and its place when matched, or the
    # place as typed when it matched nothing; while unsure, the places offered (community,
    # 小区, place id) and what the resident typed for the place.
    compound: str | None = None
    place_id: int | None = None
    unmatched_place: str | None = None
    place_choices: tuple[tuple[str, str | None, int | None], ...] = ()
    place_typed: str | None = None

    # What a resident may add at any step; kept when they describe the need again.
    ATTACHMENTS: ClassVar[tuple[str, ...]] = ("photo", "latitude", "longitude", "contact")
    # Left out of the JSON while unset, as they always were.
    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "category",
        "community",
        "building",
        "photo",
        "latitude",
        "longitude",
        "contact",
        "duplicate",
        "target",
        "kept_from",
        "compound",
        "place_id",
        "unmatched_place",
        "place_typed",
    )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """From `Draft.data`; absent keys are None (rows of older versions lack some)."""
        return cls(
            text=str(data["text"]),
            normalised=str(data["normalised"]),
            predicted=str(data["predicted"]),
            confidence=float(data["confidence"]),
            confident=bool(data["confident"]),
            top=tuple((str(label), float(p)) for label, p in data.get("top") or ()),
            urgency=data.get("urgency"),
            category=data.get("category"),
            community=data.get("community"),
            building=data.get("building"),
            photo=data.get("photo"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            contact=data.get("contact"),
            duplicate=None if data.get("duplicate") is None else int(data["duplicate"]),
            target=None if data.get("target") is None else int(data["target"]),
            kept_from=None if data.get("kept_from") is None else int(data["kept_from"]),
            compound=data.get("compound"),
            place_id=None if data.get("place_id") is None else int(data["place_id"]),
            unmatched_place=data.get("unmatched_place"),
            place_choices=tuple(
                (str(community), None if compound is None else str(compound), place_id)
                for community, compound, place_id in data.get("place_choices") or ()
            ),
            place_typed=data.get("place_typed"),
        )

    def to_json(self) -> dict[str, Any]:
        """For `Draft.data`: the keys set, as before (unset optional ones are left out)."""
        data: dict[str, Any] = {
            "text": self.text,
            "normalised": self.normalised,
            "predicted": self.predicted,
            "confidence": self.confidence,
            "confident": self.confident,
            "top": [list(item) for item in self.top],
            "urgency": self.urgency,
        }
        for name in self._OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.place_choices:
            data["place_choices"] = [list(choice) for choice in self.place_choices]
        return data

    def attachments(self) -> dict[str, Any]:
        """The photo, location and contact given so far (kept for a new description)."""
        return {name: getattr(self, name) for name in self.ATTACHMENTS}

    def but(self, **changes: Any) -> Self:
        """A copy with `changes`."""
        return dataclasses.replace(self, **changes)

    @property
    def place(self) -> str:
        """Community, 小区 (when the gazetteer knew it) and building."""
        return " ".join(p for p in (self.community, self.compound, self.building) if p)

    @property
    def has_extras(self) -> bool:
        """A photo, a location or a contact was added."""
        return bool(self.photo or self.latitude is not None or self.contact)


def need_of(draft: Draft) -> NeedDraft:
    """The resident's need in `draft` (a resident's draft, at any of their steps)."""
    return NeedDraft.from_json(draft.data)


def load_draft(session: Session, *, telegram_id: int) -> Draft | None:
    return session.get(Draft, telegram_id)


def current_draft(
    session: Session,
    *,
    telegram_id: int,
    now: datetime | None = None,
    ttl: timedelta = DRAFT_TTL,
    quiet_steps: Collection[str] = (),
) -> tuple[Draft | None, bool]:
    """The draft a new message continues, and whether an abandoned one was just discarded.

    A draft untouched for longer than `ttl` is deleted (unless another update touched it
    meanwhile) and `(None, True)` returned: the message starts a new need. A draft at one of
    `quiet_steps` (not a need being written: a choice waiting for a button) goes without a
    word: `(None, False)`.
    """
    draft = session.get(Draft, telegram_id)
    if draft is None:
        return None, False
    now = now or utcnow()
    if now - draft.updated_at <= ttl:
        return draft, False
    session.execute(
        sa.delete(Draft).where(
            col(Draft.telegram_id) == telegram_id, col(Draft.version) == draft.version
        )
    )
    return None, draft.step not in quiet_steps


def _insert_draft(session: Session, draft: Draft) -> bool:
    """Insert a new draft row; False when another transaction inserted one first.

    SQLite serialises writers (BEGIN IMMEDIATE), so the caller's check that no row exists
    still holds; on PostgreSQL a concurrent insert shows as a unique violation, caught in a
    SAVEPOINT so that the caller's transaction carries on.
    """
    statement = sa.insert(Draft).values(
        telegram_id=draft.telegram_id,
        step=draft.step,
        version=draft.version,
        data=draft.data,
        updated_at=draft.updated_at,
    )
    return insert_once(session, statement)


def save_draft(
    session: Session,
    *,
    telegram_id: int,
    step: str,
    data: Mapping[str, Any] | NeedDraft,
    expect_version: int | None = None,
) -> Draft:
    """Create or advance the draft, bumping its version so older buttons go stale.

    With `expect_version` (the version the caller read; 0 when it found no draft) the write
    is a compare-and-set: `DraftChanged` when another update wrote the draft in between, so
    that the caller reads it again instead of overwriting what that update kept. Without it
    the last write wins; either way a concurrent first insert does not fail.
    """
    values = data.to_json() if isinstance(data, NeedDraft) else dict(data)
    for _attempt in range(2):
        current = session.exec(
            select(Draft)
            .where(col(Draft.telegram_id) == telegram_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        found = current.version if current is not None else 0
        if expect_version is not None and found != expect_version:
            raise DraftChanged(f"draft is at version {found}, not {expect_version}")
        now = utcnow()
        if current is not None:
            current.step = step
            current.data = dict(values)
            current.version = found + 1
            current.updated_at = now
            session.add(current)
            session.flush()
            return current
        draft = Draft(
            telegram_id=telegram_id, step=step, data=dict(values), version=1, updated_at=now
        )
        if _insert_draft(session, draft):
            return draft
        if expect_version is not None:
            raise DraftChanged("draft created by another update")
    raise DraftChanged("draft created and changed by other updates")


def delete_draft(session: Session, *, telegram_id: int) -> bool:
    deleted = session.execute(sa.delete(Draft).where(col(Draft.telegram_id) == telegram_id))
    return rowcount(deleted) > 0


def consume_draft(session: Session, *, telegram_id: int, version: int, step: str) -> Draft | None:
    """The draft confirmed at `step`, `version`, deleted in the caller's transaction; None when
    it is gone or changed. Of two taps on a confirm button, one deletes it (PostgreSQL: the other
    waits for that commit) and the other finds nothing: whatever it confirms happens once."""
    draft = load_draft(session, telegram_id=telegram_id)
    consumed = session.execute(
        sa.delete(Draft).where(
            col(Draft.telegram_id) == telegram_id,
            col(Draft.version) == version,
            col(Draft.step) == step,
        )
    )
    return draft if draft is not None and rowcount(consumed) else None


def take_kept(session: Session, *, telegram_id: int, step: str, kept_from: int) -> NeedDraft | None:
    """The message kept at `step` for the choice whose buttons name `kept_from`, taken out of
    the table at once: a second press (here or in another bot process) finds nothing."""
    draft = session.get(Draft, telegram_id)
    if draft is None or draft.step != step:
        return None
    need = need_of(draft)
    if need.kept_from != kept_from:
        return None
    deleted = session.execute(
        sa.delete(Draft).where(
            col(Draft.telegram_id) == telegram_id, col(Draft.version) == draft.version
        )
    )
    return need if rowcount(deleted) else None
