"""From an aggregate to the figures a person reads: each a value and its n."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.figure_table import FIGURE_NAMES

__all__ = ["FIGURE_NAMES", "Figure", "compute_figures"]


@dataclass(frozen=True, slots=True)
class Figure:
    """A reported number and how many items it stands on; `value` is None when n == 0."""

    value: float | None
    n: int


def _ratio(numerator: float, n: int) -> Figure:
    return Figure(numerator / n if n else None, n)


def _count(n: int) -> Figure:
    return Figure(float(n), n)


def compute_figures(agg: Aggregate, fcr_provisional: int = 0) -> dict[str, Figure]:
    """Every figure of docs/kpis.md from one (merged) aggregate."""
    c = agg.counts.get
    s = agg.sums.get
    figures: dict[str, Figure] = {"tickets_created": _count(c("tickets_created", 0))}
    for prefix, within in (
        ("frt", "frt_within_target"),
        ("resolution", "resolution_within_target"),
        ("aht", None),
    ):
        n = c(f"{prefix}_n", 0)
        sketch = agg.sketches.get(prefix)
        figures[f"{prefix}_mean_seconds"] = _ratio(s(f"{prefix}_seconds", 0.0), n)
        for q, label in ((0.5, "p50"), (0.9, "p90")):
            value = sketch.quantile(q) if sketch is not None and n else None
            figures[f"{prefix}_{label}_seconds"] = Figure(value, n)
        if within:
            figures[f"{prefix}_attainment"] = _ratio(c(within, 0), n)
    answered = c("calls_answered", 0)
    outcomes = answered + c("calls_abandoned", 0)
    figures["asa_seconds"] = _ratio(s("asa_seconds", 0.0), answered)
    figures["service_level"] = _ratio(c("calls_answered_within_threshold", 0), outcomes)
    figures["abandonment_rate"] = _ratio(c("calls_abandoned", 0), outcomes)
    figures["calls_short_abandoned"] = _count(c("calls_short_abandoned", 0))
    tickets_resolved = c("fcr_tickets_resolved", 0)
    calls_handled = c("fcr_calls_handled", 0)
    tickets_credited = c("fcr_tickets_credited", 0)
    calls_credited = c("fcr_calls_credited", 0)
    figures["fcr_tickets_rate"] = _ratio(tickets_credited, tickets_resolved)
    figures["fcr_calls_rate"] = _ratio(calls_credited, calls_handled)
    figures["fcr_rate"] = _ratio(
        tickets_credited + calls_credited, tickets_resolved + calls_handled
    )
    figures["fcr_provisional"] = _count(fcr_provisional)
    surveys = c("surveys_n", 0)
    figures["csat"] = _ratio(c("surveys_top2", 0), surveys)
    figures["csat_mean_score"] = _ratio(s("survey_score", 0.0), surveys)
    return figures
