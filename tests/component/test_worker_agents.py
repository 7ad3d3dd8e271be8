"""The tickets agent with its Faust parts stubbed: one bad event never costs its batch.

An event dated at the ends of the contract's range, or one the engine raises on, becomes a
dead letter with its reason; the other events of the same batch are counted and written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from services.core.contract.events import EventBase
from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.engine import Engine, Outcome
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from services.metrics.agents import register_agents
from services.metrics.instruments import Instruments
from services.metrics.table_store import TableStore

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
A = "globex-hotline"


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    async def send(self, *args: Any) -> None:
        self.sent.append(args)


class Topic:
    def get_topic_name(self) -> str:
        return "changelog"

    def prepare_key(self, key: str, _: Any) -> tuple[bytes, None]:
        return key.encode(), None

    def prepare_value(self, row: Any, _: Any) -> tuple[bytes, None]:
        return json.dumps(row).encode(), None


class Deadletter:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def send(self, key: Any, value: bytes, headers: Any) -> None:
        self.records.append(json.loads(value))


class Raising(Engine):
    """An engine that raises on one event, as a bug in the KPI math would."""

    def stage(self, event: EventBase, partition: int, offset: int) -> Outcome:
        if event.event_id == "boom":
            raise ArithmeticError("a bug")
        return super().stage(event, partition, offset)


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


def test_a_bad_event_is_dead_lettered_and_the_rest_of_its_batch_counts() -> None:
    table = SimpleNamespace(
        data={}, changelog_topic=Topic(), app=SimpleNamespace(producer=Producer())
    )
    store = TableStore(table)
    engine = Raising(Family.TICKETS, store, PARAMS, Retention())
    agents: dict[str, Callable[[Any], Any]] = {}

    def agent(_source: Any, name: str) -> Callable[[Any], Any]:
        def register(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
            agents[name] = fn
            return fn

        return register

    deadletter = Deadletter()
    topology = SimpleNamespace(
        app=SimpleNamespace(agent=agent),
        sources={Family.TICKETS: object()},
        deadletter=deadletter,
    )
    inst = Instruments()
    register_agents(topology, {Family.TICKETS: engine}, inst, 100, 0.1)  # type: ignore[arg-type]
    values = [
        ticket("ok1", "t1", "2026-10-01T10:00:00Z"),
        ticket("far", "t2", "9999-12-31T23:59:59Z"),
        ticket("old", "t3", "0001-01-01T00:00:00Z"),
        ticket("boom", "t4", "2026-10-01T10:01:00Z"),
        ticket("ok2", "t5", "2026-10-01T10:02:00Z"),
    ]
    batch = [
        SimpleNamespace(
            message=SimpleNamespace(topic="tickets", partition=0, offset=i, key=b"k", value=value)
        )
        for i, value in enumerate(values)
    ]

    class Stream:
        async def take_events(self, *_: Any) -> AsyncIterator[list[Any]]:
            yield batch

    asyncio.run(agents["kpi-tickets"](Stream()))

    assert {keys.entity(f"{A}/t1"), keys.entity(f"{A}/t5")} <= set(table.data)
    assert not {keys.entity(f"{A}/t{n}") for n in (2, 3, 4)} & set(table.data)
    reasons = {r["source"]["offset"]: (r["reason"], r["detail"]) for r in deadletter.records}
    assert reasons == {
        1: ("out_of_range", "out_of_range: far"),
        2: ("out_of_range", "out_of_range: old"),
        3: ("unprocessable", "ArithmeticError: a bug"),
    }
    sample = inst.registry.get_sample_value
    labels = {"family": "tickets", "reason": "out_of_range"}
    assert sample("slawatch_worker_deadletters_total", labels) == 2
    assert sample("slawatch_worker_last_batch_timestamp_seconds", {"family": "tickets"})
