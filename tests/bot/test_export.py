"""Open311 GeoReport v2 JSON and the flat CSV export of a week's requests."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest

from bot.export import EXTRA_CSV_FIELDS, ExportFormat, export_week
from nlp.categories import category_name
from storage.db import Database
from storage.models import ServiceRequest
from tests.storage.summary_data import TZ, WEEK, build

# The service request fields of the GeoReport v2 specification ("GET Service Requests").
GEOREPORT_V2_FIELDS = {
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
}


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    with db.session() as s:
        return build(s)


def _open311(db: Database) -> list[dict[str, object]]:
    with db.session() as s:
        text = export_week(s, week=WEEK, tz=TZ, fmt="open311", category_name=category_name)
    data = json.loads(text)
    assert isinstance(data, list)
    return data


def test_every_field_is_a_georeport_v2_field(db: Database, ids: dict[str, int]) -> None:
    records = _open311(db)
    assert len(records) == 7
    for record in records:
        assert set(record) == GEOREPORT_V2_FIELDS


def test_record_values(db: Database, ids: dict[str, int]) -> None:
    records = {r["service_request_id"]: r for r in _open311(db)}
    r1 = records[str(ids["r1"])]
    assert (r1["status"], r1["status_notes"], r1["service_code"]) == ("closed", "已办结", "repairs")
    assert (r1["service_name"], r1["agency_responsible"]) == ("设施维修", "X")
    assert r1["requested_datetime"] == "2026-11-16T09:00:00+08:00"
    assert (r1["address"], r1["lat"], r1["media_url"]) == ("玉林社区 3栋", None, None)
    r3 = records[str(ids["r3"])]
    assert (r3["status"], r3["status_notes"]) == ("closed", f"已合并到 #{ids['r2']}")
    assert "13812345678" not in str(r3["description"])
    r2 = records[str(ids["r2"])]
    assert (r2["status"], r2["expected_datetime"], r2["agency_responsible"]) == ("open", None, None)


def test_timestamps_are_iso_8601_with_offset(db: Database, ids: dict[str, int]) -> None:
    for record in _open311(db):
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            value = record[name]
            if value is not None:
                parsed = datetime.fromisoformat(str(value))
                assert parsed.utcoffset() is not None, (name, value)
                assert str(value).endswith("+08:00")


def test_expected_datetime_of_a_held_request(db: Database, ids: dict[str, int]) -> None:
    """r14 was claimed on Tue 24 10:00: five working days later is Tue 1 Dec 10:00."""
    with db.session() as s:
        text = export_week(s, week="2026-W47", tz=TZ, fmt="open311", category_name=category_name)
    r14 = next(r for r in json.loads(text) if r["service_request_id"] == str(ids["r14"]))
    assert r14["expected_datetime"] == "2026-12-01T10:00:00+08:00"


def test_csv_is_flat_with_georeport_columns_first(db: Database, ids: dict[str, int]) -> None:
    with db.session() as s:
        text = export_week(s, week=WEEK, tz=TZ, fmt=ExportFormat.CSV, category_name=category_name)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 7
    header = list(rows[0])
    assert set(header[: len(GEOREPORT_V2_FIELDS)]) == GEOREPORT_V2_FIELDS
    assert tuple(header[len(GEOREPORT_V2_FIELDS) :]) == EXTRA_CSV_FIELDS
    r2 = next(r for r in rows if r["service_request_id"] == str(ids["r2"]))
    assert (r2["residents"], r2["linli_status"], r2["community"]) == ("3", "open", "玉林社区")


def test_empty_week_exports_nothing(db: Database, ids: dict[str, int]) -> None:
    with db.session() as s:
        assert (
            json.loads(
                export_week(s, week="2026-W30", tz=TZ, fmt="open311", category_name=category_name)
            )
            == []
        )
        text = export_week(s, week="2026-W30", tz=TZ, fmt="csv", category_name=category_name)
    assert text.count("\n") == 1  # the header only


def test_unknown_format_is_refused(db: Database) -> None:
    with db.session() as s, pytest.raises(ValueError):
        export_week(s, week=WEEK, tz=TZ, fmt="xml", category_name=category_name)


# --- formulas in the CSV -------------------------------------------------------------------------


def test_csv_neutralises_formulas(db: Database, ids: dict[str, int]) -> None:
    """A text a spreadsheet would run (= + - @, tab, CR first) gets a leading ' (OWASP)."""
    from dataclasses import replace

    from bot.export import csv_text
    from storage.summary import Limits, week_requests

    link = '=HYPERLINK("http://evil.example","点我")'
    with db.session() as s:
        rows = week_requests(s, week=WEEK, tz=TZ)
    rows[0] = replace(rows[0], text=link, community="+玉林社区", building="-3栋", organisation="@X")
    rows[1] = replace(rows[1], text="\t=1+1", building="\r=2")
    text = csv_text(rows, tz=TZ, category_name=category_name, limits=Limits(tz=TZ))
    records = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    first, second = records[0], records[1]
    assert first["description"] == "'" + link
    assert (first["community"], first["building"]) == ("'+玉林社区", "'-3栋")
    assert (first["address"], first["agency_responsible"]) == ("'+玉林社区 -3栋", "'@X")
    assert (second["description"], second["building"]) == ("'\t=1+1", "'\r=2")
    # Plain values are left as they are: dates, numbers, and texts that are not formulas.
    assert first["requested_datetime"] == "2026-11-16T09:00:00+08:00"
    assert records[2]["description"] == "3栋电梯坏了好几天 电话138****5678"
    for record in records:
        for value in record.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_open311_json_keeps_the_texts_as_they_are(db: Database, ids: dict[str, int]) -> None:
    """JSON is data, not a spreadsheet: no quote is added there."""
    with db.session() as s:
        request = s.get(ServiceRequest, ids["r2"])
        assert request is not None
        request.original_text = "=1+1 电梯"
        s.add(request)
    r2 = next(r for r in _open311(db) if r["service_request_id"] == str(ids["r2"]))
    assert r2["description"] == "=1+1 电梯"


# --- the service list ----------------------------------------------------------------------------

# The fields of a service in the GeoReport v2 specification ("GET Service List").
GEOREPORT_V2_SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]


def test_services_list(db: Database, ids: dict[str, int]) -> None:
    from nlp.categories import load_categories

    with db.session() as s:
        text = export_week(s, week=WEEK, tz=TZ, fmt="open311-services", category_name=category_name)
    services = json.loads(text)
    assert isinstance(services, list)
    assert [service["service_code"] for service in services] == [c.code for c in load_categories()]
    for service in services:
        assert list(service) == GEOREPORT_V2_SERVICE_FIELDS
        assert (service["metadata"], service["type"]) == (False, "realtime")
    repairs = next(service for service in services if service["service_code"] == "repairs")
    assert repairs["service_name"] == "设施维修"
    assert repairs["keywords"].split(",")[:3] == ["电梯", "路灯", "水管"]
    assert "电梯" in repairs["description"]
    # Every request's service_code is a service of the list.
    codes = {service["service_code"] for service in services}
    assert {r["service_code"] for r in _open311(db)} <= codes
