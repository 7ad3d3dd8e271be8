"""The open-ticket view: which tickets are open, and when their clocks fall due."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.core.contract.topics import Family
from services.core.kpi.engine import Engine
from services.core.kpi.entities import TYPE_RANK, EntityEvent, event_order
from services.core.kpi.open_tickets import OpenTicket, open_ticket_view
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from services.metrics.sink import open_ticket_changes

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
ACME = PARAMS["acme-helpdesk"]  # Berlin, Mon-Thu 08-18; high: FRT 1 h, resolution 24 h
GLOBEX = PARAMS["globex-hotline"]  # 24/7; normal: FRT 1 h, resolution 24 h
MON_9 = datetime.fromisoformat("2026-10-12T09:00+02:00").timestamp()
HOUR = 3600.0


def ev(hours: float, kind: str, **fields: Any) -> EntityEvent:
    t = MON_9 + hours * HOUR
    return {"t": t, "r": TYPE_RANK[kind], "id": f"{kind}-{hours}", "k": kind, **fields}


def view(*events: EntityEvent, params: Any = GLOBEX) -> OpenTicket | None:
    return open_ticket_view(sorted(events, key=event_order), params)


CREATED = ev(0, "ticket.created", priority="normal")
AGENT_REPLY = ev(0.5, "ticket.replied", agent=True)


def test_new_ticket_has_both_deadlines() -> None:
    assert view(CREATED) == OpenTicket(
        priority="normal",
        created_at=MON_9,
        first_response_due_at=MON_9 + HOUR,
        resolution_due_at=MON_9 + 24 * HOUR,
        paused=False,
        first_responded=False,
        status="open",
    )


def test_agent_reply_meets_first_response_but_customer_reply_does_not() -> None:
    replied = view(CREATED, AGENT_REPLY)
    assert replied is not None
    assert (replied.first_responded, replied.first_response_due_at) == (True, None)
    customer = view(CREATED, ev(0.5, "ticket.replied", agent=False))
    assert customer is not None
    assert customer.first_response_due_at == MON_9 + HOUR


def test_calendar_moves_deadlines_into_business_hours() -> None:
    created = ev(8.5, "ticket.created", priority="high")  # Mon 17:30 Berlin
    got = view(created, params=ACME)
    assert got is not None
    assert got.first_response_due_at == MON_9 + 24 * HOUR - 0.5 * HOUR  # Tue 08:30
    # 0.5 h Mon + 10 h Tue + 10 h Wed + 3.5 h Thu: Thu 11:30
    assert got.resolution_due_at == MON_9 + 3 * 24 * HOUR + 2.5 * HOUR


def test_a_pause_shifts_deadlines_and_a_running_pause_removes_them() -> None:
    resumed = view(
        CREATED,
        ev(0.25, "ticket.status_changed", status="pending"),
        ev(2.25, "ticket.status_changed", status="open"),
    )
    assert resumed is not None
    assert (resumed.first_response_due_at, resumed.paused) == (MON_9 + 3 * HOUR, False)
    paused = view(CREATED, ev(0.25, "ticket.status_changed", status="on_hold"))
    assert paused is not None
    assert (paused.status, paused.paused) == ("on_hold", True)
    assert (paused.first_response_due_at, paused.resolution_due_at) == (None, None)


@pytest.mark.parametrize(
    "closing",
    [
        pytest.param(ev(3, "ticket.resolved"), id="resolved"),
        pytest.param(ev(3, "ticket.status_changed", status="solved"), id="solved"),
        pytest.param(ev(3, "ticket.status_changed", status="closed"), id="closed"),
    ],
)
def test_resolved_or_closed_tickets_are_not_open(closing: EntityEvent) -> None:
    assert view(CREATED, AGENT_REPLY, closing) is None


def test_a_reopened_ticket_runs_a_new_resolution_cycle() -> None:
    got = view(CREATED, AGENT_REPLY, ev(3, "ticket.resolved"), ev(10, "ticket.reopened"))
    assert got is not None
    assert (got.status, got.resolution_due_at) == ("open", MON_9 + 34 * HOUR)


def test_events_before_the_creation_arrives_show_nothing() -> None:
    assert view(AGENT_REPLY) is None


def _ticket_row(agreement_id: str, ticket_id: str) -> tuple[str, dict[str, Any]]:
    created = ev(0, "ticket.created", priority="normal")
    return f"e|{agreement_id}/{ticket_id}", {"p": 0, "o": 1, "ev": [created], "facts": []}


@pytest.mark.parametrize(
    ("agreement_ids", "entity", "expected"),
    [
        (["acme", "globex"], ("acme", "T-1"), ("acme", "T-1")),
        (["acme"], ("acme", "eu/T-1"), ("acme", "eu/T-1")),  # a ticket id with a slash
        (["acme", "acme/eu"], ("acme/eu", "T-1"), ("acme/eu", "T-1")),  # longest id wins
        (["globex"], ("acme", "T-1"), None),  # agreement no longer known
    ],
)
def test_the_sink_finds_the_agreement_of_a_ticket_row(
    agreement_ids: list[str], entity: tuple[str, str], expected: tuple[str, str] | None
) -> None:
    agreements = {a: GLOBEX.model_copy(update={"agreement_id": a}) for a in agreement_ids}
    key, row = _ticket_row(*entity)
    engine = Engine(Family.TICKETS, {key: row}, agreements, Retention())
    upserts, deletes = open_ticket_changes(engine, {0}, [key])
    assert deletes == []
    assert [(u.agreement_id, u.ticket_id) for u in upserts] == ([expected] if expected else [])
