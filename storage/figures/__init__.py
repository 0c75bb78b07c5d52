"""Honest figures: rates with their numerator and denominator, as 12345 hotlines define them.

`rate.py` holds the primitive (`Rate`, the Wilson lower bound used to rank); the service
figures (响应率, 按时办结率, 解决率, 满意率, 回访率, 退单率) computed over a selection of requests
and a period are used alike by the weekly summary, the evaluation pack and the public export.
"""

from storage.figures.rate import EMPTY, MIN_DENOMINATOR, Rate, wilson_lower_bound
from storage.figures.service import (
    RATE_NAMES,
    RequestSelection,
    ServiceRates,
    overall_and_by_organisation,
    rank_organisations,
    rates_breakdown,
    rates_by,
    rates_by_organisation,
    service_rates,
)

__all__ = [
    "EMPTY",
    "MIN_DENOMINATOR",
    "RATE_NAMES",
    "Rate",
    "RatesBreakdown",
    "RequestSelection",
    "ServiceRates",
    "overall_and_by_organisation",
    "rank_organisations",
    "rates_breakdown",
    "rates_by",
    "rates_by_organisation",
    "service_rates",
    "wilson_lower_bound",
]
