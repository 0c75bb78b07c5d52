"""The week's raw requests, one row each with the text masked: the workbook's sheet and the
exports (Open311, CSV)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from nlp.privacy import mask_personal_data
from storage.summary.tables import ORGANISATIONS, REQUESTS, in_range
from storage.summary.weeks import IsoWeek


@dataclass(frozen=True)
class RawRequest:
    """One request filed during the week, with the resident's text masked."""

    id: int
    created_at: datetime
    updated_at: datetime
    category: str
    predicted_category: str
    community: str | None
    building: str | None
    status: str
    priority: str
    organisation: str | None
    supporters: int
    reopened_count: int
    claimed_at: datetime | None
    resolved_at: datetime | None
    solved: bool | None
    rating: int | None
    merged_into_id: int | None
    latitude: float | None
    longitude: float | None
    has_photo: bool
    text: str
    extension_days: int = 0  # working days an admin added to the current claim's limits


_COLUMNS = (
    REQUESTS.c.id,
    REQUESTS.c.created_at,
    REQUESTS.c.updated_at,
    REQUESTS.c.category,
    REQUESTS.c.predicted_category,
    REQUESTS.c.community,
    REQUESTS.c.building,
    REQUESTS.c.status,
    REQUESTS.c.priority,
    ORGANISATIONS.c.name,
    REQUESTS.c.supporters,
    REQUESTS.c.reopened_count,
    REQUESTS.c.claimed_at,
    REQUESTS.c.resolved_at,
    REQUESTS.c.solved,
    REQUESTS.c.rating,
    REQUESTS.c.merged_into_id,
    REQUESTS.c.latitude,
    REQUESTS.c.longitude,
    REQUESTS.c.photo_file_id.is_not(None),
    REQUESTS.c.original_text,
    REQUESTS.c.extension_days,
)


def week_requests(session: Session, *, week: IsoWeek | str, tz: ZoneInfo) -> list[RawRequest]:
    """Every request filed during `week`, oldest first (for the workbook and the exports)."""
    start, end = IsoWeek.coerce(week).bounds(tz)
    r, o = REQUESTS, ORGANISATIONS
    query = (
        sa.select(*_COLUMNS)
        .select_from(r.outerjoin(o, o.c.id == r.c.organisation_id))
        .where(in_range(r.c.created_at, start, end))
        .order_by(r.c.created_at, r.c.id)
    )
    names = [f.name for f in fields(RawRequest)]
    result = []
    for row in session.execute(query):
        values = [*row[:-3], bool(row[-3]), mask_personal_data(row[-2]), row[-1] or 0]
        result.append(RawRequest(**dict(zip(names, values, strict=True))))
    return result
