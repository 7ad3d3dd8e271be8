"""SLA status of an agreement: every target in effect, judged against the cached figures.

Why here and not in services/core: the math is `services.core.sla.evaluate_target`; this
module only picks each target's figures out of an `AgreementKpis` (the target's window, a
calendar period label for `month`/`quarter`, and the rolling windows' good ratios for
attainment-style targets), so the status route, /metrics and the change events all read the
same evaluation from the figures cache.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from services.api.catalog import AgreementInfo
from services.core.agreements.model import targets_at
from services.core.agreements.sla import ATTAINMENT_KPIS, Status, TargetStatus, evaluate_target
from services.core.agreements.targets import TargetVersion
from services.core.kpi.figures import Figure
from services.core.kpi.windows import ROLLING_WINDOWS, current_periods
from services.core.storage.kpi_reader import AgreementKpis

NO_FIGURE = Figure(None, 0)
# Worst first: a wall board sorts by this rank, descending.
STATUS_RANK: dict[Status, int] = {
    Status.BREACHED: 3,
    Status.AT_RISK: 2,
    Status.NO_DATA: 1,
    Status.MET: 0,
}


@dataclass(frozen=True, slots=True)
class TargetEvaluation:
    """One target version and its status; `good_ratios` by rolling window (attainment only)."""

    version: TargetVersion
    result: TargetStatus
    good_ratios: dict[str, Figure]

    @property
    def attainment(self) -> bool:
        return self.version.kpi in ATTAINMENT_KPIS

    @property
    def at_risk_value(self) -> float:
        """The edge of the at-risk zone: the target moved by the band towards the good side."""
        v = self.version
        return v.target - v.at_risk_band if v.direction == "at_most" else v.target + v.at_risk_band


@dataclass(frozen=True, slots=True)
class AgreementSla:
    """Every target of an agreement at `stream_time` (None: no data), evaluated at
    `evaluated_at` (wall clock, epoch seconds)."""

    agreement_id: str
    stream_time: float | None
    evaluated_at: float
    targets: tuple[TargetEvaluation, ...]

    def counts(self) -> dict[Status, int]:
        found = Counter(t.result.status for t in self.targets)
        return {status: found[status] for status in Status}

    def worst(self) -> Status | None:
        """The worst status of any target; None without targets."""
        statuses = [t.result.status for t in self.targets]
        return max(statuses, key=STATUS_RANK.__getitem__) if statuses else None


def window_key(window: str, kpis: AgreementKpis, info: AgreementInfo) -> str:
    """The key of `kpis.windows` holding a target window: `month`/`quarter` become the
    current period's label (e.g. `2026-10`) at the figures' stream time."""
    if window in ROLLING_WINDOWS or kpis.stream_time is None:
        return window
    return current_periods(kpis.stream_time, info.params.zone)[window]


def figure_of(kpis: AgreementKpis, window: str, kpi: str) -> Figure:
    result = kpis.windows.get(window)
    return NO_FIGURE if result is None else result.figures.get(kpi, NO_FIGURE)


def evaluate_agreement(info: AgreementInfo, kpis: AgreementKpis, now: datetime) -> AgreementSla:
    """The status of every target version in effect at `now` (wall clock)."""
    evaluations = []
    for version in targets_at(info.agreement, now):
        good = {}
        if version.kpi in ATTAINMENT_KPIS:
            good = {w: figure_of(kpis, w, version.kpi) for w in ROLLING_WINDOWS}
        figure = figure_of(kpis, window_key(version.window, kpis, info), version.kpi)
        evaluations.append(TargetEvaluation(version, evaluate_target(version, figure, good), good))
    return AgreementSla(info.agreement_id, kpis.stream_time, now.timestamp(), tuple(evaluations))
