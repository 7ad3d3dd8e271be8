"""The one table of figures: name, unit, kind and which direction is better.

Every list of figures elsewhere is derived from this table: the Prometheus families (a ratio
gets `_ratio`), target validation (a ratio target lies in 0..1), the SLA error-budget list
(attainments only), the history and agreement validation (names), the measure-effect
direction and the Grafana panel units. The oracle under tests/ keeps its own list on purpose;
`tests/unit/test_figure_table.py` checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Better = Literal["lower", "higher"]


class Unit(StrEnum):
    RATIO = "ratio"  # a share in 0..1
    SECONDS = "seconds"
    COUNT = "count"
    SCORE = "score"  # a mean survey score, 1..5


class Kind(StrEnum):
    ATTAINMENT = "attainment"  # share of good items: has an error budget
    RATE = "rate"  # share of bad items (abandonment): no error budget
    DURATION = "duration"
    COUNT = "count"
    SCORE = "score"


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """One figure of docs/kpis.md; `better` is None for counts that are neither good nor bad."""

    name: str
    unit: Unit
    kind: Kind
    better: Better | None


def _durations(prefix: str) -> tuple[FigureSpec, ...]:
    return tuple(
        FigureSpec(f"{prefix}_{stat}_seconds", Unit.SECONDS, Kind.DURATION, "lower")
        for stat in ("mean", "p50", "p90")
    )


def _attainment(name: str) -> FigureSpec:
    return FigureSpec(name, Unit.RATIO, Kind.ATTAINMENT, "higher")


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("tickets_created", Unit.COUNT, Kind.COUNT, None),
    *_durations("frt"),
    _attainment("frt_attainment"),
    *_durations("resolution"),
    _attainment("resolution_attainment"),
    *_durations("aht"),
    FigureSpec("asa_seconds", Unit.SECONDS, Kind.DURATION, "lower"),
    _attainment("service_level"),
    FigureSpec("abandonment_rate", Unit.RATIO, Kind.RATE, "lower"),
    FigureSpec("calls_short_abandoned", Unit.COUNT, Kind.COUNT, "lower"),
    _attainment("fcr_tickets_rate"),
    _attainment("fcr_calls_rate"),
    _attainment("fcr_rate"),
    FigureSpec("fcr_provisional", Unit.COUNT, Kind.COUNT, None),
    _attainment("csat"),
    FigureSpec("csat_mean_score", Unit.SCORE, Kind.SCORE, "higher"),
)
SPECS: dict[str, FigureSpec] = {spec.name: spec for spec in FIGURES}
FIGURE_NAMES: tuple[str, ...] = tuple(SPECS)
RATIO_FIGURES = frozenset(s.name for s in FIGURES if s.unit is Unit.RATIO)
ATTAINMENT_FIGURES = frozenset(s.name for s in FIGURES if s.kind is Kind.ATTAINMENT)
COUNT_FIGURES = frozenset(s.name for s in FIGURES if s.unit is Unit.COUNT)
BETTER: dict[str, Better] = {s.name: s.better for s in FIGURES if s.better is not None}


def metric_name(figure: str) -> str:
    """`slawatch_<figure>`, with `_ratio` on figures in 0..1 (docs/metrics.md)."""
    return f"slawatch_{figure}_ratio" if figure in RATIO_FIGURES else f"slawatch_{figure}"
