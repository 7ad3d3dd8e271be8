"""`slawatch-backfill <connector>` against the real broker and worker: interrupted, resumed,
run again and restarted, the KPI API keeps giving the hand-computed figures.

The export holds the scenario's records as Connect delivered them (twice, out of order, one
changed): tests/integration/connect_scenario.py works the figures out. The backfill maps
with the connector's stored configuration, as its live paths do.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from services.core.contract.topics import Family, topic_name
from services.core.settings import DatabaseSettings
from services.ingest.backfill.checkpoint import load
from services.ingest.backfill.formats import export_format
from services.ingest.backfill.main import parse_args, run_backfill
from services.ingest.backfill.runner import backfill
from services.ingest.connectors.stored import stored_connector
from services.ingest.publisher import KafkaEventPublisher
from tests.integration.connect_scenario import delivery_order
from tests.integration.connect_support import (
    ConnectStack,
    assert_hand_computed,
    connect_stack,
    counted,
    eventually,
    kpis_match,
)
from tests.integration.connector_support import CONNECTORS


class Interrupted(Exception):
    """What Ctrl-C is to the command: the run stops between two units."""


@pytest.fixture
async def connect(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[ConnectStack]:
    async with connect_stack(tmp_path, topic_prefix, kafka_bootstrap, migrated_database) as c:
        yield c


async def worker_caught_up(bootstrap: str, prefix: str) -> bool:
    """The worker committed every message of the calls topic (so it has processed them)."""
    topic = topic_name(prefix, Family.CALLS)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))
        committed = await admin.list_consumer_group_offsets(f"slawatch-{prefix}")
    finally:
        await admin.close()
        await consumer.stop()
    done = {tp: meta.offset for tp, meta in committed.items() if tp.topic == topic}
    return all(done.get(tp, 0) >= end for tp, end in ends.items())


async def test_backfill_resumes_after_an_interrupt_and_publishes_once(
    connect: ConnectStack, kafka_bootstrap: str, topic_prefix: str, tmp_path: Path,
    migrated_database: str,
) -> None:  # fmt: skip
    stack, worker = connect.stack, connect.worker
    database = DatabaseSettings(database_url=migrated_database)
    export = tmp_path / "ctr-2026-10-14.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in delivery_order()))
    checkpoint = tmp_path / "backfill.json"
    argv = [connect.connector, str(export), "--checkpoint", str(checkpoint), "--batch-events", "3"]

    # 1. Interrupted after its third line was acknowledged.
    units = 0

    def progress(path: Path, position: int, total: int) -> None:
        nonlocal units
        units += 1
        if units == 3:
            raise Interrupted

    fmt = export_format("connect", None)
    publisher = KafkaEventPublisher(kafka_bootstrap, topic_prefix)
    await publisher.start()
    try:
        async with stored_connector(connect.connector, database, CONNECTORS) as connector:
            active = await connector.active()
            with pytest.raises(Interrupted):
                await backfill(
                    [export],
                    fmt,
                    active.settings,
                    publisher,
                    connector,
                    load(checkpoint, stack.agreement, connect.connector, fmt.name),
                    checkpoint,
                    progress,
                    batch_events=3,
                )
    finally:
        await publisher.stop()
    assert load(checkpoint, stack.agreement, connect.connector, fmt.name).start_of(export) > 0

    # 2. The same command resumes with the fourth line.
    resumed = await run_backfill(parse_args(argv), stack.kafka, database, CONNECTORS)
    assert resumed.records == 4
    assert_hand_computed(await eventually(lambda: kpis_match(stack.api, stack.agreement), worker))
    # 13 distinct events; c-2's second copy and its changed copy are duplicates (3 + 3).
    await eventually(lambda: counted(stack.api, stack.agreement, accepted=13, duplicate=6), worker)

    # 3. Run again: nothing to publish.
    again = await run_backfill(parse_args(argv), stack.kafka, database, CONNECTORS)
    assert (again.events, again.files_skipped) == (0, [str(export)])

    # 4. From the start again: everything is published again, and nothing counts twice.
    restart = parse_args([*argv, "--restart"])
    assert (await run_backfill(restart, stack.kafka, database, CONNECTORS)).events == 19
    assert await eventually(lambda: worker_caught_up(kafka_bootstrap, topic_prefix), worker)
    await eventually(
        lambda: counted(stack.api, stack.agreement, accepted=13, duplicate=6 + 19), worker
    )
    assert_hand_computed(await eventually(lambda: kpis_match(stack.api, stack.agreement), worker))
