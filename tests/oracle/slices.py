"""Test oracle for breakdowns: every figure per slice of a dimension, in one batch.

Why apart from services/core/kpi/slices.py: like figures.py, this is the reference the
engine is checked against, so it shares no code with the engine. It reuses figures.py's
measurement (which items exist, their values) and labels each item literally from the
events of docs/kpis.md, "Breakdowns": priority and channel of the ticket's first
`ticket.created`; queue of the call's first `call.offered`; the agent of the first agent
reply (FRT), of the resolving event (resolution, ticket FCR at the first resolution), of the
answer (call outcome; none when abandoned) and of the call's first answer (AHT, call FCR).

Not modelled: the cap on values per dimension (the engine's "other" slice); feed histories
with fewer values than the cap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.core.contract.events import (
    Author,
    CallAbandoned,
    CallAnswered,
    CallCompleted,
    CallEvent,
    CallOffered,
    EventBase,
    TicketCreated,
    TicketReopened,
    TicketReplied,
    TicketResolved,
)
from services.core.kpi.params import MeasurementParams
from tests.oracle import figures as oracle
from tests.oracle.figures import TICKET_TYPES, Figure, Item

TICKET_DIMENSIONS = ("priority", "channel", "agent", "team")
CALL_DIMENSIONS = ("queue", "agent", "team")
Label = dict[str, str]


@dataclass
class Labelled:
    """Every measured item of one agreement with its labels, by kind."""

    items: dict[str, list[tuple[Item, Label]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, item: Item, label: Label) -> None:
        self.items[kind].append((item, label))


def team_of(agent: str, params: MeasurementParams) -> str:
    if agent == "none":
        return "none"
    for team, agents in params.teams.items():
        if agent in agents:
            return team
    return "unassigned"


def _ticket(ticket_events: list[EventBase], params: MeasurementParams, out: Labelled) -> None:
    creations = [e for e in ticket_events if isinstance(e, TicketCreated)]
    if not creations:
        return
    first = creations[0]
    base = {"priority": first.priority.value, "channel": first.channel.value}
    measured = oracle.TicketItems([], [], [], [])
    oracle._measure_ticket(ticket_events, params, measured)
    for item in measured.created:  # a ticket is created once (oracle._measure_ticket)
        out.add("created", item, {**base, "agent": "none"})
    replies = [
        e for e in ticket_events if isinstance(e, TicketReplied) and e.author is Author.AGENT
    ]
    for item in measured.frt:
        out.add("frt", item, {**base, "agent": str(replies[0].agent_id)})
    resolvers, resolved = [], False
    for event in ticket_events:
        if isinstance(event, TicketResolved) and not resolved:
            resolvers.append(event.agent_id)
            resolved = True
        elif isinstance(event, TicketReopened) and resolved:
            resolved = False
    for item, agent in zip(measured.resolution, resolvers, strict=True):
        out.add("resolution", item, {**base, "agent": agent})
    first_resolver = (
        next(e.agent_id for e in ticket_events if isinstance(e, TicketResolved))
        if measured.fcr
        else "none"
    )
    for item in measured.fcr:
        out.add("ticket_fcr", item, {**base, "agent": first_resolver})


def _call(call_events: list[CallEvent], params: MeasurementParams, out: Labelled) -> None:
    offers = [e for e in call_events if isinstance(e, CallOffered)]
    if not offers:
        return
    queue = offers[0].queue
    measured = oracle.CallItems([], [], [], [], [])
    oracle._call_outcome(call_events, params, measured)
    after = call_events[call_events.index(offers[0]) :]
    outcome = next((e for e in after if isinstance(e, CallAnswered | CallAbandoned)), None)
    agent = outcome.agent_id if isinstance(outcome, CallAnswered) else "none"
    for kind, items in (
        ("answered", measured.answered),
        ("abandoned", measured.abandoned),
        ("short", measured.short_abandoned),
    ):
        for item in items:
            out.add(kind, item, {"queue": queue, "agent": agent})


def labelled_items(events: Iterable[EventBase], params: MeasurementParams) -> Labelled:
    """Every item of the agreement `params` names, labelled with its slice of each dimension."""
    accepted = oracle.accepted_events(events, params.agreement_id)
    out = Labelled()
    by_ticket: dict[str, list[EventBase]] = defaultdict(list)
    by_call: dict[str, list[CallEvent]] = defaultdict(list)
    for event in accepted:
        if isinstance(event, TICKET_TYPES):
            by_ticket[event.ticket_id].append(event)
        elif isinstance(event, CallEvent):
            by_call[event.call_id].append(event)
    for ticket_events in by_ticket.values():
        _ticket(sorted(ticket_events, key=oracle.event_order), params, out)
    for call_events in by_call.values():
        _call(sorted(call_events, key=oracle.event_order), params, out)
    # AHT and call FCR: oracle.call_items lists them in the order of the completions.
    calls = oracle.call_items(accepted, params)
    completions = [e for e in accepted if isinstance(e, CallCompleted)]
    for completed, aht, fcr in zip(completions, calls.aht, calls.fcr, strict=True):
        call_events = sorted(by_call[completed.call_id], key=oracle.event_order)
        offered = next((e for e in call_events if isinstance(e, CallOffered)), None)
        answered = next((e for e in call_events if isinstance(e, CallAnswered)), None)
        label = {
            "queue": offered.queue if offered else "none",
            "agent": answered.agent_id if answered else "none",
        }
        out.add("aht", aht, label)
        out.add("call_fcr", fcr, label)
    for pairs in out.items.values():
        for _, label in pairs:
            label["team"] = team_of(label["agent"], params)
    return out


TICKET_KINDS = ("created", "frt", "resolution", "ticket_fcr")
CALL_KINDS = ("answered", "abandoned", "short", "aht", "call_fcr")


def slice_figures(
    events: Iterable[EventBase],
    params: Mapping[str, MeasurementParams],
    agreement_id: str,
    dimension: str,
    start: float,
    end: float,
    stream_time: float,
    calendar_period: bool = False,
) -> dict[str, dict[str, Figure]]:
    """Every figure per value of `dimension` over [start, end); values without items left out."""
    agreement = params[agreement_id]
    labelled = labelled_items(events, agreement)
    return figures_by(labelled, agreement, dimension, start, end, stream_time, calendar_period)


def figures_by(
    labelled: Labelled,
    agreement: MeasurementParams,
    dimension: str,
    start: float,
    end: float,
    stream_time: float,
    calendar_period: bool = False,
) -> dict[str, dict[str, Figure]]:
    """`slice_figures` from items labelled once (`labelled_items`)."""
    kinds = (TICKET_KINDS if dimension in TICKET_DIMENSIONS else ()) + (
        CALL_KINDS if dimension in CALL_DIMENSIONS else ()
    )
    values = {label[dimension] for k in kinds for _, label in labelled.items[k]}
    result = {}
    for value in sorted(values):
        chosen = {
            k: [i for i, label in labelled.items[k] if label[dimension] == value] for k in kinds
        }
        figures = _figures(chosen, agreement, start, end, stream_time, calendar_period)
        if any(f.n for f in figures.values()):
            result[value] = figures
    return result


def _figures(
    items: Mapping[str, list[Item]],
    params: MeasurementParams,
    start: float,
    end: float,
    stream_time: float,
    calendar_period: bool,
) -> dict[str, Figure]:
    def inside(kind: str) -> list[Item]:
        return [i for i in items.get(kind, []) if start <= i.t < end]

    frt, resolution = inside("frt"), inside("resolution")
    ticket_fcr, call_fcr = inside("ticket_fcr"), inside("call_fcr")
    answered, abandoned = inside("answered"), inside("abandoned")
    offered_n = len(answered) + len(abandoned)
    credited = [i for i in ticket_fcr + call_fcr if i.ok]
    if calendar_period:
        every = [i for i in items.get("ticket_fcr", []) + items.get("call_fcr", []) if i.ok]
        pool = [i for i in every if start <= math.floor(i.t / 3_600) * 3_600 < end]
    else:
        pool = credited
    cutoff = math.floor(stream_time / 3_600) * 3_600 + 3_600 - params.fcr_horizon_seconds
    asa = sum(i.value for i in answered) / len(answered) if answered else None
    figures = {
        "tickets_created": oracle._count(len(inside("created"))),
        **oracle._durations("frt", frt),
        "frt_attainment": oracle._ratio(sum(i.ok for i in frt), len(frt)),
        **oracle._durations("resolution", resolution),
        "resolution_attainment": oracle._ratio(sum(i.ok for i in resolution), len(resolution)),
        **oracle._durations("aht", inside("aht")),
        "asa_seconds": Figure(asa, len(answered)),
        "service_level": oracle._ratio(sum(i.ok for i in answered), offered_n),
        "abandonment_rate": oracle._ratio(len(abandoned), offered_n),
        "calls_short_abandoned": oracle._count(len(inside("short"))),
        "fcr_tickets_rate": oracle._ratio(sum(i.ok for i in ticket_fcr), len(ticket_fcr)),
        "fcr_calls_rate": oracle._ratio(sum(i.ok for i in call_fcr), len(call_fcr)),
        "fcr_rate": oracle._ratio(len(credited), len(ticket_fcr) + len(call_fcr)),
        "fcr_provisional": oracle._count(sum(1 for i in pool if i.t >= cutoff)),
        "csat": Figure(None, 0),
        "csat_mean_score": Figure(None, 0),
    }
    assert tuple(figures) == oracle.FIGURE_NAMES
    return figures
