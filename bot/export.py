"""`linli export`: a week's requests as Open311 GeoReport v2 JSON or as a flat CSV, and the
GeoReport v2 service list.

GeoReport v2 is the common open format for exchanging service requests (FixMyStreet, city
311 systems), so a district platform can import ours. `open311` is exactly what the
specification's "GET service_requests" (requests.json) returns: a JSON array of service
requests, field names as specified; timestamps are ISO 8601 with the local offset; the
resident's text is masked (phone and ID numbers) as in every export. Telegram photo ids are
not URLs, so `media_url` stays empty. `open311-services` is "GET service list" (services.json):
one service per category, the `service_code` the requests carry.

The CSV is opened by spreadsheets: a text that starts like a formula (= + - @, tab, carriage
return) is prefixed with ' (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.texts import STATUS_NAMES
from bot.texts import summary as t
from nlp.categories import Category, load_categories
from storage.deadlines import Limits, resolve_due_at
from storage.models import ACTIVE_STATUSES
from storage.summary import IsoWeek, RawRequest, week_requests

CategoryName = Callable[[str], str]

# The fields of a service request in GeoReport v2, in the specification's order.
GEOREPORT_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
# Our own columns after the GeoReport ones in the CSV.
EXTRA_CSV_FIELDS = (
    "linli_status",
    "community",
    "building",
    "priority",
    "residents",
    "reopened",
    "claimed_datetime",
    "resolved_datetime",
    "solved",
    "rating",
    "merged_into",
)
_ACTIVE = {status.value for status in ACTIVE_STATUSES}


# A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The fields of a service in GeoReport v2's service list, in the specification's order.
GEOREPORT_SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)


class ExportFormat(enum.StrEnum):
    OPEN311 = "open311"
    OPEN311_SERVICES = "open311-services"
    CSV = "csv"

    @property
    def weekly(self) -> bool:
        """Whether the format holds a week's requests (the service list does not)."""
        return self is not ExportFormat.OPEN311_SERVICES


def _iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat(timespec="seconds")


def _notes(row: RawRequest) -> str:
    if row.merged_into_id is not None:
        return t.STATUS_NOTE_MERGED.format(number=row.merged_into_id)
    return STATUS_NAMES.get(row.status, row.status)


def open311_record(
    row: RawRequest, *, tz: ZoneInfo, category_name: CategoryName, limits: Limits
) -> dict[str, Any]:
    """One request as a GeoReport v2 service request."""
    active = row.status in _ACTIVE
    # Expected to be fulfilled by the resolve limit, which runs from the claim.
    expected = None
    if active and row.claimed_at is not None:
        expected = resolve_due_at(row.claimed_at, limits=limits, extension_days=row.extension_days)
    address = " ".join(part for part in (row.community, row.building) if part) or None
    return {
        "service_request_id": str(row.id),
        "status": "open" if active else "closed",
        "status_notes": _notes(row),
        "service_name": category_name(row.category),
        "service_code": row.category,
        "description": row.text,
        "agency_responsible": row.organisation,
        "service_notice": None,
        "requested_datetime": _iso(row.created_at, tz),
        "updated_datetime": _iso(row.updated_at, tz),
        "expected_datetime": _iso(expected, tz),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": row.latitude,
        "long": row.longitude,
        "media_url": None,
    }


def open311_json(
    rows: Sequence[RawRequest], *, tz: ZoneInfo, category_name: CategoryName, limits: Limits
) -> str:
    """The GeoReport v2 JSON response: an array of service requests."""
    records = [
        open311_record(row, tz=tz, category_name=category_name, limits=limits) for row in rows
    ]
    return json.dumps(records, ensure_ascii=False, indent=2)


def open311_service(category: Category) -> dict[str, Any]:
    """One category as a GeoReport v2 service: no extra attributes, answered in real time."""
    keywords = [word.strip() for word in category.scope.replace("，", "、").split("、")]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.scope or category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(word for word in keywords if word),
        "group": t.OPEN311_GROUP,
    }


def open311_services_json(categories: Sequence[Category] | None = None) -> str:
    """The GeoReport v2 service list (services.json): an array of services, one per category."""
    services = [open311_service(category) for category in categories or load_categories()]
    return json.dumps(services, ensure_ascii=False, indent=2)


def csv_safe(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, prefixed with ' (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(
    rows: Sequence[RawRequest], *, tz: ZoneInfo, category_name: CategoryName, limits: Limits
) -> str:
    """A flat CSV: the GeoReport fields, then linli's own columns (UTF-8 with BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=[*GEOREPORT_FIELDS, *EXTRA_CSV_FIELDS], lineterminator="\r\n"
    )
    writer.writeheader()
    for row in rows:
        record = open311_record(row, tz=tz, category_name=category_name, limits=limits)
        record.update(
            {
                "linli_status": row.status,
                "community": row.community,
                "building": row.building,
                "priority": row.priority,
                "residents": row.supporters,
                "reopened": row.reopened_count,
                "claimed_datetime": _iso(row.claimed_at, tz),
                "resolved_datetime": _iso(row.resolved_at, tz),
                "solved": None if row.solved is None else int(row.solved),
                "rating": row.rating,
                "merged_into": row.merged_into_id,
            }
        )
        writer.writerow({key: csv_safe(value) for key, value in record.items()})
    return "\ufeff" + buffer.getvalue()


def export_week(
    session: Session,
    *,
    week: IsoWeek | str,
    tz: ZoneInfo,
    fmt: ExportFormat | str,
    category_name: CategoryName,
    limits: Limits | None = None,
) -> str:
    """Every request filed during `week`, in the chosen format (the service list: no week)."""
    fmt = ExportFormat(fmt)
    if fmt is ExportFormat.OPEN311_SERVICES:
        return open311_services_json()
    rows = week_requests(session, week=week, tz=tz)
    limits = replace(limits, tz=tz) if limits else Limits(tz=tz)
    if fmt is ExportFormat.OPEN311:
        return open311_json(rows, tz=tz, category_name=category_name, limits=limits)
    return csv_text(rows, tz=tz, category_name=category_name, limits=limits)
