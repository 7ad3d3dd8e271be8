"""Breached tickets the engine hands the sink: recorded, retracted by a correction, the same
after a replay or a restore, and right across a tombstone (checked against the oracle)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.breaches import Breach
from services.core.kpi.engine import Engine, Outcome
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from tests.engine_harness import Harness
from tests.oracle import figures as oracle

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
A = "globex-hotline"  # 24/7; normal FRT target 1 h, low resolution target 3 days
_n = iter(range(10**6))


def ev(type_: str, at: str, **fields: Any) -> EventBase:
    return parse_event(
        {"event_id": f"e{next(_n)}", "type": type_, "occurred_at": at, "agreement_id": A, **fields}
    )


def created(at: str, ticket: str = "t1", priority: str = "normal") -> EventBase:
    return ev(
        "ticket.created", at, ticket_id=ticket, customer_id="c", channel="email", priority=priority
    )


def reply(at: str, ticket: str = "t1") -> EventBase:
    return ev("ticket.replied", at, ticket_id=ticket, author="agent", agent_id="a")


def status(at: str, value: str, ticket: str = "t1") -> EventBase:
    return ev("ticket.status_changed", at, ticket_id=ticket, status=value)


def breaches_of(engine: Engine, ticket: str = "t1") -> list[Breach] | None:
    found = {t: b for a, t, b in engine.ticket_breaches({0}, set(engine.store)) if a == A}
    return found.get(ticket)


def engine() -> Engine:
    return Engine(Family.TICKETS, {}, PARAMS, Retention(lateness_seconds=3 * 3600))


def test_a_late_reply_is_recorded_with_its_target_and_overrun() -> None:
    e = engine()
    e.process(created("2026-10-01T10:00:00Z"), 0, 0)
    assert breaches_of(e) == []
    e.process(reply("2026-10-01T12:00:00Z"), 0, 1)
    (breach,) = breaches_of(e) or []
    at = reply("2026-10-01T12:00:00Z").occurred_at_epoch
    assert breach == Breach("frt", at, 7200.0, 3600.0, "normal")
    assert breach.overrun_seconds == 3600.0


def test_a_correction_that_brings_the_clock_within_target_retracts_the_breach() -> None:
    e = engine()
    for offset, event in enumerate(
        [created("2026-10-01T10:00:00Z"), reply("2026-10-01T12:00:00Z")]
    ):
        e.process(event, 0, offset)
    assert len(breaches_of(e) or []) == 1
    # Happened before the reply, arrives after it: 100 minutes paused, FRT 20 minutes.
    e.process(status("2026-10-01T10:10:00Z", "pending"), 0, 2)
    e.process(status("2026-10-01T11:50:00Z", "open"), 0, 3)
    assert breaches_of(e) == []  # listed empty: the sink deletes the saved row


def test_a_replay_and_a_restore_give_the_same_single_breach() -> None:
    e = engine()
    events = [created("2026-10-01T10:00:00Z"), reply("2026-10-01T12:00:00Z")]
    for offset, event in enumerate(events):
        e.process(event, 0, offset)
    before = breaches_of(e)
    saved = copy.deepcopy(dict(e.store))
    assert [e.process(event, 0, offset) for offset, event in enumerate(events)] == [
        Outcome.REPLAYED
    ] * 2
    assert breaches_of(e) == before
    restored = Engine(Family.TICKETS, saved, PARAMS, Retention(lateness_seconds=3 * 3600))
    restored.rebuild_index({0})
    assert breaches_of(restored) == before
    assert len(before or []) == 1


def test_breaches_across_a_tombstone_equal_the_oracles() -> None:
    first = [
        created("2026-10-01T09:00:00Z", priority="low"),
        # Paused 2 h 40 min: FRT 15 minutes. The tombstone keeps no status change, so a
        # breach list re-derived from its events would show an FRT of 2 h 55 min (a breach)
        # and a first cycle 2 h 40 min longer than it was.
        status("2026-10-01T09:10:00Z", "pending"),
        status("2026-10-01T11:50:00Z", "open"),
        reply("2026-10-01T11:55:00Z"),
        ev("ticket.resolved", "2026-10-05T09:00:00Z", ticket_id="t1", agent_id="a"),  # 4 days
    ]
    # Every partition's watermark moves on: the ticket's full row expires to a tombstone.
    later = [
        e
        for n in range(12)
        for e in [created("2026-10-15T12:00:00Z", f"o{n}"), reply("2026-10-15T12:10:00Z", f"o{n}")]
    ]
    back = [
        ev("ticket.reopened", "2026-10-16T09:00:00Z", ticket_id="t1"),
        ev("ticket.resolved", "2026-10-20T09:00:00Z", ticket_id="t1", agent_id="a"),
    ]
    harness = Harness(PARAMS)
    harness.publish([*first, *later])
    harness.consume()
    store = harness.stores[Family.TICKETS]
    assert store[keys.entity(f"{A}/t1")].get("tomb")
    harness.publish(back)
    harness.consume(harness.log[-len(back) :])
    engine_ = harness.engines[Family.TICKETS]
    owned = set(range(64))
    got = {
        (t, b.kpi, b.at, b.measured_seconds, b.target_seconds, b.priority)
        for a, t, bs in engine_.ticket_breaches(owned, set(store))
        for b in bs
        if a == A
    }
    want = set(oracle.breached_tickets([*first, *later, *back], PARAMS[A]))
    assert got == want
    mine = sorted((kpi, measured) for t, kpi, _, measured, *_ in want if t == "t1")
    assert mine == [("resolution", 4 * 86400.0 - 9600.0), ("resolution", 4 * 86400.0)]
