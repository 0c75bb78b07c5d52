"""Fault injection: `FaultPlan` says what to inject and how often; `_FaultInjector` does it.

A request answered with a fault changes nothing in the fake, so the server rolls the dice before
it runs the method, and a message is recorded once however often it was retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from dataclasses import dataclass

from aiohttp import web

from .common import TelegramAPIError, _error_response

_LOGGER = logging.getLogger(__package__)  # the package's logger, as when it was one module

FAULT_KINDS = frozenset({"429", "500", "timeout", "reset"})


@dataclass(frozen=True)
class FaultPlan:
    """Faults injected into the fake's answers, per request, at `rate` (0..1).

    Kinds: "429" (Too Many Requests with ``retry_after``), "500" (Internal Server Error),
    "timeout" (no answer for `timeout_seconds`, then the connection is closed; set it past the
    client's read timeout, which is 5 s in PTB by default) and "reset" (the connection is closed
    without an answer). `methods` limits the faults to those Bot API methods (e.g.
    ``frozenset({"sendMessage"})``); None means every method, getUpdates and getMe included.
    """

    rate: float
    kinds: tuple[str, ...] = ("429", "500", "timeout", "reset")
    seed: int = 0
    methods: frozenset[str] | None = None
    timeout_seconds: float = 6.0
    retry_after: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"FaultPlan.rate must be within 0..1, not {self.rate}")
        unknown = set(self.kinds) - FAULT_KINDS
        if unknown or not self.kinds:
            raise ValueError(f"FaultPlan.kinds must be among {sorted(FAULT_KINDS)}: {self.kinds}")


class _FaultInjector:
    """The current plan, its random sequence, and the faults injected since it was set."""

    def __init__(self) -> None:
        self.plan: FaultPlan | None = None
        self.rng = random.Random(0)
        self.counts: Counter[str] = Counter()

    def reset(self, plan: FaultPlan | None) -> None:
        """Set (or clear with None) the plan; resets the random sequence and the counts."""
        self.plan = plan
        self.rng = random.Random(plan.seed if plan else 0)
        self.counts = Counter()

    def roll(self, method: str, closing: asyncio.Event) -> str | None:
        """The fault to inject into this call of `method`, if any."""
        plan = self.plan
        if plan is None or closing.is_set():
            return None
        if plan.methods is not None and method not in plan.methods:
            return None
        if self.rng.random() >= plan.rate:
            return None
        kind = self.rng.choice(plan.kinds)
        self.counts[kind] += 1
        _LOGGER.debug("Fake Bot API: injecting %s into %s", kind, method)
        return kind

    async def inject(
        self, kind: str, request: web.Request, closing: asyncio.Event
    ) -> web.StreamResponse:
        """Answer `request` with the fault `kind` (a hang ends early when the fake closes)."""
        plan = self.plan
        if kind == "429":
            retry_after = plan.retry_after if plan else 1
            return _error_response(
                TelegramAPIError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            )
        if kind == "500":
            return _error_response(TelegramAPIError(500, "Internal Server Error"))
        if kind == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), plan.timeout_seconds if plan else 6)
        # "reset", or a hang whose client is still waiting: close without an answer.
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
