"""The streaming engine, fed events in any order within the lateness, equals the batch oracle."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.kpi.figures import Figure
from services.core.kpi.params import MeasurementParams, load_measurement_params
from services.core.kpi.windows import ROLLING_WINDOWS, current_periods
from tests.engine_harness import Harness
from tests.histories import AGREEMENTS, HOUR, START, HistorySpec, generate, parsed
from tests.oracle import figures as oracle

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
QUANTILE_FIGURES = {
    name for name in oracle.FIGURE_NAMES if name.endswith(("p50_seconds", "p90_seconds"))
}


def assert_same(window: str, got: dict[str, Figure], want: dict[str, oracle.Figure]) -> None:
    for name, expected in want.items():
        actual = got[name]
        assert actual.n == expected.n, f"{window} {name}: n {actual.n} != {expected.n}"
        if expected.value is None or actual.value is None:
            assert actual.value == expected.value, f"{window} {name}"
            continue
        if name in QUANTILE_FIGURES:
            # DDSketch at 1 % relative accuracy; values under a millisecond count as zero.
            tolerance = 0.01 * expected.value + 1e-3
        else:
            tolerance = 1e-9 * max(1.0, abs(expected.value))
        assert math.isclose(actual.value, expected.value, abs_tol=tolerance), (
            f"{window} {name}: {actual.value} != {expected.value}"
        )


def with_target_change(at: float) -> dict[str, MeasurementParams]:
    """PARAMS with a change of both clock targets at epoch `at`: FRT halved, resolution x2."""
    changed = {}
    for agreement_id, params in PARAMS.items():
        frt, resolution = params.frt_target_seconds, params.resolution_target_seconds
        change = {
            "effective_from": datetime.fromtimestamp(at, UTC),
            "frt_target_seconds": {k: v / 2 for k, v in frt.model_dump().items()},
            "resolution_target_seconds": {k: v * 2 for k, v in resolution.model_dump().items()},
        }
        document = {**params.model_dump(), "clock_target_changes": [change]}
        changed[agreement_id] = MeasurementParams.model_validate(document)
    return changed


def compare(
    events: list, harness: Harness, all_params: dict[str, MeasurementParams] = PARAMS
) -> int:
    compared = 0
    for agreement_id in AGREEMENTS:
        stream_time = oracle.stream_time(events, agreement_id)
        assert harness.stream_time(agreement_id) == stream_time
        if stream_time is None:
            continue
        params = all_params[agreement_id]
        windows = [*ROLLING_WINDOWS, *current_periods(stream_time, params.zone).values()]
        for window in windows:
            result = harness.evaluate(agreement_id, window)
            if window in ROLLING_WINDOWS:
                bounds = oracle.window_bounds(window, stream_time)
            else:
                bounds = oracle.period_bounds(window, params.zone)
            assert (result.start, result.end) == bounds
            want = oracle.batch_figures(
                events,
                all_params,
                agreement_id,
                *bounds,
                stream_time,
                calendar_period=window not in ROLLING_WINDOWS,
            )
            assert_same(f"{agreement_id} {window}", result.figures, want)
            compared += 1
    return compared


@given(
    seed=st.integers(0, 2**32 - 1),
    span=st.sampled_from([6.0, 30.0, 120.0, 21 * 24.0, 35 * 24.0]),
    batch=st.sampled_from([1, 7, 64, 10_000]),
    change_at=st.none() | st.floats(0.0, 1.0),
)
def test_engine_matches_oracle(seed: int, span: float, batch: int, change_at: float | None) -> None:
    """Whatever the batch size the worker writes with, the figures are the oracle's.

    Histories of weeks hold reopens and resubmitted surveys that reach tombstones; they are
    denser so that each agreement's watermark on each partition moves past the horizons.
    `change_at` (a share of the span) places a change of the clock targets mid-history.
    """
    weeks = span > 7 * 24
    spec = HistorySpec(span_hours=span, tickets=60 if weeks else 30, calls=40 if weeks else 30)
    events = parsed(generate(seed, spec))
    params = PARAMS if change_at is None else with_target_change(START + change_at * span * HOUR)
    harness = Harness(params)
    harness.publish(events)
    harness.consume(batch=batch)
    assert compare(events, harness, params) > 0


@pytest.mark.parametrize("seed", range(5))
def test_arrival_order_does_not_matter(seed: int) -> None:
    events = parsed(generate(seed, HistorySpec(tickets=40, calls=40, duplicate_rate=0.2)))
    in_order = sorted(events, key=lambda e: (e.occurred_at_epoch, e.event_id))
    results = []
    for batch in (events, in_order):
        harness = Harness(PARAMS)
        harness.publish(batch)
        harness.consume()
        results.append(
            {(a, w): harness.evaluate(a, w).figures for a in AGREEMENTS for w in ROLLING_WINDOWS}
        )
    assert results[0].keys() == results[1].keys()
    for key, figures in results[0].items():
        for name, figure in figures.items():
            other = results[1][key][name]
            assert figure.n == other.n, (key, name)
            if figure.value is not None and other.value is not None:
                assert math.isclose(figure.value, other.value, rel_tol=1e-9, abs_tol=1e-9)
