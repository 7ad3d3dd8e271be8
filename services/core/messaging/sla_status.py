"""SLA status changes as events on `{prefix}.sla.status.v1`, keyed by agreement id.

Why a topic: other systems (ticketing, chat, a client portal) react to "target X is now
breached" without polling the API. Exactly one API replica stores each change with its event
in the outbox (services/api/status_changes.py); the relay (services/api/status_relay.py)
publishes the outbox through `SlaStatusPublisher`. The producer starts lazily, so a broker
that is down delays events, not the API's start-up.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.core.agreements.sla import Status
from services.core.contract.topics import sla_status_topic
from services.core.messaging.admin import ensure_topics
from services.core.messaging.producer import LazyProducer
from services.core.settings import KafkaSettings
from services.core.storage.outbox_repo import OutboxMessage

log = logging.getLogger(__name__)
EVENT_TYPE = "sla.status_changed"
# Every message carries its event's id here too: consumers deduplicate on it (docs/sla.md).
EVENT_ID_HEADER = "event_id"


class SlaStatusChanged(BaseModel):
    """A target's status differs from the one of the previous evaluation (docs/sla.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: Literal["sla.status_changed"] = "sla.status_changed"
    occurred_at: AwareDatetime = Field(description="When the change was evaluated (UTC).")
    agreement_id: str
    client: str
    target_id: str
    kpi: str
    window: str
    previous_status: Status
    status: Status
    value: float | None = Field(description="The figure over the target's window; null: n = 0.")
    target: float

    def encode(self) -> bytes:
        return self.model_dump_json().encode()


async def ensure_sla_status_topic(kafka: KafkaSettings, timeout_seconds: float = 30.0) -> None:
    """Create `{prefix}.sla.status.v1` with the configured partitions unless it exists."""
    await ensure_topics(
        kafka.bootstrap_servers,
        [sla_status_topic(kafka.topic_prefix)],
        kafka.partitions,
        kafka.replication_factor,
        timeout_seconds=timeout_seconds,
    )


class DeliveryQueue(Protocol):
    """What the publisher needs of a producer (LazyProducer; a fake in tests)."""

    async def enqueue(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> asyncio.Future[object]: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one `publish`: acknowledged, still in flight, or failed (send again)."""

    acknowledged: list[OutboxMessage]
    in_flight: list[OutboxMessage]
    failed: list[OutboxMessage]


class SlaStatusPublisher:
    """Publishes outbox messages with an idempotent producer, each at most once per process.

    `publish` waits up to `ack_timeout_seconds` for the acknowledgements. A message still in
    flight stays in flight: a later `publish` of it waits for the same delivery instead of
    sending it again, so a slow broker delays an event but never duplicates it (the producer
    retries it with the same sequence number, which the broker deduplicates). Only a failed
    delivery is sent again.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        ack_timeout_seconds: float = 30.0,
        producer: DeliveryQueue | None = None,
    ) -> None:
        self.topic = sla_status_topic(kafka.topic_prefix)
        self.ack_timeout_seconds = ack_timeout_seconds
        self._producer: DeliveryQueue = producer or LazyProducer(
            kafka.bootstrap_servers,
            lambda: ensure_sla_status_topic(kafka),
            idempotent=True,
        )
        self._in_flight: dict[str, asyncio.Future[object]] = {}

    async def publish(self, messages: Sequence[OutboxMessage]) -> Delivery:
        """Send what is not in flight yet, then wait up to the timeout for every ack."""
        wanted = {m.event_id for m in messages}
        # Deliveries of messages another relay has since marked sent: forget them when done.
        for event_id in [e for e, f in self._in_flight.items() if f.done() and e not in wanted]:
            del self._in_flight[event_id]
        for m in messages:
            if m.event_id not in self._in_flight:
                headers = [(EVENT_ID_HEADER, m.event_id.encode())]
                self._in_flight[m.event_id] = await self._producer.enqueue(
                    self.topic, m.key, m.value, headers
                )
        if messages:
            await asyncio.wait(
                [self._in_flight[m.event_id] for m in messages], timeout=self.ack_timeout_seconds
            )
        delivery = Delivery([], [], [])
        for m in messages:
            future = self._in_flight[m.event_id]
            if not future.done():
                delivery.in_flight.append(m)
                continue
            del self._in_flight[m.event_id]
            if future.exception() is None:
                delivery.acknowledged.append(m)
            else:
                delivery.failed.append(m)
                log.warning("publishing status event %s failed: %r", m.event_id, future.exception())
        return delivery

    async def close(self) -> None:
        await self._producer.close()
