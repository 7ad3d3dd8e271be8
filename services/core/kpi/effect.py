"""Effect of an improvement measure: a KPI before its start against the same length after.

Pure statistics on merged aggregates (services/core/kpi/aggregate.py), no I/O. Shares
(attainment, service level, FCR, CSAT, ...) get Newcombe's hybrid Wilson score interval for a
difference of two proportions; means and percentiles of durations get a seeded (Poisson)
bootstrap over the items of the duration's sketch (values quantised to its 1 % accuracy, with
their counts). Fewer than `MIN_N` items in either period gives no interval and
`too_few_data`. Every result is a before/after comparison, not proof of cause
(docs/agreements.md, "Measure effect").
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.figure_table import BETTER, RATIO_FIGURES
from services.core.kpi.figures import compute_figures
from services.core.kpi.poisson import poisson
from services.core.kpi.sketch import Sketch

MIN_N = 30  # below this per period an interval would mostly show its own assumptions
Z_95 = 1.959963984540054  # two-sided 95 %
RESAMPLES = 2000
SEED = 20261
NOT_PROOF_OF_CAUSE = (
    "A before/after comparison, not proof of cause: anything else that changed around the "
    "measure's start (volume, staffing, season, other measures) moves these figures too."
)
# Duration figures with a sketch: (sketch name, statistic); q=None is the mean.
_SKETCHED = {
    f"{p}_{label}_seconds": (p, q)
    for p in ("frt", "resolution", "aht")
    for label, q in (("mean", None), ("p50", 0.5), ("p90", 0.9))
}
Method = Literal["newcombe_wilson", "bootstrap", "none"]
Direction = Literal["better", "worse", "unchanged", "no_better_side"]


@dataclass(frozen=True, slots=True)
class Effect:
    """One KPI before and after; `difference` is after - before, `interval` its 95 % CI."""

    kpi: str
    before: float | None
    after: float | None
    n_before: int
    n_after: int
    difference: float | None
    direction: Direction | None
    method: Method
    interval: tuple[float, float] | None
    too_few_data: bool
    confidence: float = 0.95
    note: str = NOT_PROOF_OF_CAUSE


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(
    x_before: int, n_before: int, x_after: int, n_after: int, z: float = Z_95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval (his method 10) of p_after - p_before."""
    p1, p2 = x_before / n_before, x_after / n_after
    l1, u1 = wilson(x_before, n_before, z)
    l2, u2 = wilson(x_after, n_after, z)
    d = p2 - p1
    return d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt(
        (u2 - p2) ** 2 + (p1 - l1) ** 2
    )


def _statistic(items: list[tuple[float, int]], weights: list[int], q: float | None) -> float:
    n = sum(weights)
    if q is None:
        return math.fsum(v * w for (v, _), w in zip(items, weights, strict=True)) / n
    rank, seen = math.floor(q * (n - 1)), 0  # the sketch's rank rule; items are in order
    for (value, _), weight in zip(items, weights, strict=True):
        seen += weight
        if seen > rank:
            return value
    raise AssertionError("unreachable: rank below total count")


def bootstrap(
    before: Sketch,
    after: Sketch,
    q: float | None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """Percentile interval (2.5 %, 97.5 %) of statistic(after) - statistic(before), the
    mean (q=None) or the q-quantile, resampling each period's sketch items.

    A Poisson bootstrap: each item is drawn Poisson(1) times, so a bin of c items is drawn
    Poisson(c) times. It matches the classic bootstrap for the sizes an interval is given for
    (n >= MIN_N) and costs per resample one draw per bin (~100-200), not one per item: a
    busy agreement's 100,000 calls take as long as 1,000."""
    rng = random.Random(seed)
    periods = [sketch.items() for sketch in (before, after)]
    differences: list[float] = []
    while len(differences) < resamples:
        drawn = [[poisson(count, rng) for _, count in items] for items in periods]
        if not all(sum(weights) for weights in drawn):
            continue  # an empty resample (only possible for tiny n) has no statistic
        b, a = (_statistic(items, w, q) for items, w in zip(periods, drawn, strict=True))
        differences.append(a - b)
    differences.sort()
    lo = differences[math.floor(0.025 * (resamples - 1))]
    return lo, differences[math.ceil(0.975 * (resamples - 1))]


def _direction(kpi: str, difference: float | None) -> Direction | None:
    if difference is None:
        return None
    better = BETTER.get(kpi)
    if better is None:
        return "no_better_side"
    if difference == 0:
        return "unchanged"
    return "better" if (difference < 0) == (better == "lower") else "worse"


def effect(
    kpi: str,
    before: Aggregate,
    after: Aggregate,
    *,
    min_n: int = MIN_N,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Effect:
    """The effect on figure `kpi` between two merged aggregates (see the module docstring)."""
    fb, fa = compute_figures(before)[kpi], compute_figures(after)[kpi]
    difference = None if fb.value is None or fa.value is None else fa.value - fb.value
    method: Method = "none"
    if kpi in RATIO_FIGURES:
        method = "newcombe_wilson"
    elif kpi in _SKETCHED:
        method = "bootstrap"
    too_few = min(fb.n, fa.n) < min_n
    interval = None
    if difference is not None and not too_few and fb.value is not None and fa.value is not None:
        if method == "newcombe_wilson":
            # The figure is successes / n; rounding recovers the integer count exactly.
            interval = newcombe(round(fb.value * fb.n), fb.n, round(fa.value * fa.n), fa.n)
        elif method == "bootstrap":
            name, q = _SKETCHED[kpi]
            sb, sa = before.sketches.get(name), after.sketches.get(name)
            if sb is not None and sa is not None:
                interval = bootstrap(sb, sa, q, resamples, seed)
    return Effect(
        kpi,
        fb.value,
        fa.value,
        fb.n,
        fa.n,
        difference,
        _direction(kpi, difference),
        method,
        interval,
        too_few,
    )
