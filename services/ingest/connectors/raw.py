"""The raw-payload topic `{prefix}.raw.v1`: every verified webhook body, before mapping.

Why keep raw payloads: a mapping that was wrong (or a tool field it ignored) can be corrected
and the history re-derived with `slawatch-connector-replay`; events have deterministic ids,
so replaying what was already published changes nothing. Keyed by connector id (one
connector's payloads stay in order on one partition), kept CONNECTORS_RAW_RETENTION_DAYS.
The bodies may hold personal data in clear: the topic's retention bounds how long.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from services.core.contract.topics import TOPIC_VERSION


class RawPayloadError(Exception):
    """The broker did not take the raw payload."""


def raw_topic(prefix: str) -> str:
    return f"{prefix}.raw.{TOPIC_VERSION}"


def raw_headers(agreement_id: str, tool: str) -> list[tuple[str, bytes]]:
    return [("agreement_id", agreement_id.encode()), ("connector_tool", tool.encode())]


class RawPayloads(Protocol):
    """Where verified webhook bodies are kept before mapping."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def keep(
        self, connector_id: str, agreement_id: str, tool: str, body: bytes, received_at: datetime
    ) -> None:
        """Return once the broker acknowledged the body, else raise `RawPayloadError`."""


class KafkaRawPayloads:
    """Raw payloads on `{prefix}.raw.v1`, created with its retention when missing."""

    def __init__(
        self,
        bootstrap_servers: str,
        prefix: str,
        partitions: int,
        retention_days: float,
        replication_factor: int = 1,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._replication = replication_factor
        self._topic = raw_topic(prefix)
        self._partitions = partitions
        self._retention_ms = int(retention_days * 86_400_000)
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        await self._ensure_topic()
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True, linger_ms=5
        )
        await producer.start()
        self._producer = producer

    async def _ensure_topic(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        try:
            await admin.start()
            if self._topic in set(await admin.list_topics()):
                return
            configs = {"retention.ms": str(self._retention_ms), "cleanup.policy": "delete"}
            topic = NewTopic(
                self._topic, self._partitions, self._replication, topic_configs=configs
            )
            response = await admin.create_topics([topic])
            for name, code, *_ in response.topic_errors:
                # Another replica may have created it meanwhile: that is fine.
                if code and for_code(code) is not TopicAlreadyExistsError:
                    raise for_code(code)(f"cannot create topic {name}")
        finally:
            await admin.close()

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def keep(
        self, connector_id: str, agreement_id: str, tool: str, body: bytes, received_at: datetime
    ) -> None:
        if self._producer is None:
            raise RawPayloadError("the raw-payload producer is not started")
        try:
            await self._producer.send_and_wait(
                self._topic,
                value=body,
                key=connector_id.encode(),
                timestamp_ms=int(received_at.timestamp() * 1000),
                headers=raw_headers(agreement_id, tool),
            )
        except KafkaError as exc:
            raise RawPayloadError(f"the broker did not take the raw payload: {exc!r}") from exc
