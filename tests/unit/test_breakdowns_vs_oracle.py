"""Breakdowns: the engine's figures per slice equal the batch oracle's, and slices add up.

The random histories of tests/histories.py are varied here (several queues, resolvers and
answering agents, chosen by a hash of the ids so duplicates stay identical copies), and the
agreements get a team mapping that leaves some agents unassigned.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.contract.events import EventBase
from services.core.contract.topics import Family
from services.core.kpi.figures import Figure
from services.core.kpi.params import MeasurementParams, load_measurement_params
from services.core.kpi.slice_windows import SLICE_WINDOWS, evaluate_slices
from services.core.kpi.slices import FAMILY_DIMENSIONS, OTHER, Slicer
from services.core.kpi.windows import current_periods
from tests.engine_harness import Harness
from tests.histories import AGREEMENTS, HistorySpec, generate, parsed
from tests.oracle import slices as oracle_slices
from tests.unit.test_engine_vs_oracle import assert_same

TEAMS = {"front": ("A1", "A2"), "second-line": ("A3",)}  # A4, A5: unassigned
PARAMS = {
    a: p.model_copy(update={"teams": TEAMS})
    for a, p in load_measurement_params(
        Path(__file__).parents[2] / "deploy/agreements/demo.yaml"
    ).items()
}
DIMENSIONS = ("priority", "channel", "queue", "agent", "team")
TICKET_FIGURES = ("tickets_created", "frt_mean_seconds", "resolution_mean_seconds")
TICKET_FIGURES += ("fcr_tickets_rate",)
CALL_FIGURES = ("aht_mean_seconds", "asa_seconds", "service_level", "calls_short_abandoned")
CALL_FIGURES += ("fcr_calls_rate",)
SUMMED = {
    "priority": TICKET_FIGURES,
    "channel": TICKET_FIGURES,
    "queue": CALL_FIGURES,
    "agent": TICKET_FIGURES + CALL_FIGURES + ("fcr_rate",),
    "team": TICKET_FIGURES + CALL_FIGURES + ("fcr_rate",),
}


def _pick(key: str, choices: list[str]) -> str:
    return choices[zlib.crc32(key.encode()) % len(choices)]


def varied(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several queues and agents; one event id always gets the same values."""
    out = []
    for event in raw:
        event = dict(event)
        if event["type"] == "call.offered":
            event["queue"] = _pick(event["call_id"], ["hotline", "billing", "vip"])
        elif event["type"] in ("call.answered", "ticket.resolved"):
            event["agent_id"] = _pick(event["event_id"], ["A1", "A2", "A3", "A4", "A5"])
        out.append(event)
    return out


def sliced_harness(params: dict[str, MeasurementParams], max_values: int = 100) -> Harness:
    harness = Harness(params)
    for engine in harness.engines.values():
        engine.slicer = Slicer(max_values)
    return harness


def sliceable_windows(stream_time: float, params: MeasurementParams) -> list[str]:
    return [*SLICE_WINDOWS, *current_periods(stream_time, params.zone).values()]


def assert_slices_sum(
    dimension: str, slices: dict[str, dict[str, Figure]], totals: dict[str, Figure]
) -> None:
    for name in SUMMED[dimension]:
        total = sum(figures[name].n for figures in slices.values())
        assert total == totals[name].n, f"{dimension} {name}: {total} != {totals[name].n}"


def compare(events: list[EventBase], harness: Harness) -> int:
    compared = 0
    for agreement_id in AGREEMENTS:
        at = harness.stream_time(agreement_id)
        if at is None:
            continue
        params = PARAMS[agreement_id]
        labelled = oracle_slices.labelled_items(events, params)
        stored = {d: harness.slice_buckets_of(agreement_id, d) for d in DIMENSIONS}
        for window in sliceable_windows(at, params):
            totals = harness.evaluate(agreement_id, window).figures
            period = window not in SLICE_WINDOWS
            for dimension in DIMENSIONS:
                bounds, got = evaluate_slices(stored[dimension], params, at, window)
                want = oracle_slices.figures_by(
                    labelled, params, dimension, bounds.start, bounds.end, at, period
                )
                where = f"{agreement_id} {window} by {dimension}"
                assert set(got) == set(want), where
                for value, figures in want.items():
                    assert_same(f"{where}={value}", got[value].figures, figures)
                assert_slices_sum(dimension, {v: r.figures for v, r in got.items()}, totals)
                compared += len(want)
    return compared


