"""Hand validated events to Kafka, and tell the caller only once the broker has them.

The HTTP answer promises durability: `publish` returns after every record of the batch is
acknowledged by all in-sync replicas (acks="all"), so a 202 means the events are stored.
The idempotent producer keeps its own retries from writing duplicates; a client that retries
after a 503 may still send an event twice, which consumers absorb by `event_id`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.core.contract.events import SCHEMA_VERSION, EventBase, event_to_json
from services.core.contract.topics import event_key, family_of, topic_name

_READY_PROBE_SECONDS = 2.0
_STOP_GRACE_SECONDS = 10.0
log = logging.getLogger(__name__)


class PublishError(Exception):
    """The broker did not acknowledge every event of a batch."""


class EventPublisher(Protocol):
    """Where the ingest service sends accepted events."""

    async def start(self) -> None:
        """Connect; called once by the app's lifespan before requests are served."""

    async def stop(self) -> None:
        """Flush and disconnect; called once when the app shuts down."""

    async def ready(self) -> bool:
        """Whether a publish could succeed now (the readiness probe)."""

    async def publish(self, events: Sequence[EventBase]) -> None:
        """Store `events` in order; return once all are acknowledged, else raise PublishError."""


class KafkaEventPublisher:
    """Publishes each event to its family topic, keyed so related events share a partition."""

    def __init__(self, bootstrap_servers: str, topic_prefix: str) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._prefix = topic_prefix
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,  # a little batching under load, invisible next to a broker round trip
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is None:
            return
        # aiokafka's stop() first waits for every record to be acknowledged: during a broker
        # outage, forever. Those records' requests were answered 503 and will be retried, so
        # after a grace period stop the sender and close.
        stopping = asyncio.ensure_future(producer.stop())
        try:
            await asyncio.wait_for(asyncio.shield(stopping), _STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning(
                "the broker did not take the last events in %g s; closing", _STOP_GRACE_SECONDS
            )
            await producer._sender.close()  # private: ends stop()'s wait for the broker
            await stopping

    async def ready(self) -> bool:
        producer = self._producer
        if producer is None:
            return False
        client = producer.client
        try:
            async with asyncio.timeout(_READY_PROBE_SECONDS):
                for broker in client.cluster.brokers():
                    # ready() reuses a live connection or opens one: a real reachability check.
                    if await client.ready(broker.nodeId):
                        return True
        except TimeoutError:
            pass
        return False

    async def publish(self, events: Sequence[EventBase]) -> None:
        producer = self._producer
        if producer is None:
            raise PublishError("publisher is not started")
        try:
            # Enqueue everything first so the batch travels in a few requests, then wait for
            # every acknowledgement (all of them, so no delivery error goes unobserved).
            deliveries = [await producer.send(**self._record(event)) for event in events]
            outcomes = await asyncio.gather(*deliveries, return_exceptions=True)
        except KafkaError as exc:
            raise PublishError(f"broker did not accept the events: {exc!r}") from exc
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            raise PublishError(
                f"broker did not acknowledge {len(failures)} of {len(events)} events: "
                f"{failures[0]!r}"
            ) from failures[0]

    def _record(self, event: EventBase) -> dict[str, object]:
        return {
            "topic": topic_name(self._prefix, family_of(event.type)),
            "key": event_key(event).encode(),
            "value": event_to_json(event),
            "headers": [
                ("schema_version", str(SCHEMA_VERSION).encode()),
                ("event_type", event.type.encode()),
            ],
        }
