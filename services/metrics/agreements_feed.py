"""Every worker's set of agreements: the agreements file at start, then the agreements topic.

Any partition may carry events of any agreement, so every worker needs every agreement: the
topic is read without a consumer group (the consumer takes all partitions, from the start)
rather than shared out by one. The compacted topic holds the latest document per agreement,
so reading it from the start rebuilds the whole set. `catch_up` runs before Faust starts,
so no event of a known agreement is dead-lettered as unknown while the worker starts;
`follow` then keeps applying changes from where `catch_up` stopped, in place, into the dict
the engines read. Each document carries its stored version; an older one (a slow API replica
republishing) is ignored. Shared calendars come on the same topic (keys `calendar:<id>`);
`CalendarBook` puts them into the agreements that name them.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.core.agreements.calendars import TOPIC_KEY_PREFIX, Calendar
from services.core.contract.topics import agreements_topic
from services.core.kpi.params import MeasurementParams, load_measurement_params
from services.core.messaging.agreement_topic import (
    VERSION_HEADER,
    decode_params,
    ensure_agreements_topic,
)
from services.core.settings import KafkaSettings, MetricsSettings
from services.metrics.calendar_book import CalendarBook
from services.metrics.observe import clients_of

log = logging.getLogger(__name__)
RETRY_SECONDS = 2.0


def initial_agreements(path: Path) -> dict[str, MeasurementParams]:
    """The agreements of the file at `path`; none when it is unset or missing."""
    if not path.is_file():
        log.info("no agreements file at %r: starting with no agreements", str(path))
        return {}
    return load_measurement_params(path)


def make_feed(kafka: KafkaSettings, metrics: MetricsSettings) -> AgreementsFeed:
    """A feed starting from the agreements file of `metrics` (may be unset)."""
    path = metrics.agreements_file
    return AgreementsFeed(kafka, initial_agreements(path), clients_of(path))


async def _at_end(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    return all([await consumer.position(tp) >= end for tp, end in ends.items()])


class AgreementsFeed:
    """Applies the agreements topic to `agreements` (and `clients`: id -> client id)."""

    def __init__(
        self,
        kafka: KafkaSettings,
        agreements: dict[str, MeasurementParams],
        clients: dict[str, str] | None = None,
    ) -> None:
        self.kafka = kafka
        self.topic = agreements_topic(kafka.topic_prefix)
        self.agreements = agreements
        self.book = CalendarBook(agreements)
        self.clients = {} if clients is None else clients
        self.positions: dict[int, int] = {}  # partition -> next offset to read
        self.versions: dict[str, int] = {}

    def apply(self, record: ConsumerRecord) -> None:
        """Apply one message; a message that cannot be used is logged and skipped."""
        self.positions[record.partition] = record.offset + 1
        if record.key is None:
            return
        agreement_id = record.key.decode()
        if agreement_id.startswith(TOPIC_KEY_PREFIX):
            self._apply_calendar(agreement_id, record)
            return
        if record.value is None:
            self.book.drop_agreement(agreement_id)
            self.versions.pop(agreement_id, None)
            log.info("agreement %s removed", agreement_id)
            return
        version = dict(record.headers or ()).get(VERSION_HEADER)
        number = int(version) if version else 0
        if number < self.versions.get(agreement_id, 0):
            return
        try:
            params, client = decode_params(record.value)
        except ValueError:
            log.exception("unusable document for agreement %s skipped", agreement_id)
            return
        self.book.put_agreement(agreement_id, params)
        self.clients[agreement_id] = client
        self.versions[agreement_id] = number
        log.info("agreement %s at version %d applied", agreement_id, number)

    def _apply_calendar(self, key: str, record: ConsumerRecord) -> None:
        calendar_id = key[len(TOPIC_KEY_PREFIX) :]
        version = dict(record.headers or ()).get(VERSION_HEADER)
        number = int(version) if version else 0
        if record.value is not None and number < self.versions.get(key, 0):
            return
        try:
            calendar = None if record.value is None else Calendar.model_validate_json(record.value)
        except ValueError:
            log.exception("unusable document for calendar %s skipped", calendar_id)
            return
        self.book.put_calendar(calendar_id, calendar)
        self.versions[key] = number
        log.info("calendar %s at version %d applied", calendar_id, number)

    async def _consumer(self) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.kafka.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        for tp in consumer.assignment():
            if tp.partition in self.positions:
                consumer.seek(tp, self.positions[tp.partition])
        return consumer

    async def catch_up(self) -> None:
        """Create the topic if needed and read it up to its current end."""
        await ensure_agreements_topic(self.kafka)
        consumer = await self._consumer()
        try:
            partitions: list[TopicPartition] = list(consumer.assignment())
            ends = await consumer.end_offsets(partitions)
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        self.apply(record)
                # Stop only on an empty poll at the end, so nothing fetched is left unapplied.
                if not batch and await _at_end(consumer, ends):
                    break
        finally:
            await consumer.stop()
        log.info("%d agreements known after reading %s", len(self.agreements), self.topic)

    async def follow(self) -> None:
        """Apply changes as they come, until cancelled; reconnects after failures."""
        while True:
            try:
                consumer = await self._consumer()
            except Exception:
                log.exception("cannot read %s; retrying in %ss", self.topic, RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            try:
                async for record in consumer:
                    self.apply(record)
            except Exception:
                log.exception("reading %s failed; reconnecting", self.topic)
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                await consumer.stop()
