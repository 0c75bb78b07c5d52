"""A small fixed data set for the weekly summary, with hand-computed expectations.

Times are local (Asia/Shanghai). ISO week 2026-W47 runs Mon 16 Nov to Sun 22 Nov 2026.

- r1  W47 repairs, 玉林社区 3栋, A: Mon 16 09:00; X claims +3 h; resolved Wed 18 09:00 (5, solved)
- r2  W47 repairs, 玉林社区 3栋, B: Tue 17 10:00; still open; C says +1 on Wed 18 14:00
- r3  W47 repairs, 玉林社区 3栋, D: Tue 17 11:00 (a phone number in it); merged into r2 Thu 19
- r4  W47 environment*, 玉林社区, E: Wed 18 08:00; Y claims Fri 20 08:00 (late); resolved 20:00
      (3, no answer to "solved?")
- r5  W47 elderly, 望江社区, A: Thu 19 15:00; cancelled
- r6  W47 safety_disputes, 望江社区 5栋, F: Sun 22 23:30, the last half hour of the week
- r7  W48 safety_disputes, 望江社区 5栋, G: Mon 23 00:30, the first half hour of the next week
- r8  W46 repairs, 望江社区, H: Wed 11 10:00; X claims; resolved Thu 12; the resident says
      not solved Tue 17 09:00 (reopened: open again, no organisation); X claims again 10:00;
      resolved again Thu 19 09:00 (4, solved)
- r9  W46 repairs, 玉林社区, I: Mon 9 10:00; still open
- r10 W46 environment, 玉林社区, J: Fri 13 10:00; Y claims 11:00; in progress since 12:00
- r11 W45 repairs, 玉林社区, K: Tue 3 10:00; Y claims 11:00; resolved Wed 4 10:00
- r12 W44 repairs, 玉林社区, K: Tue 27 Oct 10:00; X claims 12:00; resolved Wed 28 10:00
- r14 W47 health, 玉林社区, L: Fri 20 10:00; open at the week's end; X claims Tue 24

*r4 was guessed `repairs` by the classifier and corrected by its resident; a staff member
corrected r6 from safety_disputes to other on Sat 21.

The residents answer (rating, 是 solved) one hour after each resolution, as events; a 否
(not solved) is the reopening itself, as in storage.requests.feedback. Claim and resolution events
name the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.models import (
    ActorKind,
    Correction,
    Organisation,
    RequestEvent,
    RequestStatus,
    Resident,
    ServiceRequest,
)
from storage.requests.duplicates import merge_requests, support_request
from storage.requests.records import Actor

TZ = ZoneInfo("Asia/Shanghai")
WEEK = "2026-W47"
# Wednesday of the following week: W47 is complete.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=TZ).astimezone(UTC)

TEXTS = {
    "r1": "3栋电梯又坏了，老人上不去楼",
    "r2": "三栋的电梯不动了，好几天了",
    "r3": "3栋电梯坏了好几天 电话13812345678",
    "r4": "小区垃圾好几天没人收，臭得很",
    "r5": "想给我妈申请助餐",
    "r6": "楼上半夜太吵了睡不着",
    "r7": "楼上晚上很吵",
    "r8": "路灯不亮了",
    "r9": "水管漏水",
    "r10": "绿化带没人管",
    "r11": "楼道灯坏了",
    "r12": "下水道堵了",
    "r14": "想预约家庭医生",
}


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A 2026 local time in Asia/Shanghai, as aware UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@dataclass
class Builder:
    """Writes requests with the events that issue 4's lifecycle would have written."""

    session: Session
    residents: dict[str, int] = field(default_factory=dict)
    organisations: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def resident(self, name: str) -> int:
        if name not in self.residents:
            resident = Resident(telegram_id=1_000_000 + len(self.residents), display_name=name)
            self.session.add(resident)
            self.session.flush()
            assert resident.id is not None
            self.residents[name] = resident.id
        return self.residents[name]

    def telegram_id(self, name: str) -> int:
        self.resident(name)
        return 1_000_000 + list(self.residents).index(name)

    def organisation(self, name: str) -> int:
        if name not in self.organisations:
            organisation = Organisation(name=name)
            self.session.add(organisation)
            self.session.flush()
            assert organisation.id is not None
            self.organisations[name] = organisation.id
        return self.organisations[name]

    def event(
        self,
        key: str,
        at: datetime,
        from_status: str | None,
        to_status: str | None,
        kind: str = "status",
        *,
        organisation_id: int | None = None,
        note: str | None = None,
    ) -> None:
        self.session.add(
            RequestEvent(
                request_id=self.ids[key],
                at=at,
                actor_kind=ActorKind.SYSTEM.value,
                kind=kind,
                from_status=from_status,
                to_status=to_status,
                organisation_id=organisation_id,
                note=note,
            )
        )

    def request(
        self,
        key: str,
        created: datetime,
        *,
        resident: str,
        category: str = "repairs",
        predicted: str | None = None,
        community: str = "玉林社区",
        building: str | None = None,
        priority: str = "normal",
    ) -> int:
        request = ServiceRequest(
            resident_id=self.resident(resident),
            original_text=TEXTS[key],
            normalised_text=TEXTS[key],
            predicted_category=predicted or category,
            predicted_confidence=0.9,
            category=category,
            community=community,
            building=building,
            priority=priority,
            created_at=created,
            updated_at=created,
        )
        self.session.add(request)
        self.session.flush()
        assert request.id is not None
        self.ids[key] = request.id
        self.event(key, created, None, RequestStatus.OPEN.value, kind="submitted")
        if predicted and predicted != category:
            self.session.add(
                Correction(
                    request_id=request.id,
                    text=TEXTS[key],
                    predicted=predicted,
                    corrected=category,
                    source="resident",
                    created_at=created,
                )
            )
        return request.id

    def _get(self, key: str) -> ServiceRequest:
        request = self.session.get(ServiceRequest, self.ids[key])
        assert request is not None
        return request

    def claim(self, key: str, at: datetime, organisation: str) -> None:
        request = self._get(key)
        previous = request.status
        request.status, request.claimed_at = RequestStatus.CLAIMED.value, at
        request.organisation_id = self.organisation(organisation)
        request.last_progress_at = at
        self.session.add(request)
        self.event(
            key,
            at,
            previous,
            RequestStatus.CLAIMED.value,
            kind="claimed",
            organisation_id=request.organisation_id,
        )

    def start_work(self, key: str, at: datetime) -> None:
        request = self._get(key)
        previous = request.status
        request.status = RequestStatus.IN_PROGRESS.value
        self.session.add(request)
        self.event(key, at, previous, RequestStatus.IN_PROGRESS.value)

    def resolve(
        self, key: str, at: datetime, *, rating: int | None = None, solved: bool | None = None
    ) -> None:
        """Resolve; the resident rates and says 是 an hour later (否 is `reopen`)."""
        request = self._get(key)
        previous = request.status
        request.status, request.resolved_at = RequestStatus.RESOLVED.value, at
        request.rating, request.solved = rating, solved
        self.session.add(request)
        resolved = RequestStatus.RESOLVED.value
        holder = request.organisation_id
        self.event(key, at, previous, resolved, kind="resolved", organisation_id=holder)
        answered = at + timedelta(hours=1)
        if rating is not None:
            self.event(
                key, answered, resolved, resolved, "rated", organisation_id=holder, note=str(rating)
            )
        if solved:
            self.event(
                key, answered, resolved, resolved, "feedback", organisation_id=holder, note="solved"
            )

    def reopen(self, key: str, at: datetime) -> None:
        """As storage.requests.feedback.answer_solved(solved=False): back to the queue, unheld."""
        request = self._get(key)
        holder = request.organisation_id
        request.status, request.organisation_id = RequestStatus.OPEN.value, None
        request.claimed_at = request.resolved_at = None
        request.solved, request.last_progress_at = False, at
        request.reopened_count += 1
        self.session.add(request)
        self.session.add(
            RequestEvent(
                request_id=self.ids[key],
                at=at,
                actor_kind=ActorKind.RESIDENT.value,
                kind="reopened",
                from_status=RequestStatus.RESOLVED.value,
                to_status=RequestStatus.OPEN.value,
                organisation_id=holder,
                note="not solved",
            )
        )

    def cancel(self, key: str, at: datetime) -> None:
        request = self._get(key)
        previous = request.status
        request.status = RequestStatus.CANCELLED.value
        self.session.add(request)
        self.event(key, at, previous, RequestStatus.CANCELLED.value)

    def support(self, key: str, who: str, at: datetime) -> None:
        support_request(
            self.session,
            request_id=self.ids[key],
            telegram_id=self.telegram_id(who),
            display_name=who,
            now=at,
        )

    def merge(self, keep: str, merge: str, at: datetime) -> None:
        merge_requests(
            self.session,
            keep=self.ids[keep],
            merge=self.ids[merge],
            by=Actor(ActorKind.ADMIN, 1),
            now=at,
        )


