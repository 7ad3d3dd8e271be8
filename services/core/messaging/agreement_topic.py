"""The agreements topic: how agreement documents travel from PostgreSQL to every worker.

Writers (the API, `services.admin.sync_agreements`) publish the full document keyed by
agreement id, with the stored version in a `version` header; a deletion is a tombstone. The
topic is compacted, so it holds the latest document of every agreement for ever. It has one
partition: the volume is tiny and one partition keeps every change in one order. Shared
calendars travel on it too, keyed `calendar:<id>`: in one order with the agreements, a
calendar always reaches a worker before the agreements written after it that name it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from services.core.agreements.calendars import Calendar, topic_key
from services.core.agreements.calendars import to_document as calendar_document
from services.core.agreements.model import Agreement, to_document
from services.core.contract.topics import agreements_topic
from services.core.kpi.params import MeasurementParams
from services.core.messaging.admin import ensure_topics
from services.core.messaging.producer import LazyProducer
from services.core.settings import KafkaSettings

log = logging.getLogger(__name__)

AGREEMENTS_PARTITIONS = 1
VERSION_HEADER = "version"


async def ensure_agreements_topic(kafka: KafkaSettings, timeout_seconds: float = 30.0) -> None:
    """Create the compacted agreements topic of `kafka.topic_prefix` unless it exists."""
    topic = agreements_topic(kafka.topic_prefix)
    await ensure_topics(
        kafka.bootstrap_servers,
        [topic],
        AGREEMENTS_PARTITIONS,
        kafka.replication_factor,
        compacted=[topic],
        timeout_seconds=timeout_seconds,
    )


def encode(agreement: Agreement) -> bytes:
    return json.dumps(to_document(agreement), separators=(",", ":"), sort_keys=True).encode()


def decode_params(value: bytes) -> tuple[MeasurementParams, str]:
    """(measurement parameters, client id) of a published document.

    Only the engine's fields are validated, so a worker keeps working when newer writers add
    fields to the agreement model.
    """
    document: dict[str, Any] = json.loads(value)
    fields = {k: v for k, v in document.items() if k in MeasurementParams.model_fields}
    return MeasurementParams.model_validate(fields), str(document.get("client", ""))


class AgreementPublisher:
    """Publishes agreement documents; a broker that is down delays publishing, not start-up."""

    def __init__(self, kafka: KafkaSettings, timeout_seconds: float = 10.0) -> None:
        self.kafka = kafka
        self.topic = agreements_topic(kafka.topic_prefix)
        self.timeout_seconds = timeout_seconds
        self._producer = LazyProducer(
            kafka.bootstrap_servers,
            lambda: ensure_agreements_topic(kafka, timeout_seconds),
            timeout_seconds,
        )

    async def publish(self, agreement_id: str, agreement: Agreement | None, version: int) -> None:
        """Publish `agreement` (None: a tombstone) and wait for the broker's acknowledgement."""
        value = None if agreement is None else encode(agreement)
        headers = [(VERSION_HEADER, str(version).encode())]
        await self._producer.send(self.topic, agreement_id.encode(), value, headers)

    async def publish_calendar(self, calendar: Calendar, version: int) -> None:
        """Publish a shared calendar document and wait for the broker's acknowledgement."""
        value = json.dumps(calendar_document(calendar), separators=(",", ":"), sort_keys=True)
        headers = [(VERSION_HEADER, str(version).encode())]
        key = topic_key(calendar.calendar_id).encode()
        await self._producer.send(self.topic, key, value.encode(), headers)

    async def close(self) -> None:
        await self._producer.close()
