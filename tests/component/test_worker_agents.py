"""The tickets agent with its Faust parts stubbed: one bad event never costs its batch.

An event dated at the ends of the contract's range, or one the engine raises on, becomes a
dead letter with its reason; the other events of the same batch are counted and written.
"""

from __future__ import annotations

import json

from services.core.contract.topics import Family
from services.core.kpi import keys
from tests.component.faust_fakes import Raising, Worker, message

A = "globex-hotline"


def ticket(event_id: str, ticket_id: str, at: str) -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "type": "ticket.created",
            "occurred_at": at,
            "agreement_id": A,
            "ticket_id": ticket_id,
            "customer_id": "c",
            "channel": "email",
            "priority": "low",
        }
    ).encode()


async def test_a_bad_event_is_dead_lettered_and_the_rest_of_its_batch_counts() -> None:
    worker = Worker(Family.TICKETS, engine_type=Raising)
    values = [
        ticket("ok1", "t1", "2026-10-01T10:00:00Z"),
        ticket("far", "t2", "9999-12-31T23:59:59Z"),
        ticket("old", "t3", "0001-01-01T00:00:00Z"),
        ticket("boom", "t4", "2026-10-01T10:01:00Z"),
        ticket("ok2", "t5", "2026-10-01T10:02:00Z"),
    ]
    await worker.run([[message("tickets", 0, i, value) for i, value in enumerate(values)]])

    table = worker.table
    assert {keys.entity(f"{A}/t1"), keys.entity(f"{A}/t5")} <= set(table.data)
    assert not {keys.entity(f"{A}/t{n}") for n in (2, 3, 4)} & set(table.data)
    records = [e[2] for e in worker.entries("deadletter")]
    reasons = {r["source"]["offset"]: (r["reason"], r["detail"]) for r in records}
    assert reasons == {
        1: ("out_of_range", "out_of_range: far"),
        2: ("out_of_range", "out_of_range: old"),
        3: ("unprocessable", "ArithmeticError: a bug"),
    }
    sample = worker.instruments.registry.get_sample_value
    labels = {"family": "tickets", "reason": "out_of_range"}
    assert sample("slawatch_worker_deadletters_total", labels) == 2
    assert sample("slawatch_worker_last_batch_timestamp_seconds", {"family": "tickets"})