def build(session: Session) -> dict[str, int]:
    """Fill an empty database with the data set above; return request ids by key."""
    b = Builder(session)
    # Older weeks first, so that ids follow the table above.
    b.request("r12", local(10, 27, 10), resident="K")
    b.claim("r12", local(10, 27, 12), "X")
    b.resolve("r12", local(10, 28, 10))
    b.request("r11", local(11, 3, 10), resident="K")
    b.claim("r11", local(11, 3, 11), "Y")
    b.resolve("r11", local(11, 4, 10))
    b.request("r9", local(11, 9, 10), resident="I")
    b.request("r8", local(11, 11, 10), resident="H", community="望江社区")
    b.claim("r8", local(11, 11, 11), "X")
    b.resolve("r8", local(11, 12, 10), rating=2, solved=False)
    b.request("r10", local(11, 13, 10), resident="J", category="environment")
    b.claim("r10", local(11, 13, 11), "Y")
    b.start_work("r10", local(11, 13, 12))

    b.request("r1", local(11, 16, 9), resident="A", building="3栋")
    b.claim("r1", local(11, 16, 12), "X")
    b.resolve("r1", local(11, 18, 9), rating=5, solved=True)
    b.request("r2", local(11, 17, 10), resident="B", building="3栋")
    b.reopen("r8", local(11, 17, 9))
    b.claim("r8", local(11, 17, 10), "X")
    b.request("r3", local(11, 17, 11), resident="D", building="3栋")
    b.support("r2", "C", local(11, 18, 14))
    b.request("r4", local(11, 18, 8), resident="E", category="environment", predicted="repairs")
    b.merge("r2", "r3", local(11, 19, 16))
    b.resolve("r8", local(11, 19, 9), rating=4, solved=True)
    b.request("r5", local(11, 19, 15), resident="A", category="elderly", community="望江社区")
    b.cancel("r5", local(11, 19, 16))
    b.claim("r4", local(11, 20, 8), "Y")
    b.resolve("r4", local(11, 20, 20), rating=3)
    b.request("r14", local(11, 20, 10), resident="L", category="health")
    session.add(
        Correction(
            request_id=None,
            text=TEXTS["r6"],
            predicted="safety_disputes",
            corrected="other",
            source="staff",
            created_at=local(11, 21, 10),
        )
    )
    b.request(
        "r6",
        local(11, 22, 23, 30),
        resident="F",
        category="safety_disputes",
        community="望江社区",
        building="5栋",
    )
    b.request(
        "r7",
        local(11, 23, 0, 30),
        resident="G",
        category="safety_disputes",
        community="望江社区",
        building="5栋",
    )
    b.claim("r14", local(11, 24, 10), "X")
    session.flush()
    return dict(b.ids)
