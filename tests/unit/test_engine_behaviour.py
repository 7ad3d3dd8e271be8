"""Engine behaviour beyond the figures: late, duplicate and unknown events, corrections,
and bounded memory (state of finished entities is dropped without changing any figure)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.core.contract.events import parse_event
from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.engine import Engine, Outcome
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from tests.engine_harness import Harness

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
A = "globex-hotline"  # 24/7, FCR horizon 3 days


def ev(n: int, type_: str, at: str, **fields: Any) -> Any:
    return parse_event(
        {"event_id": f"e{n}", "type": type_, "occurred_at": at, "agreement_id": A, **fields}
    )


def created(n: int, at: str, ticket: str = "t1") -> Any:
    return ev(
        n,
        "ticket.created",
        at,
        ticket_id=ticket,
        customer_id="c",
        channel="email",
        priority="normal",
    )


def reply(n: int, at: str, ticket: str = "t1") -> Any:
    return ev(n, "ticket.replied", at, ticket_id=ticket, author="agent", agent_id="a")


@pytest.fixture
def engine() -> Engine:
    return Engine(Family.TICKETS, {}, PARAMS, Retention(lateness_seconds=3600))


def test_late_duplicate_and_unknown_events_are_refused(engine: Engine) -> None:
    assert engine.process(created(1, "2026-10-01T10:00:00Z"), 0, 0) is Outcome.ACCEPTED
    assert engine.process(created(1, "2026-10-01T10:00:00Z"), 0, 1) is Outcome.DUPLICATE
    assert engine.process(created(2, "2026-10-01T12:00:00Z", "t2"), 0, 2) is Outcome.ACCEPTED
    # 10:59 is more than an hour behind the watermark of 12:00.
    assert engine.process(reply(3, "2026-10-01T10:59:00Z"), 0, 3) is Outcome.LATE
    # Within the lateness is fine, also for another partition's watermark.
    assert engine.process(reply(4, "2026-10-01T11:00:00Z"), 0, 4) is Outcome.ACCEPTED
    assert engine.process(reply(5, "2026-10-01T09:00:00Z", "t9"), 1, 0) is Outcome.ACCEPTED
    unknown = parse_event(
        {**created(6, "2026-10-01T12:00:00Z").model_dump(mode="json"), "agreement_id": "nobody"}
    )
    assert engine.process(unknown, 0, 5) is Outcome.UNKNOWN_AGREEMENT


def test_an_earlier_event_arriving_late_corrects_the_figure() -> None:
    harness = Harness(PARAMS)
    harness.publish(
        [
            created(1, "2026-10-01T10:00:00Z"),
            reply(2, "2026-10-01T11:00:00Z"),
            # Arrives after the reply, but happened before it: 30 minutes of the clock paused.
            ev(
                3, "ticket.status_changed", "2026-10-01T10:10:00Z", ticket_id="t1", status="pending"
            ),
            ev(4, "ticket.status_changed", "2026-10-01T10:40:00Z", ticket_id="t1", status="open"),
        ]
    )
    harness.consume()
    figures = harness.evaluate(A, "24h").figures
    assert (figures["frt_mean_seconds"].value, figures["frt_mean_seconds"].n) == (1800.0, 1)
    assert figures["frt_p50_seconds"].value == pytest.approx(1800, rel=0.01)


def test_finished_tickets_leave_memory_and_the_figures_stay() -> None:
    harness = Harness(PARAMS, Retention(lateness_seconds=3600))
    events = []
    for i in range(50):
        t = f"t{i}"
        events += [
            created(3 * i, "2026-10-01T10:00:00Z", t),
            reply(3 * i + 1, "2026-10-01T10:05:00Z", t),
            ev(3 * i + 2, "ticket.resolved", "2026-10-01T10:30:00Z", ticket_id=t, agent_id="a"),
        ]
    harness.publish(events)
    harness.consume()
    store = harness.stores[Family.TICKETS]
    before = harness.evaluate(A, "30d", at=parse_event_time("2026-10-06T00:00:00Z")).figures
    assert sum(keys.is_entity(k) for k in store) == 50

    # Five days later (beyond the 3-day FCR horizon and the lateness) one more event of the
    # same partitions moves the watermark: the finished tickets shrink to tombstones.
    late_events = [created(1000 + p, "2026-10-06T00:00:00Z", f"new{p}") for p in range(12)]
    harness.publish(late_events)
    harness.consume(harness.log[-len(late_events) :])
    old = [row for k, row in store.items() if keys.is_entity(k) and "/new" not in k]
    assert len(old) == 50
    assert all(row.get("tomb") and len(row["ev"]) == 3 and "facts" not in row for row in old)
    after = harness.evaluate(A, "30d", at=parse_event_time("2026-10-06T00:00:00Z")).figures
    for name in ("frt_mean_seconds", "resolution_mean_seconds", "fcr_tickets_rate"):
        assert (after[name].value, after[name].n) == (before[name].value, before[name].n)

    # After the tombstone time (35 days from their last event) they are gone.
    gone = [created(2000 + p, "2026-11-06T00:00:00Z", f"newer{p}") for p in range(12)]
    harness.publish(gone)
    harness.consume(harness.log[-len(gone) :])
    assert not [k for k in store if keys.is_entity(k) and f"{A}/t" in k]


def parse_event_time(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_rows_from_before_per_agreement_watermarks_still_expire_after_a_restart() -> None:
    store: dict[str, Any] = {}
    engine = Engine(Family.TICKETS, store, PARAMS, Retention(lateness_seconds=3600))
    engine.process(created(1, "2026-10-01T10:00:00Z"), 0, 0)
    engine.process(reply(2, "2026-10-01T10:05:00Z"), 0, 1)
    engine.process(
        ev(3, "ticket.resolved", "2026-10-01T10:30:00Z", ticket_id="t1", agent_id="a"), 0, 2
    )
    legacy = {k: {f: v for f, v in row.items() if f != "a"} for k, row in store.items()}
    restarted = Engine(Family.TICKETS, legacy, PARAMS, Retention(lateness_seconds=3600))
    restarted.rebuild_index({0})
    restarted.process(created(4, "2026-10-06T00:00:00Z", "t2"), 0, 3)
    assert legacy[keys.entity(f"{A}/t1")].get("tomb")
