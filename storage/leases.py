"""Named leases and once-only markers, so that one bot process among several does a job."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from storage.models import Lease, utcnow
from storage.sql import insert_if_absent, rowcount


def acquire_lease(
    session: Session, *, name: str, holder: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Take or renew the named lease; False while another holder's lease is still valid.

    Several bot processes may run the same periodic job; the one holding the lease does the
    work, and another takes over once the holder stops renewing it.
    """
    now = now or utcnow()
    leases = SQLModel.metadata.tables["leases"]
    renewed = session.execute(
        sa.update(leases)
        .where(
            leases.c.name == name,
            sa.or_(leases.c.holder == holder, leases.c.expires_at < now),
        )
        .values(holder=holder, expires_at=now + ttl)
    )
    if rowcount(renewed):
        return True
    values = {"name": name, "holder": holder, "expires_at": now + ttl}
    return insert_if_absent(session, leases, values, unless=leases.c.name == name)


def mark_once(session: Session, *, key: str) -> bool:
    """Set a named marker; True only the first time (e.g. 'tell this group once')."""
    try:
        with session.begin_nested():
            session.add(
                Lease(name=key[:100], holder="once", expires_at=utcnow() + timedelta(days=36500))
            )
    except sa.exc.IntegrityError:
        return False
    return True
