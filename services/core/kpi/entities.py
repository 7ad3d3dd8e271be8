"""The facts of one ticket, one customer's calls, or one survey, from its events.

An entity's facts are a pure function of its (deduplicated) events in event order, so the
arrival order never matters: the engine re-derives the facts when an event arrives and
applies the difference. Events are kept in a compact JSON form (`EntityEvent`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.core.contract.events import (
    CallCompleted,
    CallEvent,
    EventBase,
    SurveySubmitted,
    TicketCreated,
    TicketReplied,
    TicketStatusChanged,
)
from services.core.kpi.clock import pause_intervals, ticket_clock
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.params import MeasurementParams

EntityEvent = dict[str, Any]
TYPE_RANK = {
    "ticket.created": 0,
    "ticket.reopened": 1,
    "ticket.status_changed": 2,
    "ticket.replied": 3,
    "ticket.resolved": 4,
    "call.offered": 0,
    "call.answered": 1,
    "call.abandoned": 2,
    "call.completed": 3,
    "survey.submitted": 0,
}


def compact(event: EventBase) -> EntityEvent:
    """The fields of an event that its entity's facts depend on."""
    row: EntityEvent = {
        "t": event.occurred_at_epoch,
        "r": TYPE_RANK[event.type],
        "id": event.event_id,
        "k": event.type,
    }
    if isinstance(event, TicketCreated):
        row["priority"] = event.priority.value
    elif isinstance(event, TicketReplied):
        row["agent"] = event.author.value == "agent"
    elif isinstance(event, TicketStatusChanged):
        row["status"] = event.status.value
    elif isinstance(event, CallEvent):
        row["call"] = event.call_id
        if isinstance(event, CallCompleted):
            row["handle"] = event.talk_seconds + event.hold_seconds + event.wrap_seconds
            row["resolved"] = event.resolved
    elif isinstance(event, SurveySubmitted):
        row["score"] = event.score
    return row


def event_order(row: EntityEvent) -> tuple[float, int, str]:
    return (row["t"], row["r"], row["id"])


def ticket_facts(events: Sequence[EntityEvent], params: MeasurementParams) -> list[Fact]:
    """Facts of one ticket (docs/kpis.md, "Tickets"); `events` in event order."""
    created = next((e for e in events if e["k"] == "ticket.created"), None)
    if created is None:
        return []
    zone, calendar = params.zone, params.calendar
    priority = created["priority"]
    changes = [
        (e["t"], e["status"] if e["k"] == "ticket.status_changed" else e["k"].split(".")[1])
        for e in events
        if e["k"] in ("ticket.status_changed", "ticket.resolved", "ticket.reopened")
    ]
    pauses = pause_intervals(changes)

    def clock(start: float, end: float) -> float:
        return ticket_clock(start, end, pauses, zone, calendar)

    facts = [Fact(FactKind.TICKET_CREATED, created["t"])]
    first_reply = next((e for e in events if e["k"] == "ticket.replied" and e["agent"]), None)
    if first_reply is not None:
        frt = clock(created["t"], first_reply["t"])
        # The target in effect at the reply, so that a replay judges it alike.
        target = params.clock_target("frt_target_seconds", priority, first_reply["t"])
        facts.append(Fact(FactKind.FIRST_RESPONSE, first_reply["t"], frt, ok=frt <= target))

    cycle_start, resolved, first_resolution = created["t"], False, None
    agent_replies_before_first = 0
    for e in events:
        if e["k"] == "ticket.replied" and e["agent"] and first_resolution is None:
            agent_replies_before_first += 1
        elif e["k"] == "ticket.resolved" and not resolved:
            value = clock(cycle_start, e["t"])
            target = params.clock_target("resolution_target_seconds", priority, e["t"])
            facts.append(Fact(FactKind.RESOLUTION, e["t"], value, ok=value <= target))
            resolved = True
            if first_resolution is None:
                first_resolution = e["t"]
        elif e["k"] == "ticket.reopened" and resolved:
            resolved, cycle_start = False, e["t"]
    if first_resolution is not None:
        r = first_resolution
        horizon_end = r + params.fcr_horizon_seconds
        reopened = any(e["k"] == "ticket.reopened" and r < e["t"] <= horizon_end for e in events)
        credited = agent_replies_before_first == 1 and not reopened
        facts.append(Fact(FactKind.TICKET_FCR, r, ok=credited))
    return facts


def customer_call_facts(events: Sequence[EntityEvent], params: MeasurementParams) -> list[Fact]:
    """Facts of all calls of one customer (docs/kpis.md, "Calls"); `events` in event order."""
    facts: list[Fact] = []
    calls: dict[str, list[EntityEvent]] = {}
    for e in events:
        calls.setdefault(e["call"], []).append(e)
    short_abandons: set[str] = set()
    for call_id, call_events in calls.items():
        outcome = _outcome(call_events, params)
        if outcome is not None:
            facts.append(outcome)
            if outcome.short:
                short_abandons.add(call_id)
    # A short abandon is no repeat contact: it is left out of every call figure.
    offers = [
        e["t"] for e in events if e["k"] == "call.offered" and e["call"] not in short_abandons
    ]
    for e in events:
        if e["k"] == "call.completed":
            c = e["t"]
            facts.append(Fact(FactKind.HANDLED_CALL, c, e["handle"]))
            horizon_end = c + params.fcr_horizon_seconds
            repeat = any(c < t <= horizon_end for t in offers)
            facts.append(Fact(FactKind.CALL_FCR, c, ok=bool(e["resolved"]) and not repeat))
    return facts


def _outcome(call_events: Sequence[EntityEvent], params: MeasurementParams) -> Fact | None:
    """The outcome fact of one call: its first answer or abandon after its offer."""
    offered = next((e for e in call_events if e["k"] == "call.offered"), None)
    if offered is None:
        return None
    after = call_events[call_events.index(offered) + 1 :]
    outcome = next((e for e in after if e["k"] in ("call.answered", "call.abandoned")), None)
    return None if outcome is None else _outcome_fact(offered["t"], outcome, params)


def _outcome_fact(offered_at: float, outcome: EntityEvent, params: MeasurementParams) -> Fact:
    wait = max(0.0, outcome["t"] - offered_at)
    if outcome["k"] == "call.answered":
        within = wait <= params.service_level_threshold_seconds
        return Fact(FactKind.CALL_OUTCOME, offered_at, wait, ok=within, flag=True)
    short = wait < params.short_abandon_seconds
    return Fact(FactKind.CALL_OUTCOME, offered_at, wait, short=short)


def survey_facts(events: Sequence[EntityEvent], params: MeasurementParams) -> list[Fact]:
    """One score per survey: the latest submission in event order replaces earlier ones."""
    if not events:
        return []
    latest = events[-1]
    score = int(latest["score"])
    return [Fact(FactKind.SURVEY, latest["t"], float(score), ok=score >= 4)]
