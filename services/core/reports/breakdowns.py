"""Breakdowns: the slices of a KPI for one dimension in one period, ranked by cost.

The report asks a `SliceProvider` for the figures of each slice: `slice_source.KpiSlices`
reads them as the KPI API's `by=` does; `NoSlices` answers None ("not available") for a
reader without slices, and the report says so in its breakdowns section. Dimensions are
those of docs/kpis.md but `agent`: per-agent figures are personal data (docs/reports.md).

Cost (docs/reports.md): how many items a slice puts on the wrong side of the target,
`n * (target - value)` for `at_least` targets and `n * (value - target) / target` items'
worth for `at_most` ones (a time target: the relative excess weighted by n). Slices that
meet the target have a negative cost and sort last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.core.reports.model import Slice

DIMENSIONS = ("priority", "channel", "queue", "team")


@dataclass(frozen=True, slots=True)
class SliceFigure:
    """A KPI's figure over the items of one slice, as the KPI API would return it."""

    key: str
    value: float | None
    n: int


class SliceProvider(Protocol):
    """Where slices come from: None when the dimension has no slice data (yet)."""

    async def slices(
        self, agreement_id: str, kpi: str, dimension: str, period: str
    ) -> Sequence[SliceFigure] | None: ...


class NoSlices:
    """The provider for a reader without slices: nothing is available."""

    async def slices(
        self, agreement_id: str, kpi: str, dimension: str, period: str
    ) -> Sequence[SliceFigure] | None:
        return None


def slice_cost(value: float | None, n: int, target: float, direction: str) -> float:
    """Items' worth of shortfall against `target` (0 without data)."""
    if value is None or n == 0:
        return 0.0
    if direction == "at_least":
        return n * (target - value)
    scale = abs(target) if target else 1.0
    return n * (value - target) / scale


def ranked(
    dimension: str, figures: Sequence[SliceFigure], target: float, direction: str
) -> tuple[Slice, ...]:
    """Slices with their cost, the costliest first (then by key, so the order is stable)."""
    slices = [
        Slice(
            dimension=dimension,
            key=f.key,
            value=f.value,
            n=f.n,
            cost=slice_cost(f.value, f.n, target, direction),
        )
        for f in figures
    ]
    return tuple(sorted(slices, key=lambda s: (-s.cost, s.key)))