@settings(max_examples=25)  # each example checks ~40 windows x dimensions per agreement
@given(
    seed=st.integers(0, 2**32 - 1),
    span=st.sampled_from([6.0, 30.0, 120.0]),
    batch=st.sampled_from([1, 7, 10_000]),
)
def test_breakdowns_match_oracle_per_slice(seed: int, span: float, batch: int) -> None:
    """Every slice of every dimension, window and period equals the oracle's and sums up."""
    events = parsed(varied(generate(seed, HistorySpec(span_hours=span))))
    harness = sliced_harness(PARAMS)
    harness.publish(events)
    harness.consume(batch=batch)
    assert compare(events, harness) > 0


def test_values_over_the_cap_go_to_other_and_still_add_up() -> None:
    events = parsed(varied(generate(7, HistorySpec(tickets=60, calls=60, span_hours=30.0))))
    harness = sliced_harness(PARAMS, max_values=2)
    harness.publish(events)
    harness.consume(batch=64)
    at = harness.stream_time("acme-helpdesk")
    assert at is not None
    params = PARAMS["acme-helpdesk"]
    totals = harness.evaluate("acme-helpdesk", "30d").figures
    for dimension in ("agent", "priority"):
        buckets = harness.slice_buckets_of("acme-helpdesk", dimension)
        _, got = evaluate_slices(buckets, params, at, "30d")
        assert OTHER in got, dimension
        admitted = [
            row["vals"]
            for engine in harness.engines.values()
            for key, row in engine.store.items()
            if key.startswith("v|acme-helpdesk|") and key.endswith(f"|{dimension}")
        ]
        assert admitted
        assert all(len(vals) <= 2 for vals in admitted)
        assert set(got) - {"none", OTHER} <= {v for vals in admitted for v in vals}
        assert_slices_sum(dimension, {v: r.figures for v, r in got.items()}, totals)


def test_breakdowns_off_writes_totals_only() -> None:
    events = parsed(generate(3, HistorySpec(span_hours=6.0)))
    harness = Harness(PARAMS)
    harness.publish(events)
    harness.consume()
    assert all(not harness.slice_buckets_of(a, d) for a in AGREEMENTS for d in DIMENSIONS)


def test_a_changed_team_mapping_keeps_slices_summing() -> None:
    """Facts keep the team they were counted with; a re-derived fact moves as a whole."""
    events = parsed(varied(generate(11, HistorySpec(span_hours=30.0))))
    params = dict(PARAMS)
    harness = sliced_harness(params)
    half = len(events) // 2
    harness.publish(events[:half])
    harness.consume()
    params.update(
        {
            a: p.model_copy(update={"teams": {"all": ("A1", "A2", "A3", "A4")}})
            for a, p in params.items()
        }
    )
    harness.publish(events[half:])
    harness.consume()
    for agreement_id in AGREEMENTS:
        at = harness.stream_time(agreement_id)
        assert at is not None
        totals = harness.evaluate(agreement_id, "30d").figures
        _, got = evaluate_slices(
            harness.slice_buckets_of(agreement_id, "team"), params[agreement_id], at, "30d"
        )
        assert_slices_sum("team", {v: r.figures for v, r in got.items()}, totals)
        assert all(f.n >= 0 for r in got.values() for f in r.figures.values())


@pytest.mark.parametrize("family", list(Family))
def test_every_family_names_its_dimensions(family: Family) -> None:
    assert set(FAMILY_DIMENSIONS[family]) <= set(DIMENSIONS)
