"""Amazon Connect contact records through `slawatch-connect-bridge`: records per second.

Three figures on the same generated records (answered and abandoned calls, in the shape
tests/connect_records.py writes after AWS's data model):

- `map_records_per_second`: decode + map + validate only (bridge_mapping.map_message), the
  connector's own CPU cost;
- `bridge_records_per_second`: the real bridge from a Kafka topic of records to the v1
  topics (consume, map, publish with acks=all, commit);
- `v1_publish_events_per_second`: the same events published as v1 events by the same
  publisher, without the connector: plain v1 ingest's broker side, to compare with.

`python -m bench.connectors_ctr` runs it alone; `make bench` adds it to latest.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.core.connectors.base import ConnectorSettings
from services.core.contract.events import EventBase
from services.core.messaging.admin import ensure_topics, event_topics
from services.ingest.connect_bridge.bridge import ContactRecordBridge
from services.ingest.connect_bridge.mapping import map_message
from services.ingest.connectors.stored import Refused
from services.ingest.publisher import KafkaEventPublisher
from tests.connect_records import abandoned, answered

RECORDS = int(os.environ.get("BENCH_CTR_RECORDS", "20000"))
PARTITIONS = 6
SETTINGS = ConnectorSettings(
    agreement_id="bench-connect", tool="connect", namespace="connect:bench", pseudonym_key=b"b" * 32
)


def records(count: int) -> list[bytes]:
    start = datetime.now(UTC) - timedelta(hours=6)
    out: list[dict[str, Any]] = []
    for i in range(count):
        at, phone = start + timedelta(seconds=i), f"+8613{i % 50_000:09d}"
        out.append(abandoned(f"b-{i}", phone, at) if i % 5 == 0 else answered(f"b-{i}", phone, at))
    return [json.dumps(r).encode() for r in out]


class _NoDeadLetters:
    async def put(self, refused: list[Refused]) -> None:
        raise AssertionError(f"the bench's records all map: {refused[:1]}")


async def _bridge_seconds(bootstrap: str, prefix: str, values: list[bytes]) -> tuple[float, int]:
    topic = f"{prefix}.connect-ctr"
    await ensure_topics(bootstrap, [topic, *event_topics(prefix)], PARTITIONS, 1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10)
    await producer.start()
    try:
        sent = [await producer.send(topic, v, key=str(i).encode()) for i, v in enumerate(values)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{prefix}-bridge",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    publisher = KafkaEventPublisher(bootstrap, prefix)
    await consumer.start()
    await publisher.start()

    async def settings() -> ConnectorSettings:
        return SETTINGS

    try:
        bridge = ContactRecordBridge(consumer, publisher, _NoDeadLetters(), settings)
        await consumer.getmany(timeout_ms=0)  # join the group before the clock starts
        await consumer.seek_to_beginning()
        started, events, seen = time.perf_counter(), 0, 0
        deadline = started + 600
        while seen < len(values) and time.perf_counter() < deadline:
            published, _ = await bridge.run_once(timeout_ms=500)
            events += published
            seen = sum([await consumer.position(tp) for tp in consumer.assignment()])
        return time.perf_counter() - started, events
    finally:
        await publisher.stop()
        await consumer.stop()


async def _publish_seconds(bootstrap: str, prefix: str, events: list[EventBase]) -> float:
    await ensure_topics(bootstrap, event_topics(prefix), PARTITIONS, 1)
    publisher = KafkaEventPublisher(bootstrap, prefix)
    await publisher.start()
    try:
        started = time.perf_counter()
        for i in range(0, len(events), 1500):
            await publisher.publish(events[i : i + 1500])
        return time.perf_counter() - started
    finally:
        await publisher.stop()


async def measure(bootstrap: str, prefix: str) -> dict[str, Any]:
    """The three rates for BENCH_CTR_RECORDS records (topics under `prefix`)."""
    values = records(RECORDS)
    started = time.perf_counter()
    mapped = [map_message(v, SETTINGS) for v in values]
    map_seconds = time.perf_counter() - started
    events = [e for m in mapped for e in m.events]
    bridge_seconds, bridged = await _bridge_seconds(bootstrap, f"{prefix}c", values)
    publish_seconds = await _publish_seconds(bootstrap, f"{prefix}v", events)
    return {
        "records": len(values),
        "events": len(events),
        "bridge_events_published": bridged,
        "map_records_per_second": round(len(values) / map_seconds),
        "bridge_records_per_second": round(len(values) / bridge_seconds),
        "bridge_events_per_second": round(bridged / bridge_seconds),
        "v1_publish_events_per_second": round(len(events) / publish_seconds),
    }


if __name__ == "__main__":
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    print(json.dumps(asyncio.run(measure(bootstrap, f"benchctr{int(time.time())}")), indent=2))
