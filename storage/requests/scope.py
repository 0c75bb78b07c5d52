"""Changing what an organisation serves, with the cards that follow: open requests that newly
fall in its scope reach its staff as cards, like new ones (storage.requests.cards; the dedupe
keys send each member at most one card per request and opening)."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session

from storage import organisations
from storage.models import Organisation
from storage.organisations import KEEP, Scope
from storage.requests.cards import announce_new_request
from storage.requests.claims import open_in_scope

# The most open requests a scope change announces (the oldest first; the rest are in /queue).
MAX_ANNOUNCED = 200


def _announce(session: Session, organisation: Organisation) -> int:
    _total, rows = open_in_scope(session, organisation=organisation, offset=0, limit=MAX_ANNOUNCED)
    return sum(announce_new_request(session, request=row) for row in rows)


def set_scope(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
    categories: Scope = KEEP,
    communities: Scope = KEEP,
) -> Organisation:
    """`organisations.set_scope`, then cards for the open requests now in scope."""
    org = organisations.set_scope(
        session,
        actor_id=actor_id,
        admin_ids=admin_ids,
        organisation=organisation,
        categories=categories,
        communities=communities,
    )
    _announce(session, org)
    return org


def toggle_category(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
    category: str,
) -> Organisation:
    """`organisations.toggle_category`, then cards for the open requests now in scope."""
    org = organisations.toggle_category(
        session,
        actor_id=actor_id,
        admin_ids=admin_ids,
        organisation=organisation,
        category=category,
    )
    _announce(session, org)
    return org
