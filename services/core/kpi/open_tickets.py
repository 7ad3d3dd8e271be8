"""The live view of one open ticket: its state and the instants its clocks fall due.

A pure function of the ticket's compact events (the rows the engine stores), so the worker
can re-derive it whenever an event arrives. Deadlines use the ticket clock of docs/kpis.md
(pauses, business calendar) through `deadlines.due_at`; see docs/sla.md, "Open tickets".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.core.kpi.clock import PAUSING, pause_intervals
from services.core.kpi.deadlines import due_at
from services.core.kpi.entities import EntityEvent
from services.core.kpi.params import MeasurementParams

_STATE_CHANGES = ("ticket.status_changed", "ticket.resolved", "ticket.reopened")
_DONE = frozenset({"solved", "closed", "resolved"})


@dataclass(frozen=True, slots=True)
class OpenTicket:
    """An unresolved ticket; a due instant is None once met or when it can never fall due."""

    priority: str
    created_at: float
    first_response_due_at: float | None
    resolution_due_at: float | None
    paused: bool
    first_responded: bool
    status: str


def _change(event: EntityEvent) -> str:
    """The status a state-changing event sets; `resolved`/`reopened` are pseudo-statuses."""
    if event["k"] == "ticket.status_changed":
        return str(event["status"])
    return str(event["k"]).split(".", 1)[1]


def current_cycle_start(events: Sequence[EntityEvent], created_at: float) -> float | None:
    """Start of the running resolution cycle, or None while the ticket is resolved.

    The same cycle rules as `entities.ticket_facts` (docs/kpis.md, "Resolution time").
    """
    start: float | None = created_at
    for e in events:
        if e["k"] == "ticket.resolved":
            start = None
        elif e["k"] == "ticket.reopened" and start is None:
            start = e["t"]
    return start


def open_ticket_view(events: Sequence[EntityEvent], params: MeasurementParams) -> OpenTicket | None:
    """The open ticket that `events` (in event order) describe; None if it is not open.

    Not open: no `ticket.created` seen yet, resolved (and not reopened since), or its latest
    status change is to `solved` or `closed`.
    """
    created = next((e for e in events if e["k"] == "ticket.created"), None)
    if created is None:
        return None
    changes = [(e["t"], _change(e)) for e in events if e["k"] in _STATE_CHANGES]
    last = changes[-1][1] if changes else "open"
    status = "open" if last == "reopened" else last
    cycle_start = current_cycle_start(events, created["t"])
    if cycle_start is None or status in _DONE:
        return None
    pauses = pause_intervals(changes)  # as ticket_facts does, so deadlines match the clock
    priority = str(created["priority"])
    zone, calendar = params.zone, params.calendar
    responded = any(e["k"] == "ticket.replied" and e["agent"] for e in events)
    first_due = None
    # Each deadline uses the target in effect when its clock starts (docs/sla.md).
    if not responded:
        target = params.clock_target("frt_target_seconds", priority, created["t"])
        first_due = due_at(created["t"], target, pauses, zone, calendar)
    target = params.clock_target("resolution_target_seconds", priority, cycle_start)
    return OpenTicket(
        priority=priority,
        created_at=float(created["t"]),
        first_response_due_at=first_due,
        resolution_due_at=due_at(cycle_start, target, pauses, zone, calendar),
        paused=status in PAUSING,
        first_responded=responded,
        status=status,
    )
