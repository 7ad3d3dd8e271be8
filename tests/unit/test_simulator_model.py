"""The traffic model: contract-valid, reproducible, time-ordered, and plausibly shaped."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest

from services.core.contract.events import InvalidEvent, parse_event
from services.core.kpi.params import MeasurementParams
from services.simulator.faults import UNKNOWN_AGREEMENT_ID
from services.simulator.model import Event, Rates, TrafficModel
from services.simulator.scene import DEFAULT_FRT, DEFAULT_RESOLUTION

START = datetime.fromisoformat("2026-10-05T00:00:00+00:00").timestamp()  # a Monday
HOUR, DAY = 3600.0, 86_400.0
FLAT = Rates(tickets_per_minute=0.5, calls_per_minute=0.5, day_shape=False)


def epoch(event: Event) -> float:
    return datetime.fromisoformat(event["occurred_at"]).timestamp()


def by_entity(events: list[Event], key: str) -> dict[str, list[Event]]:
    groups: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        if key in e and not e["type"].startswith("survey."):
            groups[e[key]].append(e)
    return groups


@pytest.fixture(scope="module")
def three_days() -> list[Event]:
    """Two agreements, flat arrivals, three days: long enough to see reopens and repeats."""
    model = TrafficModel(["acme", "globex"], random.Random(7), START, FLAT)
    return model.events_between(START, START + 3 * DAY)


@pytest.fixture(scope="module")
def tickets(three_days: list[Event]) -> dict[str, list[Event]]:
    """Tickets created in the first 36 h, so their lifecycles mostly ended in the run."""
    groups = by_entity(three_days, "ticket_id")
    return {k: v for k, v in groups.items() if epoch(v[0]) < START + 36 * HOUR}


def test_every_event_parses_and_ids_are_unique(three_days: list[Event]) -> None:
    parsed = [parse_event(e) for e in three_days]
    assert len({e.event_id for e in parsed}) == len(parsed)
    assert {e.type for e in parsed} == {
        "ticket.created", "ticket.replied", "ticket.status_changed", "ticket.resolved",
        "ticket.reopened", "call.offered", "call.answered", "call.abandoned",
        "call.completed", "survey.submitted",
    }  # fmt: skip


def test_occurred_at_never_decreases(three_days: list[Event]) -> None:
    instants = [epoch(e) for e in three_days]
    assert instants == sorted(instants)
    assert instants[0] >= START
    assert instants[-1] < START + 3 * DAY


def test_same_seed_same_events_however_the_time_is_sliced() -> None:
    whole = TrafficModel(["a"], random.Random(3), START).events_between(START, START + HOUR)
    sliced_model = TrafficModel(["a"], random.Random(3), START)
    slicer, t, sliced = random.Random(99), START, []
    while t < START + HOUR:
        end = min(t + slicer.uniform(0.1, 300), START + HOUR)
        sliced += sliced_model.events_between(t, end)
        t = end
    other = TrafficModel(["a"], random.Random(4), START).events_between(START, START + HOUR)
    assert sliced == whole
    assert [e["event_id"] for e in other] != [e["event_id"] for e in whole]


def test_a_slice_may_not_start_before_the_previous_one_ended() -> None:
    model = TrafficModel(["a"], random.Random(1), START)
    model.events_between(START, START + 60)
    with pytest.raises(ValueError, match="precedes"):
        model.events_between(START + 30, START + 90)


def test_ticket_lifecycles_are_coherent(tickets: dict[str, list[Event]]) -> None:
    with_agent_reply = resolved = 0
    for events in tickets.values():
        types = [e["type"] for e in events]
        assert types[0] == "ticket.created"
        assert types.count("ticket.created") == 1
        state, agent_replied, paused = "open", False, False
        for e in events[1:]:
            kind = e["type"]
            assert kind != "ticket.reopened" or state == "resolved"
            assert kind != "ticket.resolved" or state == "open"
            if kind == "ticket.replied" and e["author"] == "agent":
                assert not paused, "agents answer once the ticket is open again"
                agent_replied = True
            elif kind == "ticket.status_changed":
                paused = e["status"] in ("pending", "on_hold")
            elif kind == "ticket.resolved":
                state, resolved = "resolved", resolved + 1
                with_agent_reply += agent_replied
            elif kind == "ticket.reopened":
                state = "open"
    assert resolved > 0.8 * len(tickets)
    assert with_agent_reply >= 0.9 * resolved


def test_ticket_shares_are_plausible(tickets: dict[str, list[Event]]) -> None:
    frt_within = frt_n = single = first_resolutions = reopened = 0
    for events in tickets.values():
        created = events[0]
        target = DEFAULT_FRT.for_priority(created["priority"])
        agent = [e for e in events if e["type"] == "ticket.replied" and e["author"] == "agent"]
        resolutions = [e for e in events if e["type"] == "ticket.resolved"]
        if agent:
            frt_n += 1
            frt_within += epoch(agent[0]) - epoch(created) <= target
        if resolutions:
            first_resolutions += 1
            single += sum(epoch(a) <= epoch(resolutions[0]) for a in agent) == 1
            reopened += any(e["type"] == "ticket.reopened" for e in events)
    assert 0.60 <= frt_within / frt_n <= 0.95
    assert 0.60 <= single / first_resolutions <= 0.80
    assert 0.04 <= reopened / first_resolutions <= 0.12


def test_call_outcomes_are_plausible(three_days: list[Event]) -> None:
    calls = by_entity(three_days, "call_id")
    assert all("customer_id" in e for c in calls.values() for e in c)
    answered_waits: list[float] = []
    abandoned_waits: list[float] = []
    completed: list[Event] = []
    for events in calls.values():
        if len(events) < 2:  # offered in the run's last seconds
            continue
        offered, outcome = events[0], events[1]
        assert offered["type"] == "call.offered"
        wait = epoch(outcome) - epoch(offered)
        (answered_waits if outcome["type"] == "call.answered" else abandoned_waits).append(wait)
        completed += [e for e in events if e["type"] == "call.completed"]
    within_20s = sum(w <= 20 for w in answered_waits) / len(answered_waits)
    assert 0.75 <= within_20s <= 0.98
    assert 0.02 <= len(abandoned_waits) / len(calls) <= 0.2
    assert any(w < 5 for w in abandoned_waits)
    assert 0.70 <= sum(c["resolved"] for c in completed) / len(completed) <= 0.80
    offers = Counter(c[0]["customer_id"] for c in calls.values())
    assert 0.05 <= sum(n - 1 for n in offers.values()) / len(calls) <= 0.35


def test_surveys_follow_a_quarter_of_resolutions_and_lean_to_the_top(
    three_days: list[Event],
) -> None:
    surveys = [e for e in three_days if e["type"] == "survey.submitted"]
    subjects = sum(e["type"] in ("call.completed", "ticket.resolved") for e in three_days)
    assert 0.18 <= len(surveys) / subjects <= 0.30
    assert sum(e["score"] >= 4 for e in surveys) / len(surveys) >= 0.7
    assert all(("ticket_id" in e) != ("call_id" in e) for e in surveys)


def _count(events: list[Event], event_type: str, since: float = START) -> int:
    return sum(e["type"] == event_type and epoch(e) >= since for e in events)


def test_arrival_rates_are_as_configured(three_days: list[Event]) -> None:
    expected = 2 * FLAT.tickets_per_minute * 3 * 24 * 60  # two agreements
    assert abs(_count(three_days, "ticket.created") - expected) < 5 * expected**0.5
    # First-time callers: the configured rate, a little more during busy periods (~5 %).
    first_offers = len({e["customer_id"] for e in three_days if e["type"] == "call.offered"})
    assert 0.95 * expected <= first_offers <= 1.15 * expected


def test_arrivals_follow_the_local_time_of_day() -> None:
    params = MeasurementParams(
        agreement_id="berlin",
        timezone="Europe/Berlin",
        frt_target_seconds=DEFAULT_FRT,
        resolution_target_seconds=DEFAULT_RESOLUTION,
    )
    rates = Rates(tickets_per_minute=2.0, calls_per_minute=0.0)
    events = TrafficModel([params], random.Random(5), START, rates).events_between(
        START, START + DAY
    )
    created = [epoch(e) for e in events if e["type"] == "ticket.created"]
    expected = rates.tickets_per_minute * 24 * 60
    assert abs(len(created) - expected) < 5 * expected**0.5
    by_hour = Counter(datetime.fromtimestamp(t, params.zone).hour for t in created)
    assert by_hour[10] > 5 * by_hour[3]  # 10:00 is busy, 03:00 is quiet (local time)


def test_bad_events_are_injected_only_when_asked() -> None:
    model = TrafficModel(["a"], random.Random(2), START, bad_event_share=0.05)
    events = model.events_between(START, START + HOUR)
    outcomes: Counter[str] = Counter()
    for e in events:
        outcomes[_judge(e)] += 1
    bad = outcomes["invalid"] + outcomes["unknown_agreement"]
    assert outcomes["invalid"] > 0
    assert outcomes["unknown_agreement"] > 0
    assert 0.02 <= bad / len(events) <= 0.08


def _judge(event: dict[str, Any]) -> str:
    try:
        parsed = parse_event(event)
    except InvalidEvent:
        return "invalid"
    return "unknown_agreement" if parsed.agreement_id == UNKNOWN_AGREEMENT_ID else "ok"


def test_breakdowns_have_several_values_of_every_dimension() -> None:
    """Channels, priorities, queues, agents and teams all vary (`make demo` shows them)."""
    teams = {"first-line": ("anna", "ben"), "second-line": ("clara",)}
    params = MeasurementParams(
        agreement_id="acme",
        frt_target_seconds=DEFAULT_FRT,
        resolution_target_seconds=DEFAULT_RESOLUTION,
        teams=teams,
    )
    events = TrafficModel([params], random.Random(3), START, FLAT).events_between(
        START, START + DAY
    )
    created = [e for e in events if e["type"] == "ticket.created"]
    assert len({e["channel"] for e in created}) >= 3
    assert len({e["priority"] for e in created}) == 4
    assert len({e["queue"] for e in events if e["type"] == "call.offered"}) >= 3
    agents = {e["agent_id"] for e in events if e.get("agent_id")}
    assert {"anna", "ben", "clara"} <= agents
    assert len(agents - {"anna", "ben", "clara"}) >= 5  # unassigned agents too
