"""Load for the benchmark: realistic traffic, publishing, the bare-consumer baseline, probes."""

from __future__ import annotations

import asyncio
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.core.contract.events import EventBase, event_to_json, parse_event
from services.core.contract.topics import Family, event_key, family_of, topic_name
from services.simulator.model import TrafficModel
from services.simulator.scene import Rates


class Worker(Protocol):
    async def stream_time(self, agreement_id: str) -> float | None: ...


def realistic_events(
    agreement_ids: Sequence[str], count: int, rng: random.Random
) -> list[EventBase]:
    """At least `count` events of the simulator's ticket, call and survey lifecycles."""
    start = time.time() - 7 * 86_400
    model = TrafficModel(agreement_ids, rng, start, Rates(tickets_per_minute=6, calls_per_minute=6))
    events: list[EventBase] = []
    t = start
    while len(events) < count:
        events += [parse_event(e) for e in model.events_between(t, t + 3600)]
        t += 3600
    return events[:count]


async def publish(bootstrap: str, prefix: str, events: Sequence[EventBase]) -> float:
    """Publish and wait for every acknowledgement; returns the seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10)
    await producer.start()
    started = time.perf_counter()
    try:
        futures = [
            await producer.send(
                topic_name(prefix, family_of(e.type)), event_to_json(e), key=event_key(e).encode()
            )
            for e in events
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def bare_consume(bootstrap: str, prefix: str, count: int) -> float:
    """The ceiling: read and JSON-decode `count` messages of the family topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic_name(prefix, family), p)
            for family in Family
            for p in consumer.partitions_for_topic(topic_name(prefix, family)) or ()
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic_name(prefix, family), p)
                for family in Family
                for p in consumer.partitions_for_topic(topic_name(prefix, family)) or ()
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started, seen = time.perf_counter(), 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for messages in batch.values():
                for message in messages:
                    json.loads(message.value or b"")
                    seen += 1
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def faust_floor(prefix: str, count: int, limit_seconds: float = 600) -> float:
    """Seconds a stateless Faust app takes to read and parse `count` events (bench/faust_floor)."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "floor.json"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.faust_floor",
            prefix,
            str(count),
            str(result),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await asyncio.wait_for(proc.wait(), limit_seconds)
        finally:
            if proc.returncode is None:
                proc.kill()
        if not result.is_file():
            raise RuntimeError(f"the Faust floor app exited ({proc.returncode}) without a result")
        return float(json.loads(result.read_text())["seconds"])


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


async def probe_latency(
    bootstrap: str, prefix: str, agreement_id: str, worker: Worker, probes: int
) -> list[float]:
    """Seconds from publishing one event to the API's stream time showing it."""
    latencies = []
    for n in range(probes):
        at = time.time()
        event = parse_event(
            {
                "event_id": f"probe-{n}",
                "type": "survey.submitted",
                "occurred_at": _stamp(at),
                "agreement_id": agreement_id,
                "survey_id": f"probe-{n}",
                "ticket_id": "t",
                "score": 5,
            }
        )
        started = time.perf_counter()
        await publish(bootstrap, prefix, [event])
        while True:
            if (await worker.stream_time(agreement_id) or 0) >= round(at, 6) - 1e-3:
                break
            await asyncio.sleep(0.02)
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.1)
    return latencies


def open_tickets(agreement_id: str, count: int) -> list[EventBase]:
    """`count` tickets created and never answered: state the worker must hold."""
    at = time.time()
    return [
        parse_event(
            {
                "event_id": f"open-{n}",
                "type": "ticket.created",
                "occurred_at": _stamp(at),
                "agreement_id": agreement_id,
                "ticket_id": f"open-{n}",
                "customer_id": f"c{n}",
                "channel": "email",
                "priority": "normal",
            }
        )
        for n in range(count)
    ]


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


__all__: list[Any] = ["bare_consume", "open_tickets", "percentile", "probe_latency", "publish"]
