"""Finished entities are remembered as tombstones: later events of them still count right.

A reopen 10-16 days after a resolution (beyond every FCR horizon, when the ticket's full row
has expired) must still count its new resolution cycle; a survey resubmitted days later
must replace, not add to, the first submission. Each case is checked against the oracle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.params import load_measurement_params
from tests.engine_harness import Harness
from tests.oracle import figures as oracle
from tests.oracle.figures import window_bounds

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
A = "globex-hotline"  # 24/7, FCR horizon 3 days
_n = iter(range(10**6))


def ev(type_: str, at: str, **fields: Any) -> EventBase:
    return parse_event(
        {"event_id": f"e{next(_n)}", "type": type_, "occurred_at": at, "agreement_id": A, **fields}
    )


def ticket(tid: str, at: str, *steps: tuple[str, str]) -> list[EventBase]:
    events = [
        ev("ticket.created", at, ticket_id=tid, customer_id="c", channel="email", priority="low")
    ]
    for kind, when in steps:
        if kind == "reply":
            events.append(ev("ticket.replied", when, ticket_id=tid, author="agent", agent_id="a"))
        elif kind == "resolved":
            events.append(ev("ticket.resolved", when, ticket_id=tid, agent_id="a"))
        elif kind == "reopened":
            events.append(ev("ticket.reopened", when, ticket_id=tid))
        else:
            events.append(ev("ticket.status_changed", when, ticket_id=tid, status=kind))
    return events


def busy_partitions(day: str) -> list[EventBase]:
    """Tickets on every partition that move each one's watermark of `A` to `day`."""
    return [e for n in range(12) for e in ticket(f"other-{day}-{n}", f"{day}T12:00:00Z")]


def run(events: list[EventBase]) -> Harness:
    harness = Harness(PARAMS)
    harness.publish(events)
    harness.consume()
    return harness


def figures_30d(harness: Harness, events: list[EventBase]) -> tuple[dict[str, Any], Any]:
    stream_time = oracle.stream_time(events, A)
    assert stream_time is not None
    want = oracle.batch_figures(events, PARAMS, A, *window_bounds("30d", stream_time), stream_time)
    return harness.evaluate(A, "30d").figures, want


def test_a_reopen_two_weeks_after_resolution_counts_its_new_resolution_cycle() -> None:
    first = ticket(
        "t1",
        "2026-10-01T09:00:00Z",
        ("pending", "2026-10-01T09:30:00Z"),
        ("open", "2026-10-01T10:00:00Z"),
        ("reply", "2026-10-01T10:30:00Z"),
        ("resolved", "2026-10-01T11:00:00Z"),
    )
    # Ten days later: past the horizon and the lateness, the full row is gone by now.
    later = busy_partitions("2026-10-11")
    back = [
        ev("ticket.reopened", "2026-10-13T09:00:00Z", ticket_id="t1"),
        ev("ticket.replied", "2026-10-13T09:05:00Z", ticket_id="t1", author="customer"),
        ev("ticket.status_changed", "2026-10-13T10:00:00Z", ticket_id="t1", status="pending"),
        ev("ticket.status_changed", "2026-10-13T11:00:00Z", ticket_id="t1", status="open"),
        ev("ticket.resolved", "2026-10-13T12:00:00Z", ticket_id="t1", agent_id="a"),
    ]
    harness = Harness(PARAMS)
    harness.publish([*first, *later])
    harness.consume()
    row = harness.stores[Family.TICKETS][keys.entity(f"{A}/t1")]
    assert row.get("tomb")
    harness.publish(back)
    harness.consume(harness.log[-len(back) :])
    events = [*first, *later, *back]
    got, want = figures_30d(harness, events)
    assert (got["resolution_mean_seconds"].n, want["resolution_mean_seconds"].n) == (2, 2)
    for name in ("resolution_mean_seconds", "fcr_tickets_rate", "frt_mean_seconds"):
        assert (got[name].value, got[name].n) == (want[name].value, want[name].n), name
    # First cycle 2 h less 30 min paused; the new one 3 h from the reopen less 1 h paused.
    assert want["resolution_mean_seconds"].value == (5400.0 + 7200.0) / 2


def test_a_survey_resubmitted_days_later_replaces_the_first() -> None:
    def survey(at: str, score: int, sid: str = "s1") -> EventBase:
        return ev("survey.submitted", at, survey_id=sid, ticket_id="t1", score=score)

    first = survey("2026-10-01T09:00:00Z", 5)
    later = [survey("2026-10-04T09:00:00Z", 3, f"other{n}") for n in range(12)]
    again = survey("2026-10-05T09:00:00Z", 1)
    events = [first, *later, again]
    harness = run(events)
    got, want = figures_30d(harness, events)
    assert (got["csat_mean_score"].value, got["csat_mean_score"].n) == ((3 * 12 + 1) / 13, 13)
    assert (want["csat_mean_score"].value, want["csat_mean_score"].n) == ((3 * 12 + 1) / 13, 13)
