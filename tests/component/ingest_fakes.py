"""In-memory stand-ins for the ingest service's publisher and agreement store, the harness
the `harness` fixture (tests/component/conftest.py) builds from them, and event helpers."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from services.core.contract.events import EventBase
from services.ingest.agreements import KnownAgreement
from services.ingest.publisher import PublishError

MAX_EVENTS, MAX_BYTES = 5, 4096


class FakePublisher:
    """Records every batch; can be told to fail, to hang, or to report not ready."""

    def __init__(self) -> None:
        self.batches: list[list[EventBase]] = []
        self.started = self.stopped = False
        self.fail = self.hang = self.unready = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def ready(self) -> bool:
        return self.started and not self.stopped and not self.unready

    async def publish(self, events: Sequence[EventBase]) -> None:
        if self.hang:
            await asyncio.sleep(3600)
        if self.fail:
            raise PublishError("broker down")
        self.batches.append(list(events))

    @property
    def published_ids(self) -> list[str]:
        return [e.event_id for batch in self.batches for e in batch]


TERM_START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class FakeAgreements:
    """Agreements by id (client and term start), every lookup made, and every count recorded."""

    known: dict[str, KnownAgreement] = field(
        default_factory=lambda: {
            "acme": KnownAgreement("acme", TERM_START),
            # a year before this term is before the floor
            "old": KnownAgreement("acme", datetime(2000, 6, 1, tzinfo=UTC)),
        }
    )
    counts: Counter[tuple[str, float, str]] = field(default_factory=Counter)
    lookups: list[set[str]] = field(default_factory=list)
    broken: bool = False

    @classmethod
    def of(cls, clients: Mapping[str, str]) -> FakeAgreements:
        """Agreements id -> client, every term starting at `TERM_START`."""
        return cls({a: KnownAgreement(client, TERM_START) for a, client in clients.items()})

    async def lookup(self, ids: Collection[str]) -> dict[str, KnownAgreement]:
        self.lookups.append(set(ids))
        if self.broken:
            raise OSError("database down")
        return {a: self.known[a] for a in ids if a in self.known}

    async def record(self, counts: Mapping[tuple[str, float, str], int]) -> None:
        # Everything asked for: the real store would drop unknown agreements, hiding a leak.
        self.counts.update(counts)


@dataclass
class Harness:
    client: httpx.AsyncClient
    publisher: FakePublisher
    agreements: FakeAgreements = field(default_factory=FakeAgreements)


def created(n: int, **changes: Any) -> dict[str, Any]:
    event = {
        "event_id": f"e-{n}",
        "type": "ticket.created",
        "occurred_at": "2024-05-06T09:15:00Z",
        "agreement_id": "acme",
        "ticket_id": f"T-{n}",
        "customer_id": "c-1",
        "channel": "email",
        "priority": "normal",
    }
    return {**event, **changes}


async def post(h: Harness, body: Any) -> httpx.Response:
    return await h.client.post("/v1/events", json=body)
