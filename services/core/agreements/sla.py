"""SLA evaluation: where a KPI figure stands against one target of an agreement.

Pure math (docs/sla.md). A target is read through the `TargetSpec` protocol, so any object
with the right attributes works: the agreement model's targets, or the `Target` dataclass
below in tests and tools. Burn rate and error budget apply only to attainment-style KPIs,
whose value is a share of good items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from services.core.kpi.figure_table import ATTAINMENT_FIGURES
from services.core.kpi.figures import Figure

# Shares of good items: only these have an error budget and a burn rate.
ATTAINMENT_KPIS = ATTAINMENT_FIGURES
BURN_RATE_WINDOW = "1h"


class Status(StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    NO_DATA = "no_data"


class TargetSpec(Protocol):
    """What evaluation reads of a target: `direction` is `at_most` or `at_least`."""

    @property
    def kpi(self) -> str: ...
    @property
    def target(self) -> float: ...
    @property
    def baseline(self) -> float | None: ...
    @property
    def direction(self) -> str: ...
    @property
    def at_risk_band(self) -> float: ...
    @property
    def window(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Target:
    """A plain `TargetSpec`."""

    kpi: str
    target: float
    direction: str = "at_most"
    baseline: float | None = None
    at_risk_band: float = 0.0
    window: str = "30d"


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """The evaluation of one target; every number but `target` is None without data."""

    status: Status
    value: float | None
    n: int
    target: float
    baseline: float | None
    progress_percent: float | None
    error_budget_remaining: float | None = None
    burn_rate: float | None = None


def classify(value: float, target: float, direction: str, band: float) -> Status:
    """met / at_risk / breached of a value (docs/sla.md, "Status")."""
    if direction == "at_most":
        if value > target:
            return Status.BREACHED
        return Status.AT_RISK if value > target - band else Status.MET
    if direction == "at_least":
        if value < target:
            return Status.BREACHED
        return Status.AT_RISK if value < target + band else Status.MET
    raise ValueError(f"direction must be 'at_most' or 'at_least', got {direction!r}")


def progress_percent(value: float, baseline: float | None, target: float) -> float | None:
    """0 at the baseline, 100 at the target, linear in between and beyond."""
    if baseline is None or baseline == target:
        return None
    return 100.0 * (value - baseline) / (target - baseline)


def _budget_used(good: float, target: float) -> float:
    return (1.0 - good) / (1.0 - target)


def evaluate_target(
    target: TargetSpec, figure: Figure, good_ratios: Mapping[str, Figure] | None = None
) -> TargetStatus:
    """Status of `target` given its KPI's `figure` over the target's window.

    `good_ratios` holds the same KPI's figures by window name; the 1h one gives the burn
    rate of attainment-style KPIs.
    """
    value = figure.value
    if figure.n == 0 or value is None:
        return TargetStatus(Status.NO_DATA, None, figure.n, target.target, target.baseline, None)
    status = classify(value, target.target, target.direction, target.at_risk_band)
    budget = burn = None
    if target.kpi in ATTAINMENT_KPIS and target.target != 1.0:
        budget = 1.0 - _budget_used(value, target.target)
        recent = (good_ratios or {}).get(BURN_RATE_WINDOW)
        if recent is not None and recent.n > 0 and recent.value is not None:
            burn = _budget_used(recent.value, target.target)
    return TargetStatus(
        status,
        value,
        figure.n,
        target.target,
        target.baseline,
        progress_percent(value, target.baseline, target.target),
        budget,
        burn,
    )
