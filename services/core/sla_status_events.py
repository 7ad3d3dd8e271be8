"""SLA status changes as events on `{prefix}.sla.status.v1`, keyed by agreement id.

Why a topic: other systems (ticketing, chat, a client portal) react to "target X is now
breached" without polling the API. Exactly one API replica publishes each change (see
services/api/status_changes.py); the producer starts lazily, so a broker that is down delays
events, not the API's start-up.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.core.kafka_admin import ensure_topics
from services.core.kafka_producer import LazyProducer
from services.core.settings import KafkaSettings
from services.core.sla import Status
from services.core.topics import sla_status_topic

EVENT_TYPE = "sla.status_changed"


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


class SlaStatusPublisher:
    """Publishes status changes; `publish` returns once the broker acknowledged."""

    def __init__(self, kafka: KafkaSettings, timeout_seconds: float = 10.0) -> None:
        self.kafka = kafka
        self.topic = sla_status_topic(kafka.topic_prefix)
        self.timeout_seconds = timeout_seconds
        self._producer = LazyProducer(
            kafka.bootstrap_servers,
            lambda: ensure_sla_status_topic(kafka, timeout_seconds),
            timeout_seconds,
        )

    async def publish(self, event: SlaStatusChanged) -> None:
        await self._producer.send(self.topic, event.agreement_id.encode(), event.encode())

    async def close(self) -> None:
        await self._producer.close()
