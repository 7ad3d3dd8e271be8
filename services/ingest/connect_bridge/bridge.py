"""`slawatch-connect-bridge`: contact records from a Kafka topic to the v1 topics.

Connect streams contact records to Kinesis; a Kinesis-to-Kafka bridge (e.g. a Kafka Connect
Kinesis source) copies them to a Kafka topic. This consumer reads that topic, maps each
record, publishes the events to the family topics (acks=all) and dead-letters what it cannot
map, and only then commits the batch's offsets: a crash re-reads the batch, which the
deterministic event ids make harmless. One bridge serves one connector (one agreement),
mapping with the configuration the API stores for it, re-read every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.core.connectors.base import ConnectorSettings
from services.core.contract.events import EventBase
from services.ingest.connect_bridge.instruments import BridgeInstruments
from services.ingest.connect_bridge.mapping import map_message
from services.ingest.connectors.instruments import PayloadOutcome
from services.ingest.connectors.stored import DeadLetterSink, Refused
from services.ingest.publisher import EventPublisher

log = logging.getLogger(__name__)


class BridgeSettings(BaseSettings):
    """The bridge's own settings (env prefix `CONNECT_BRIDGE_`)."""

    model_config = SettingsConfigDict(env_prefix="CONNECT_BRIDGE_", extra="ignore")

    # The Amazon Connect connector (configured through the API) whose records these are.
    connector_id: str
    topic: str = "connect.contact-records"
    group_id: str = "slawatch-connect-bridge"
    max_batch_records: int = Field(default=500, ge=1)
    # Port of the bridge's own `/metrics` (docs/metrics.md); 0 serves none.
    prometheus_port: int = Field(default=9111, ge=0, le=65535)


SettingsSource = Callable[[], Awaitable[ConnectorSettings]]


class ContactRecordBridge:
    """Consume, map, publish, dead-letter, commit: one batch at a time, in that order."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        publisher: EventPublisher,
        dead_letters: DeadLetterSink,
        settings: SettingsSource,
        max_batch_records: int = 500,
        source: str = "connect-bridge",
        instruments: BridgeInstruments | None = None,
    ) -> None:
        self._consumer = consumer
        self._publisher = publisher
        self._dead_letters = dead_letters
        self._settings = settings
        self._max = max_batch_records
        self._source = source
        self._instruments = instruments

    async def run_once(self, timeout_ms: int = 1000) -> tuple[int, int]:
        """Handle what one poll returns; (events published, records dead-lettered)."""
        batches = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=self._max)
        messages = [m for partition in sorted(batches, key=str) for m in batches[partition]]
        if not messages:
            await self._observe_lag()
            return 0, 0
        settings = await self._settings()
        events: list[EventBase] = []
        refused: list[Refused] = []
        outcomes: list[PayloadOutcome] = []
        for message in messages:
            mapped = map_message(message.value, settings, self._source)
            events += mapped.events
            refused += mapped.refused
            outcomes += mapped.outcomes
        if events:
            await self._publisher.publish(events)
        if refused:
            await self._dead_letters.put(refused)
        # Offsets only after every event and dead letter is stored: at least once, never lost.
        await self._consumer.commit()
        if self._instruments is not None:
            self._instruments.committed(outcomes)
        await self._observe_lag()
        return len(events), len(refused)

    async def _observe_lag(self) -> None:
        if self._instruments is None:
            return
        behind: dict[object, int] = {}
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is not None:  # known once a fetch of the partition returned
                behind[tp] = highwater - await self._consumer.position(tp)
        self._instruments.observe_lag(behind)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; a failed publish stops the bridge (offsets uncommitted)."""
        while not stop.is_set():
            published, refused = await self.run_once()
            if published or refused:
                log.info("published %d events, dead-lettered %d records", published, refused)
