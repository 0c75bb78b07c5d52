"""A rate that says what it rests on: numerator, denominator, and nothing below a minimum count."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# Below this many cases a rate is not given (printed "—"): 1 of 1 is not "100 %".
MIN_DENOMINATOR = 5
# 95 % two-sided.
_Z = 1.959963984540054


@dataclass(frozen=True, order=True)
class Rate:
    """`numerator` of `denominator` cases; `rate` is None when there are too few to judge."""

    numerator: int
    denominator: int
    minimum: int = MIN_DENOMINATOR

    def __post_init__(self) -> None:
        if self.numerator < 0 or self.denominator < 0 or self.numerator > self.denominator:
            raise ValueError(f"not a rate: {self.numerator}/{self.denominator}")

    @property
    def enough(self) -> bool:
        return self.denominator > 0 and self.denominator >= self.minimum

    @property
    def rate(self) -> float | None:
        """The share, rounded to 4 places; None below the minimum count."""
        return round(self.numerator / self.denominator, 4) if self.enough else None

    @property
    def lower_bound(self) -> float:
        """Wilson score lower bound (95 %): what rankings use, so one lucky case tops nothing.

        0 for an empty rate. Unlike `rate`, it is given at any count: a small count simply
        gives a low bound.
        """
        return wilson_lower_bound(self.numerator, self.denominator)

    def __add__(self, other: Rate) -> Rate:
        return Rate(
            self.numerator + other.numerator,
            self.denominator + other.denominator,
            max(self.minimum, other.minimum),
        )

    def to_dict(self) -> dict[str, Any]:
        """`{numerator, denominator, rate}`: the JSON form scripts rely on."""
        return {"numerator": self.numerator, "denominator": self.denominator, "rate": self.rate}


def wilson_lower_bound(successes: int, trials: int, z: float = _Z) -> float:
    """Lower end of the Wilson score interval for `successes` of `trials`."""
    if trials <= 0:
        return 0.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - margin) / (1 + z2 / trials))


EMPTY = Rate(0, 0)
