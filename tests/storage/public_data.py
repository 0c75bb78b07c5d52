"""A week of needs full of things that must never be published: residents' names, phone and ID
numbers, buildings, 小区, a place typed as a person's name. Used by the public digest's tests.

ISO week 2026-W47 runs Mon 16 Nov to Sun 22 Nov 2026 (Asia/Shanghai). The gazetteer knows
玉林社区 (小区 芳华小区) and 望江社区 (小区 锦官小区); the organisation 玉林社工站 serves both.

Needs of W47 (the counts the digest must give):
- 玉林社区 × repairs: 6 (matched to 芳华小区, building 7栋3单元502), each claimed by 玉林社工站
  within the hour and resolved the next day;
- 玉林社区 × elderly: 2 (matched);
- 望江社区 × environment: 3 (typed "望江社区", no 小区 matched: the name is the gazetteer's);
- an unknown place × safety_disputes: 1 (typed as "王秀英家楼下", matched nothing);
- 玉林社区 × a category code no longer in use: 1 (counted under "other").
Not needs, or not of W47: one withdrawn and one merged in 玉林社区, one filed the Sunday before
the week and one the Monday after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.models import (
    ActorKind,
    EventKind,
    Organisation,
    Place,
    RequestEvent,
    RequestStatus,
    Resident,
    ServiceRequest,
)

TZ = ZoneInfo("Asia/Shanghai")
WEEK = "2026-W47"
# Wednesday of the following week: W47 has ended.
AFTER = datetime(2026, 11, 25, 12, 0, tzinfo=TZ).astimezone(UTC)
# Thursday of W47: it has not.
DURING = datetime(2026, 11, 19, 12, 0, tzinfo=TZ).astimezone(UTC)
ORGANISATION = "玉林社工站"

# Everything here identifies a resident; none of it may appear in anything public.
NAMES = ("王秀英", "李建国", "张小凤")
PHONES = ("13912345678", "18628001234")
ID_NUMBER = "510104195003150021"
BUILDING = "7栋3单元502"
COMPOUND = "芳华小区"
UNKNOWN_PLACE = "王秀英家楼下"
TEXTS = (
    f"我是{NAMES[0]}，{BUILDING}的水管爆了，电话{PHONES[0]}",
    f"{COMPOUND}电梯坏了三天，{NAMES[1]}腿脚不便，联系{PHONES[1]}",
    f"身份证{ID_NUMBER}，想申请助餐，找{NAMES[2]}",
)
TELEGRAM_IDS = (7_310_000_001, 7_310_000_002, 7_310_000_003)
# What must never be published, whatever it is embedded in.
SECRETS = (*NAMES, *PHONES, ID_NUMBER, BUILDING, COMPOUND, UNKNOWN_PLACE, "7栋", "502")


def local(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ).astimezone(UTC)


@dataclass
class PublicWeek:
    """The rows written, for tests that act on them."""

    session: Session
    places: dict[str, int] = field(default_factory=dict)
    residents: list[int] = field(default_factory=list)
    organisation_id: int = 0
    requests: list[int] = field(default_factory=list)
    _turn: int = 0

    def _resident(self) -> int:
        self._turn += 1
        return self.residents[self._turn % len(self.residents)]

    def _text(self) -> str:
        return TEXTS[self._turn % len(TEXTS)]

    def need(
        self,
        created: datetime,
        *,
        category: str,
        community: str | None,
        place: str | None = None,
        status: str = RequestStatus.OPEN.value,
        unmatched: str | None = None,
    ) -> ServiceRequest:
        request = ServiceRequest(
            resident_id=self._resident(),
            original_text=self._text(),
            normalised_text=self._text(),
            predicted_category=category,
            predicted_confidence=0.9,
            category=category,
            community=community,
            building=BUILDING,
            compound=COMPOUND if place else None,
            place_id=self.places[place] if place else None,
            unmatched_place=unmatched,
            contact=PHONES[self._turn % len(PHONES)],
            latitude=30.6312,
            longitude=104.0534,
            status=status,
            created_at=created,
            updated_at=created,
        )
        self.session.add(request)
        self.session.flush()
        assert request.id is not None
        self.requests.append(request.id)
        self._event(request, created, EventKind.SUBMITTED, None, RequestStatus.OPEN.value)
        return request

    def _event(
        self,
        request: ServiceRequest,
        at: datetime,
        kind: EventKind,
        before: str | None,
        after: str | None,
        organisation_id: int | None = None,
    ) -> None:
        assert request.id is not None
        self.session.add(
            RequestEvent(
                request_id=request.id,
                at=at,
                actor_kind=ActorKind.SYSTEM.value,
                kind=kind.value,
                from_status=before,
                to_status=after,
                organisation_id=organisation_id,
                note=self._text(),
            )
        )

    def claim_and_resolve(self, request: ServiceRequest) -> None:
        claimed = request.created_at + timedelta(hours=1)
        resolved = request.created_at + timedelta(days=1)
        request.status = RequestStatus.RESOLVED.value
        request.organisation_id = self.organisation_id
        request.claimed_by = TELEGRAM_IDS[0]
        request.claimed_at, request.resolved_at = claimed, resolved
        self.session.add(request)
        self._event(
            request,
            claimed,
            EventKind.CLAIMED,
            RequestStatus.OPEN.value,
            RequestStatus.CLAIMED.value,
            self.organisation_id,
        )
        self._event(
            request,
            resolved,
            EventKind.RESOLVED,
            RequestStatus.CLAIMED.value,
            RequestStatus.RESOLVED.value,
            self.organisation_id,
        )


def build(session: Session) -> PublicWeek:
    """Write the week described above and commit it."""
    week = PublicWeek(session)
    for community, compound in (("玉林社区", COMPOUND), ("望江社区", "锦官小区")):
        place = Place(street="玉林街道", community=community, compound=compound, aliases=[])
        session.add(place)
        session.flush()
        assert place.id is not None
        week.places[community] = place.id
    for name, telegram_id in zip(NAMES, TELEGRAM_IDS, strict=True):
        resident = Resident(
            telegram_id=telegram_id, display_name=name, community="玉林社区", building=BUILDING
        )
        session.add(resident)
        session.flush()
        assert resident.id is not None
        week.residents.append(resident.id)
    organisation = Organisation(
        name=ORGANISATION, categories=["repairs", "elderly"], communities=["玉林社区", "望江社区"]
    )
    session.add(organisation)
    session.flush()
    assert organisation.id is not None
    week.organisation_id = organisation.id

    for day in range(16, 22):  # Mon to Sat: six repairs, each claimed and resolved
        need = week.need(local(day, 9), category="repairs", community="玉林社区", place="玉林社区")
        week.claim_and_resolve(need)
    for day in (17, 20):
        week.need(local(day, 10), category="elderly", community="玉林社区", place="玉林社区")
    for day in (16, 18, 22):
        week.need(local(day, 11), category="environment", community="望江社区")
    week.need(
        local(19, 20), category="safety_disputes", community=UNKNOWN_PLACE, unmatched=UNKNOWN_PLACE
    )
    week.need(local(20, 15), category="retired_code", community="玉林社区", place="玉林社区")
    # Not needs of W47.
    week.need(
        local(18, 8),
        category="repairs",
        community="玉林社区",
        place="玉林社区",
        status=RequestStatus.CANCELLED.value,
    )
    week.need(
        local(18, 9),
        category="repairs",
        community="玉林社区",
        place="玉林社区",
        status=RequestStatus.MERGED.value,
    )
    week.need(local(15, 23), category="repairs", community="玉林社区", place="玉林社区")
    week.need(local(23, 0), category="repairs", community="玉林社区", place="玉林社区")
    session.commit()
    return week
