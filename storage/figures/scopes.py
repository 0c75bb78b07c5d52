"""Who should have claimed a request whose claim limit passed: the organisations whose scope
covered it at that moment.

Scope changes with time (contracts start and end, an organisation is blacklisted), so the
period is cut at every such moment into spans where it is constant; the missed claims are
counted in SQL per (category, community, span), and each span is judged once per organisation
with storage.organisations' own scope rules (`covers`, `contract_active`). The manual scope
(outside contracts) has no history: today's is used.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.figures.clock import epoch
from storage.models import Organisation, ServiceContract
from storage.organisations import contract_active, covers


@dataclass(frozen=True)
class ScopeHistory:
    """The period cut where any scope changed: span i starts at `cuts[i]` (cuts[0] = start)."""

    cuts: tuple[datetime, ...]
    organisations: tuple[Organisation, ...]
    contracts: tuple[ServiceContract, ...]
    tz: tzinfo
    _serving: dict[int, list[tuple[Organisation, list[ServiceContract]]]] = field(
        default_factory=dict, compare=False
    )
    _covering: dict[tuple[int, str, str | None], list[int]] = field(
        default_factory=dict, compare=False
    )

    @classmethod
    def load(cls, session: Session, *, start: datetime, end: datetime, tz: tzinfo) -> ScopeHistory:
        organisations = tuple(session.exec(select(Organisation).order_by(col(Organisation.id))))
        contracts = tuple(
            session.exec(select(ServiceContract).order_by(col(ServiceContract.id))).all()
        )
        moments: set[datetime] = set()
        for contract in contracts:
            moments.add(datetime.combine(contract.start_date, time(0), tzinfo=tz))
            after = contract.end_date + timedelta(days=1)
            moments.add(datetime.combine(after, time(0), tzinfo=tz))
            if contract.ended_at is not None:
                moments.add(contract.ended_at)
        for organisation in organisations:
            if organisation.blacklisted and organisation.blacklisted_at is not None:
                moments.add(organisation.blacklisted_at)
        cuts = sorted(m for m in moments if start < m < end)
        return cls((start, *cuts), organisations, contracts, tz)

    def span(self, due_epoch: Any) -> sa.ColumnElement[Any]:
        """The span index of a moment given in epoch seconds, as SQL."""
        if len(self.cuts) == 1:
            return sa.literal(0)
        whens = [(due_epoch < epoch(cut), i - 1) for i, cut in enumerate(self.cuts) if i > 0]
        return sa.case(*whens, else_=len(self.cuts) - 1)

    def span_of(self, moment: datetime) -> int:
        return max(bisect_right(self.cuts, moment) - 1, 0)

    def serving(self, span: int) -> list[tuple[Organisation, list[ServiceContract]]]:
        """Organisations able to claim during span `span`, with their contracts active then."""
        moment = self.cuts[span]
        found = []
        for organisation in self.organisations:
            if organisation.blacklisted and (
                organisation.blacklisted_at is None or organisation.blacklisted_at <= moment
            ):
                continue
            active = [
                contract
                for contract in self.contracts
                if contract.organisation_id == organisation.id
                and contract_active(contract, moment, self.tz)
            ]
            found.append((organisation, active))
        return found

    def covering(self, span: int, category: str, community: str | None) -> list[int]:
        """Organisations whose scope covered (category, community) during span `span`."""
        key = (span, category, community)
        found = self._covering.get(key)
        if found is None:
            if span not in self._serving:
                self._serving[span] = self.serving(span)
            found = [
                organisation.id
                for organisation, contracts in self._serving[span]
                if organisation.id is not None
                and covers(organisation, contracts, category=category, community=community)
            ]
            self._covering[key] = found
        return found
