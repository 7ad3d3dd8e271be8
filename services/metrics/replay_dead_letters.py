"""Replay dead letters into the pipeline: `python -m services.metrics.replay_dead_letters`.

After the cause of a refusal is fixed (an agreement created, a worker's lateness raised, a
sender's bug fixed), an operator sends the refused messages back to the topic they came
from; the workers then process them as any event, and the engine drops by `event_id` what
was already counted, so replaying twice counts nothing twice. Filters (all optional, combined
with "and"): `--reason` (repeatable: late, unknown_agreement, invalid, ...), `--agreement`
(repeatable), `--since`/`--until` (when the message was dead-lettered, RFC 3339). Only the
dead letters present when the command starts are read, so a replayed message refused again
is not replayed in a loop. `--dry-run` counts without sending. Prints a JSON summary.
Settings come from the environment (`KAFKA_*`), as for the services (docs/runbooks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from services.core.contract.topics import Family, deadletter_topic, topic_name
from services.core.settings import KafkaSettings

log = logging.getLogger(__name__)
REPLAYED_FROM_HEADER = "replayed_from"
STALL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead-letter record, decoded: why, where from, and the original message."""

    reason: str
    source_topic: str
    agreement_id: str | None
    payload: bytes
    refused_at: float  # epoch seconds (the dead-letter message's timestamp)


def decode(value: bytes, timestamp_ms: int) -> DeadLetter:
    """A dead-letter record (services/metrics/deadletter.py); ValueError if it is not one."""
    record = json.loads(value)
    if "payload" in record:
        payload = str(record["payload"]).encode()
    else:
        payload = base64.b64decode(record.get("payload_base64", ""))
    try:
        agreement = json.loads(payload).get("agreement_id")
    except (ValueError, AttributeError):
        agreement = None
    return DeadLetter(
        reason=str(record["reason"]),
        source_topic=str(record["source"]["topic"]),
        agreement_id=agreement if isinstance(agreement, str) else None,
        payload=payload,
        refused_at=timestamp_ms / 1000,
    )


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dead letters to replay; an empty set or None means "any"."""

    reasons: frozenset[str] = frozenset()
    agreements: frozenset[str] = frozenset()
    since: float | None = None
    until: float | None = None

    def matches(self, letter: DeadLetter) -> bool:
        return (
            (not self.reasons or letter.reason in self.reasons)
            and (not self.agreements or letter.agreement_id in self.agreements)
            and (self.since is None or letter.refused_at >= self.since)
            and (self.until is None or letter.refused_at < self.until)
        )


async def replay(
    kafka: KafkaSettings, selection: Selection, dry_run: bool = False
) -> dict[str, Any]:
    """Send the selected dead letters back to their source topics; returns a summary."""
    source_topics = {topic_name(kafka.topic_prefix, f) for f in Family}
    topic = deadletter_topic(kafka.topic_prefix)
    # Without a group the consumer takes every partition of the topic, from the start.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, acks="all", enable_idempotence=True
    )
    await consumer.start()
    await producer.start()
    summary: Counter[str] = Counter(dict.fromkeys(("read", "unusable", "matched", "replayed"), 0))
    replayed: Counter[str] = Counter()
    try:
        partitions = list(consumer.assignment())
        ends = await consumer.end_offsets(partitions)
        deliveries = []
        async for record in _records_up_to(consumer, ends):
            summary["read"] += 1
            letter = _decoded(record)
            if letter is None or letter.source_topic not in source_topics:
                summary["unusable"] += 1
                continue
            if not selection.matches(letter):
                continue
            summary["matched"] += 1
            replayed[letter.reason] += 1
            if not dry_run:
                origin = f"{topic}:{record.partition}:{record.offset}".encode()
                deliveries.append(
                    await producer.send(
                        letter.source_topic,
                        key=record.key,
                        value=letter.payload,
                        headers=[(REPLAYED_FROM_HEADER, origin)],
                    )
                )
        await asyncio.gather(*deliveries)
        summary["replayed"] = len(deliveries)
    finally:
        await producer.stop()
        await consumer.stop()
    return {**summary, "by_reason": dict(replayed), "dry_run": dry_run}


async def _records_up_to(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]
) -> AsyncIterator[ConsumerRecord]:
    """Every record before `ends`; gives up when nothing arrives for `STALL_SECONDS`."""
    remaining = {tp for tp, end in ends.items() if end > await consumer.position(tp)}
    last_progress = time.monotonic()
    while remaining:
        batch = await consumer.getmany(*remaining, timeout_ms=1000)
        if batch:
            last_progress = time.monotonic()
        elif time.monotonic() - last_progress > STALL_SECONDS:
            raise TimeoutError(f"no dead letters read for {STALL_SECONDS:.0f} s; stopped")
        for tp, found in batch.items():
            for record in found:
                if record.offset < ends[tp]:
                    yield record
            if await consumer.position(tp) >= ends[tp]:
                remaining.discard(tp)


def _decoded(record: ConsumerRecord) -> DeadLetter | None:
    try:
        return decode(record.value or b"", record.timestamp)
    except (ValueError, KeyError, TypeError):
        log.warning(
            "dead letter %s:%d is not a dead-letter record", record.partition, record.offset
        )
        return None


def parse_args(argv: Sequence[str]) -> tuple[Selection, bool]:
    parser = argparse.ArgumentParser(prog="slawatch-replay-dead-letters", description=__doc__)
    parser.add_argument("--reason", action="append", default=[], help="e.g. unknown_agreement")
    parser.add_argument("--agreement", action="append", default=[], help="an agreement id")
    parser.add_argument("--since", type=datetime.fromisoformat, help="dead-lettered at or after")
    parser.add_argument("--until", type=datetime.fromisoformat, help="dead-lettered before")
    parser.add_argument("--dry-run", action="store_true", help="count, send nothing")
    args = parser.parse_args(argv)
    for bound in (args.since, args.until):
        if bound is not None and bound.tzinfo is None:
            parser.error("--since/--until need an offset, e.g. 2026-10-01T00:00:00Z")
    selection = Selection(
        frozenset(args.reason),
        frozenset(args.agreement),
        args.since.timestamp() if args.since else None,
        args.until.timestamp() if args.until else None,
    )
    return selection, args.dry_run


def run(argv: Sequence[str] | None = None) -> None:
    """Entry point: replay with the filters of the command line, print the summary."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    selection, dry_run = parse_args(sys.argv[1:] if argv is None else argv)
    summary = asyncio.run(replay(KafkaSettings(), selection, dry_run))
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    run()
