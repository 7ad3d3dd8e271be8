"""Faust's parts as the worker's agents use them, faked: no broker, one shared journal.

The agents (services/metrics/agents.py) touch Faust through a few calls only: an agent
decorator on the app, `stream.take_events`, the dead-letter topic's `send`, and through the
table store (services/metrics/table_store.py) the table's changelog topic and the app's
producer. These fakes record every call in one `journal`, in the order it happened, so a
test can check the adapter's ordering promises. The fake stream acknowledges a batch the way
Faust's `take_events` does: when the agent asks for the next batch, or when the generator is
closed after the agent left it (raised or was cancelled); as in Faust, an acknowledgement
commits a message only when it drops the message's last reference.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from services.core.contract.events import EventBase
from services.core.contract.topics import Family
from services.core.kpi.engine import Engine, Outcome
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from services.metrics.agents import register_agents
from services.metrics.instruments import Instruments
from services.metrics.publishing import Backoff
from services.metrics.table_store import TableStore

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
Entry = tuple[Any, ...]


@dataclass
class Producer:
    """The app's producer: `send` is what Faust's producer buffer receives."""

    journal: list[Entry]

    # A send of a key in `held` waits until `gate` is set: a slow broker, on cue.
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    held: set[str] = field(default_factory=set)
    # Send attempt n (from 1) raises while `refuse(n)`: a broker outage, on cue.
    refuse: Callable[[int], bool] = field(default=lambda n: False)
    attempts: int = 0

    async def send(
        self, topic: str, key: bytes, value: bytes | None, partition: int, *_: Any
    ) -> None:
        await asyncio.sleep(0)  # other tasks run in between, as they may with a real send
        if key.decode() in self.held:
            await self.gate.wait()
        self.attempts += 1
        if self.refuse(self.attempts):
            raise ConnectionError("broker gone")
        row = None if value is None else json.loads(value)
        self.journal.append(("changelog", partition, key.decode(), row))


class TableData(dict[str, Any]):
    """A Faust table's in-memory data, journaling each write and deletion."""

    def __init__(self, journal: list[Entry]) -> None:
        super().__init__()
        self.journal = journal

    def __setitem__(self, key: str, row: Any) -> None:
        super().__setitem__(key, row)
        self.journal.append(("table", row["p"], key))

    def __delitem__(self, key: str) -> None:
        self.journal.append(("table", self[key]["p"], key))
        super().__delitem__(key)


class ChangelogTopic:
    def get_topic_name(self) -> str:
        return "changelog"

    def prepare_key(self, key: str, _: Any) -> tuple[bytes, None]:
        return key.encode(), None

    def prepare_value(self, row: Any, _: Any) -> tuple[bytes, None]:
        return json.dumps(row).encode(), None


@dataclass
class DeadLetterTopic:
    journal: list[Entry]

    async def send(self, key: Any, value: bytes, headers: Sequence[tuple[str, bytes]]) -> None:
        self.journal.append(("deadletter", key, json.loads(value), dict(headers)))


@dataclass
class Stream:
    """Yields the batches; a batch is acknowledged when the next one is asked for."""

    batches: list[list[Any]]
    journal: list[Entry]

    async def take_events(self, *_: Any) -> AsyncIterator[list[Any]]:
        for n, batch in enumerate(self.batches):
            try:
                yield batch
            finally:  # as Faust's `take_events` acknowledges, also when closed
                self.journal.append(("closed", n))
                if all([event.message.ack() for event in batch]):
                    self.journal.append(("ack", n))


class Raising(Engine):
    """An engine that raises on the event `boom`, as a bug in the KPI math would."""

    def stage(self, event: EventBase, partition: int, offset: int) -> Outcome:
        if event.event_id == "boom":
            raise ArithmeticError("a bug")
        return super().stage(event, partition, offset)


@dataclass
class Message:
    """A consumed message, referenced once by the one stream that reads it."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    refcount: int = 1

    def incref(self) -> None:
        self.refcount += 1

    def ack(self) -> bool:
        """True when this drops the last reference: the offset may then be committed."""
        self.refcount -= 1
        return self.refcount == 0


def message(topic: str, partition: int, offset: int, value: bytes, key: bytes = b"k") -> Any:
    return SimpleNamespace(message=Message(topic, partition, offset, key, value))


@dataclass
class Worker:
    """One family's agent wired to fakes; `run(batches)` feeds it like Faust would."""

    family: Family
    engine_type: type[Engine] = Engine
    journal: list[Entry] = field(default_factory=list)
    instruments: Instruments = field(default_factory=Instruments)

    def __post_init__(self) -> None:
        self.producer = Producer(self.journal)
        self.table = SimpleNamespace(
            data=TableData(self.journal),
            changelog_topic=ChangelogTopic(),
            app=SimpleNamespace(producer=self.producer),
        )
        self.store = TableStore(self.table)
        self.engine = self.engine_type(self.family, self.store, PARAMS, Retention())
        self.agents: dict[str, Callable[[Any], Any]] = {}
        topology = SimpleNamespace(
            app=SimpleNamespace(agent=self._agent),
            sources={self.family: object()},
            deadletter=DeadLetterTopic(self.journal),
        )
        engines = {self.family: self.engine}
        register_agents(  # retries without a wait: event loop turns pace them, no clock
            topology,  # type: ignore[arg-type]
            engines,
            self.instruments,
            100,
            0.1,
            backoff=Backoff(first_seconds=0.0, most_seconds=0.0),
        )

    def _agent(self, _source: Any, name: str) -> Callable[[Any], Any]:
        def register(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self.agents[name] = fn
            return fn

        return register

    async def run(self, batches: list[list[Any]]) -> None:
        await self.agents[f"kpi-{self.family.value}"](Stream(batches, self.journal))

    def entries(self, kind: str) -> list[Entry]:
        return [e for e in self.journal if e[0] == kind]
