"""The evaluation pack (绩效评价) of a service contract or an organisation over a period.

`periods` reads the period asked for; `pack.build_pack` gathers the figures (through
storage.figures, like the weekly summary), the targets beside them, the cases (`cases`) and the
contract's coverage (`coverage`) into the frozen data of `model`. The bot words and renders it
(bot/performance_render: text, workbook, PDF); `linli performance` and /performance use it.
"""

from storage.performance.model import (
    Breakdown,
    CaseLine,
    ContractHeader,
    Coverage,
    CoverageCell,
    PerformancePack,
    SampleCase,
    Step,
    Subject,
    TargetCheck,
)
from storage.performance.periods import InvalidPeriod, Period, Relative

__all__ = [
    "Breakdown",
    "CaseLine",
    "ContractHeader",
    "Coverage",
    "CoverageCell",
    "InvalidPeriod",
    "PerformancePack",
    "Period",
    "Relative",
    "SampleCase",
    "Step",
    "Subject",
    "TargetCheck",
]
