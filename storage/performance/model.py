"""The evaluation pack (绩效评价) as plain frozen data: what is evaluated, over which period,
the figures beside the contract's targets, the cases an evaluator reads, and the coverage.

No wording here: the bot's renderers (text, workbook, PDF) and the CLI's JSON read these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from storage.performance.periods import Period

if TYPE_CHECKING:
    from storage.figures.service import ServiceRates


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class ContractHeader:
    """What the contract says: who buys what from whom, where, when, for how much."""

    id: int
    title: str
    purchaser: str
    organisation: str
    start_date: date
    end_date: date
    categories: tuple[str, ...]
    communities: tuple[str, ...]
    budget_yuan: float | None
    targets: tuple[tuple[str, float], ...]
    ended_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "purchaser": self.purchaser,
            "organisation": self.organisation,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "categories": list(self.categories),
            "communities": list(self.communities),
            "budget_yuan": self.budget_yuan,
            "targets": dict(self.targets),
            "ended_at": _when(self.ended_at),
        }


@dataclass(frozen=True)
class Subject:
    """Who is evaluated: a contract (its organisation within its scope) or an organisation
    (everything it did). `categories`/`communities` None means all."""

    organisation_id: int
    organisation: str
    contract: ContractHeader | None
    categories: tuple[str, ...] | None
    communities: tuple[str, ...] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "organisation_id": self.organisation_id,
            "organisation": self.organisation,
            "contract": self.contract.to_dict() if self.contract else None,
            "categories": None if self.categories is None else list(self.categories),
            "communities": None if self.communities is None else list(self.communities),
        }


@dataclass(frozen=True)
class TargetCheck:
    """One target of the contract beside the actual figure; `met` is None when the figure
    rests on too few cases to judge (or is not one the bot measures)."""

    name: str
    target: float
    actual: float | None
    met: bool | None
    lower_is_better: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "actual": self.actual, "met": self.met}


@dataclass(frozen=True)
class Breakdown:
    """The figures of one category or one community of the subject."""

    key: str
    figures: ServiceRates

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, **self.figures.to_dict()}


@dataclass(frozen=True)
class CaseLine:
    """A request in a list of the pack (overdue, released, coverage), without resident text.

    `due` and `done` say for an overdue case which limit passed and when it was met (None:
    not yet, as of the pack's end); `reason` is a release's code and words, or for coverage
    the organisation that took the request instead (None: nobody)."""

    number: int
    category: str
    community: str | None
    created_at: datetime
    status: str
    kind: str = ""
    due: datetime | None = None
    done: datetime | None = None
    at: datetime | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "category": self.category,
            "community": self.community,
            "created_at": self.created_at.isoformat(),
            "status": self.status,
            "kind": self.kind,
            "due": _when(self.due),
            "done": _when(self.done),
            "at": _when(self.at),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Step:
    """One event of a sampled case's timeline; the note masked."""

    at: datetime
    kind: str
    by: str
    organisation: str | None
    to_status: str | None
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "by": self.by,
            "organisation": self.organisation,
            "to_status": self.to_status,
            "note": self.note,
        }


@dataclass(frozen=True)
class SampleCase:
    """A case an evaluator reads in full: the resident's words masked, its timeline, and the
    Telegram file ids of its completion photos (完工照片), which only the bot can fetch."""

    number: int
    category: str
    community: str | None
    compound: str | None
    status: str
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    text: str
    solved: bool | None
    rating: int | None
    steps: tuple[Step, ...]
    photos: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "category": self.category,
            "community": self.community,
            "compound": self.compound,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "claimed_at": _when(self.claimed_at),
            "resolved_at": _when(self.resolved_at),
            "text": self.text,
            "solved": self.solved,
            "rating": self.rating,
            "steps": [step.to_dict() for step in self.steps],
            "completion_photos": len(self.photos),
        }


@dataclass(frozen=True)
class CoverageCell:
    """Requests of one category in one community the contract's organisation did not take."""

    category: str
    community: str
    in_scope: int
    by_others: int
    never_claimed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "community": self.community,
            "in_scope": self.in_scope,
            "by_others": self.by_others,
            "never_claimed": self.never_claimed,
        }


@dataclass(frozen=True)
class Coverage:
    """The contract's scope (categories × communities, filed in the period): how many needs
    were in it, how many its organisation took, and the others, counted and listed (the list
    is the oldest `len(listed)` of `not_taken`)."""

    in_scope: int
    taken: int
    by_others: int
    never_claimed: int
    others: tuple[tuple[str, int], ...]
    cells: tuple[CoverageCell, ...]
    listed: tuple[CaseLine, ...]

    @property
    def not_taken(self) -> int:
        return self.by_others + self.never_claimed

    def to_dict(self) -> dict[str, Any]:
        return {
            "in_scope": self.in_scope,
            "taken": self.taken,
            "not_taken": self.not_taken,
            "by_others": self.by_others,
            "never_claimed": self.never_claimed,
            "other_organisations": dict(self.others),
            "cells": [cell.to_dict() for cell in self.cells],
            "listed": [case.to_dict() for case in self.listed],
        }


@dataclass(frozen=True)
class PerformancePack:
    """Everything the evaluator gets for one subject and period.

    `as_of` is the moment the pack judges by: the period's end, or now while it runs.
    `overdue_total` and `released_total` count all; the tuples list at most a bounded number.
    """

    subject: Subject
    period: Period
    start: datetime
    end: datetime
    as_of: datetime
    figures: ServiceRates
    targets: tuple[TargetCheck, ...]
    by_category: tuple[Breakdown, ...]
    by_community: tuple[Breakdown, ...]
    overdue: tuple[CaseLine, ...]
    overdue_total: int
    released: tuple[CaseLine, ...]
    released_total: int
    sample: tuple[SampleCase, ...]
    coverage: Coverage | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON `linli performance --json` prints: the rates at the top level, each as
        {numerator, denominator, rate}, then the rest of the pack."""
        return {
            **self.figures.to_dict(),
            "subject": self.subject.to_dict(),
            "period": {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()},
            "as_of": self.as_of.isoformat(),
            "targets": [check.to_dict() for check in self.targets],
            "by_category": [row.to_dict() for row in self.by_category],
            "by_community": [row.to_dict() for row in self.by_community],
            "overdue_total": self.overdue_total,
            "overdue": [case.to_dict() for case in self.overdue],
            "released_total": self.released_total,
            "released": [case.to_dict() for case in self.released],
            "sample": [case.to_dict() for case in self.sample],
            "coverage": self.coverage.to_dict() if self.coverage else None,
        }
