"""Timestamps the contract accepts but no real event has: refused with a reason, never a
crash, a stall or a poisoned watermark (docs/kpis.md, "Late, duplicate, unknown and
out-of-range events")."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.engine import Engine, Outcome
from services.core.kpi.limits import EARLIEST_SECONDS, LATEST_SECONDS
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from services.core.kpi.windows import evaluate, window_bounds
from tests.engine_harness import Harness
from tests.histories import HistorySpec, generate, parsed
from tests.oracle import figures as oracle

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
A, B = "acme-helpdesk", "globex-hotline"  # Berlin with a calendar; New York, 24/7
_n = iter(range(10**6))


def created(agreement: str, ticket: str, at: str) -> EventBase:
    return parse_event(
        {
            "event_id": f"e{next(_n)}",
            "type": "ticket.created",
            "occurred_at": at,
            "agreement_id": agreement,
            "ticket_id": ticket,
            "customer_id": "c",
            "channel": "email",
            "priority": "low",
        }
    )


def reply(agreement: str, ticket: str, at: str) -> EventBase:
    return parse_event(
        {
            "event_id": f"e{next(_n)}",
            "type": "ticket.replied",
            "occurred_at": at,
            "agreement_id": agreement,
            "ticket_id": ticket,
            "author": "agent",
            "agent_id": "a",
        }
    )


def test_the_ends_of_the_contract_range_are_refused_at_once_and_change_nothing() -> None:
    engine = Engine(Family.TICKETS, {}, PARAMS, Retention())
    assert engine.process(created(A, "t1", "2026-10-01T10:00:00Z"), 0, 0) is Outcome.ACCEPTED
    before = dict(engine.store)
    started = time.monotonic()
    for offset, event in enumerate(
        [
            created(A, "t2", "9999-12-31T23:59:59Z"),  # was an OverflowError
            created(A, "t3", "0001-01-01T00:00:00Z"),  # was "year 0 is out of range" later
            reply(A, "t1", "3000-01-01T00:00:00Z"),  # was a ~50 s calendar walk
            reply(A, "t1", "0001-01-01T00:00:00+01:00"),
        ],
        start=1,
    ):
        assert engine.process(event, 0, offset) is Outcome.OUT_OF_RANGE
    assert time.monotonic() - started < 1.0
    assert engine.store == before


def test_a_year_ahead_event_of_one_agreement_does_not_make_anothers_events_late() -> None:
    store: dict[str, Any] = {}
    engine = Engine(Family.TICKETS, store, PARAMS, Retention())
    first = [created(A, "a1", "2026-10-01T10:00:00Z"), created(B, "b1", "2026-10-01T10:00:00Z")]
    outlier = created(A, "a2", "2027-10-01T10:00:00Z")  # in range: no clock in this engine
    normal = [reply(B, "b1", "2026-10-01T10:30:00Z"), created(B, "b2", "2026-10-01T11:00:00Z")]
    log = [*first, outlier, *normal]
    outcomes = [engine.process(event, 0, offset) for offset, event in enumerate(log)]
    assert outcomes == [Outcome.ACCEPTED] * 5

    # Restarted from the changelog (the store), B's watermark is still B's own.
    restored = Engine(Family.TICKETS, dict(store), PARAMS, Retention())
    restored.rebuild_index({0})
    more = [reply(B, "b2", "2026-10-01T11:20:00Z"), reply(A, "a1", "2026-10-01T11:00:00Z")]
    outcomes = [restored.process(event, 0, 5 + i) for i, event in enumerate(more)]
    assert outcomes == [Outcome.ACCEPTED, Outcome.LATE]  # A's own outlier makes A's late
    b_events = [*first, *normal, more[0]]
    at = datetime(2026, 10, 1, 11, 20, tzinfo=UTC).timestamp()
    got = evaluate(buckets_of(restored.store, B), PARAMS[B], at, "24h").figures
    want = oracle.batch_figures(b_events, PARAMS, B, *window_bounds("24h", at), at)
    for name in ("tickets_created", "frt_mean_seconds"):
        assert (got[name].value, got[name].n) == (want[name].value, want[name].n)
    assert want["tickets_created"].n == 2


def buckets_of(store: dict[str, Any], agreement_id: str) -> list[tuple[str, float, Aggregate]]:
    rows = []
    for key, row in store.items():
        if keys.is_bucket(key) and keys.parse_bucket(key)[0] == agreement_id:
            _, _, granularity, start = keys.parse_bucket(key)
            rows.append((granularity, start, Aggregate.from_dict(row["agg"])))
    return rows


def test_with_the_worker_clock_an_event_from_the_future_is_refused() -> None:
    now = datetime(2026, 10, 1, 12, 0, tzinfo=UTC).timestamp()
    engine = Engine(Family.TICKETS, {}, PARAMS, Retention(max_ahead_seconds=600), clock=lambda: now)
    assert engine.process(created(A, "t1", "2026-10-01T12:09:00Z"), 0, 0) is Outcome.ACCEPTED
    assert engine.process(created(A, "t2", "2026-10-01T12:11:00Z"), 0, 1) is Outcome.OUT_OF_RANGE
    assert engine.process(created(A, "t3", "2027-10-01T12:00:00Z"), 0, 2) is Outcome.OUT_OF_RANGE
    assert engine.process(created(A, "t4", "2026-10-01T11:30:00Z"), 0, 3) is Outcome.ACCEPTED


_OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))])
ANY_INSTANT = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=_OFFSETS)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(seed=st.integers(0, 2**32 - 1), instants=st.lists(ANY_INSTANT, min_size=1, max_size=6))
def test_any_contract_instant_is_counted_or_refused_never_raised(
    seed: int, instants: list[datetime]
) -> None:
    """Events re-dated anywhere in the contract's range: each is refused with a reason or
    counted as the oracle counts it; the rest of the history is unaffected."""
    raw = generate(seed, HistorySpec(tickets=12, calls=12, span_hours=48.0))
    clock_now = max(e.occurred_at_epoch for e in parsed(raw)) + 86_400.0
    for i, instant in enumerate(instants):
        victim = raw[(seed + 7 * i) % len(raw)]
        raw.append({**victim, "event_id": f"odd{i}", "occurred_at": instant.isoformat()})
    events = parsed(raw)
    harness = Harness(PARAMS)
    for engine in harness.engines.values():
        engine.clock = lambda: clock_now
    harness.publish(events)
    outcomes = harness.consume(batch=16)
    counted = []
    for (_, _, _, event), outcome in zip(harness.log, outcomes, strict=True):
        at = event.occurred_at_epoch
        in_range = EARLIEST_SECONDS <= at < LATEST_SECONDS and at <= clock_now + 3600.0
        assert (outcome is Outcome.OUT_OF_RANGE) == (not in_range), (event, outcome)
        if outcome not in (Outcome.OUT_OF_RANGE, Outcome.LATE):
            counted.append(event)
    for agreement_id in PARAMS:
        stream_time = oracle.stream_time(counted, agreement_id)
        assert harness.stream_time(agreement_id) == stream_time
        if stream_time is None:
            continue
        got = harness.evaluate(agreement_id, "30d").figures
        bounds = window_bounds("30d", stream_time)
        want = oracle.batch_figures(counted, PARAMS, agreement_id, *bounds, stream_time)
        for name in ("tickets_created", "resolution_mean_seconds", "aht_mean_seconds", "csat"):
            g, w = got[name], want[name]
            assert g.n == w.n, name
            assert (g.value is None) == (w.value is None), name
            if g.value is not None and w.value is not None:
                assert abs(g.value - w.value) <= 1e-6 * max(1.0, abs(w.value)), name
