"""Measure effect: before/after intervals on aggregates built by the engine's own code."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, date, datetime

import pytest

from services.core.agreements.model import ImprovementMeasure
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.effect import NOT_PROOF_OF_CAUSE, bootstrap, effect, newcombe, wilson
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.params import MeasurementParams
from services.core.kpi.poisson import poisson
from services.core.kpi.sketch import Sketch
from services.core.storage.kpi_reader import Bucket
from services.core.storage.measure_effect import measure_effect

HOUR = 3600
AHT_DROP_START = date(2026, 11, 16)  # mid Q4; the control starts mid Q3, where nothing changed
CONTROL_START = date(2026, 8, 17)


def two_quarters_of_calls() -> dict[float, Aggregate]:
    """Hour buckets of Q3+Q4 2026, 30 handled calls a day (UTC); AHT 20 % lower from the
    measure's start, FCR at 70 % throughout."""
    rng = random.Random(1)  # fixed: a 95 % interval misses zero 1 time in 20 by design
    drop = datetime.combine(AHT_DROP_START, datetime.min.time(), tzinfo=UTC).timestamp()
    buckets: dict[float, Aggregate] = {}
    t = datetime(2026, 7, 1, tzinfo=UTC).timestamp()
    end = datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    while t < end:
        for _ in range(30):
            at = t + rng.uniform(0, 86400)
            aht = max(20.0, rng.gauss(300.0, 90.0)) * (0.8 if at >= drop else 1.0)
            agg = buckets.setdefault(at // HOUR * HOUR, Aggregate())
            agg.apply(Fact(FactKind.HANDLED_CALL, at, value=aht))
            agg.apply(Fact(FactKind.CALL_FCR, at, ok=rng.random() < 0.7))
        t += 86400
    return buckets


class MemoryReader:
    """A `KpiReader` over hour buckets in memory."""

    def __init__(self, buckets: dict[float, Aggregate]) -> None:
        self.buckets = buckets

    async def stream_time(self, agreement_id: str) -> float | None:
        return max(self.buckets) + HOUR - 1

    async def load_buckets(
        self, agreement_id: str, granularity: str, min_start: float, max_start: float
    ) -> list[Bucket]:
        assert granularity == "hour"
        return [
            ("hour", s, a) for s, a in sorted(self.buckets.items()) if min_start <= s <= max_start
        ]


TARGETS = {"low": 3600, "normal": 3600, "high": 3600, "urgent": 3600}
PARAMS = MeasurementParams(
    agreement_id="acme",
    timezone="UTC",
    frt_target_seconds=TARGETS,
    resolution_target_seconds=TARGETS,
)
KPIS = ("aht_mean_seconds", "aht_p50_seconds", "fcr_calls_rate", "tickets_created")


def measure(measure_id: str, start: date) -> ImprovementMeasure:
    return ImprovementMeasure(
        measure_id=measure_id, kind="training", title="T", owner="O", actual_start=start, kpis=KPIS
    )


@pytest.fixture(scope="module")
def reader() -> MemoryReader:
    return MemoryReader(two_quarters_of_calls())


async def test_an_aht_drop_after_the_start_shows_as_better_with_an_interval_excluding_zero(
    reader: MemoryReader,
) -> None:
    result = await measure_effect(reader, PARAMS, measure("coaching", AHT_DROP_START), 28)
    assert result.complete
    assert result.note == NOT_PROOF_OF_CAUSE
    by_kpi = {e.kpi: e for e in result.effects}
    assert list(by_kpi) == list(KPIS)
    aht = by_kpi["aht_mean_seconds"]
    assert aht.n_before == aht.n_after == 28 * 30
    assert aht.method == "bootstrap"
    assert aht.direction == "better"
    assert not aht.too_few_data
    assert aht.interval is not None
    assert aht.interval[1] < 0
    assert aht.before is not None
    assert aht.difference is not None
    assert -0.25 < aht.difference / aht.before < -0.15
    assert aht.interval[0] < aht.difference < aht.interval[1]
    p50 = by_kpi["aht_p50_seconds"]
    assert p50.direction == "better"
    assert p50.interval is not None
    assert p50.interval[1] < 0
    fcr = by_kpi["fcr_calls_rate"]  # unchanged by the measure
    assert fcr.method == "newcombe_wilson"
    assert fcr.interval is not None
    assert fcr.interval[0] < 0 < fcr.interval[1]
    count = by_kpi["tickets_created"]
    assert count.direction in (None, "no_better_side")
    assert count.interval is None


async def test_a_control_measure_with_no_effect_has_an_interval_including_zero(
    reader: MemoryReader,
) -> None:
    result = await measure_effect(reader, PARAMS, measure("control", CONTROL_START), 28)
    for kpi in ("aht_mean_seconds", "aht_p50_seconds", "fcr_calls_rate"):
        found = next(e for e in result.effects if e.kpi == kpi)
        assert found.interval is not None, kpi
        assert found.interval[0] < 0 < found.interval[1], kpi


async def test_the_after_period_still_filling_is_not_complete(reader: MemoryReader) -> None:
    result = await measure_effect(reader, PARAMS, measure("late", date(2026, 12, 20)), 28)
    assert not result.complete


def test_the_proportion_interval_matches_newcombes_published_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10.
    lo, hi = newcombe(48, 80, 56, 70)  # 56/70 after, 48/80 before: difference 0.2
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    lo, hi = newcombe(3, 10, 9, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.1705, 0.8090)
    # And against the formula by hand for 21/30 before, 27/40 after.
    z = 1.959963984540054
    l1, u1 = wilson(21, 30)
    l2, u2 = wilson(27, 40)
    p1, p2 = 0.7, 0.675
    expected = (
        p2 - p1 - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        p2 - p1 + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    )
    assert newcombe(21, 30, 27, 40, z) == pytest.approx(expected)
    centre = (0.7 + z * z / 60) / (1 + z * z / 30)
    half = z / (1 + z * z / 30) * math.sqrt(0.7 * 0.3 / 30 + z * z / 3600)
    assert (l1, u1) == pytest.approx((centre - half, centre + half))


def test_an_fcr_rate_effect_uses_newcombe_on_the_aggregates_counts() -> None:
    before, after = Aggregate(), Aggregate()
    for i in range(80):
        before.apply(Fact(FactKind.CALL_FCR, 0.0, ok=i < 48))
    for i in range(70):
        after.apply(Fact(FactKind.CALL_FCR, 0.0, ok=i < 56))
    found = effect("fcr_calls_rate", before, after)
    assert found.direction == "better"
    assert found.difference == pytest.approx(0.2)
    assert found.interval is not None
    assert (round(found.interval[0], 4), round(found.interval[1], 4)) == (0.0524, 0.3339)


def test_too_few_data_gives_no_interval_and_a_flag() -> None:
    before, after = Aggregate(), Aggregate()
    for i in range(29):
        before.apply(Fact(FactKind.HANDLED_CALL, 0.0, value=300.0 + i))
    for i in range(100):
        after.apply(Fact(FactKind.HANDLED_CALL, 0.0, value=200.0 + i))
    found = effect("aht_mean_seconds", before, after)
    assert found.too_few_data
    assert found.interval is None
    assert found.direction == "better"
    assert found.n_before == 29
    empty = effect("aht_mean_seconds", Aggregate(), after)
    assert empty.too_few_data
    assert empty.difference is None
    assert empty.direction is None


def test_the_bootstrap_is_reproducible() -> None:
    before, after = Aggregate(), Aggregate()
    for i in range(60):
        before.apply(Fact(FactKind.HANDLED_CALL, 0.0, value=100.0 + 3 * i))
        after.apply(Fact(FactKind.HANDLED_CALL, 0.0, value=110.0 + 3 * i))
    first = effect("aht_p90_seconds", before, after, resamples=300)
    assert first == effect("aht_p90_seconds", before, after, resamples=300)
    assert first.direction == "worse"


def test_poisson_variates_have_the_right_mean_and_variance() -> None:
    rng = random.Random(3)
    for lam in (0.5, 4.0, 25.0, 800.0):
        draws = [poisson(lam, rng) for _ in range(20000)]
        assert statistics.fmean(draws) == pytest.approx(lam, rel=0.03)
        assert statistics.variance(draws) == pytest.approx(lam, rel=0.06)


def test_the_bootstrap_interval_of_a_mean_matches_the_normal_theory_width() -> None:
    rng = random.Random(5)
    before, after = Sketch(), Sketch()
    values: dict[str, list[float]] = {"before": [], "after": []}
    for name, sketch in (("before", before), ("after", after)):
        for _ in range(2000):
            value = max(1.0, rng.gauss(300.0, 90.0))
            values[name].append(value)
            sketch.add(value)
    lo, hi = bootstrap(before, after, None)
    se = math.sqrt(sum(statistics.variance(v) / len(v) for v in values.values()))
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.12)
