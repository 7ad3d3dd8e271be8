"""A running worker learns of a new agreement from the agreements topic, without a restart.

The worker starts with an empty agreements file: an event of the agreement is dead-lettered
as unknown. Then the agreement is PUT through the API, which publishes it; the worker takes
it from the topic and counts the agreement's next events.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import deadletter_topic
from services.core.settings import KafkaSettings
from services.core.storage.repository import stream_time
from services.core.storage.session import make_sessionmaker
from tests.integration.agreements_support import demo_body, running_api
from tests.integration.stack import WorkerProcess, create_topics, produce, worker_env

pytest_plugins = ["tests.integration.db_fixtures"]
DEADLINE_SECONDS = 45


def ticket(agreement_id: str, n: int) -> EventBase:
    return parse_event(
        {
            "event_id": f"live-{n}",
            "type": "ticket.created",
            "occurred_at": f"2026-11-26T09:{n:02d}:00Z",
            "agreement_id": agreement_id,
            "ticket_id": f"t{n}",
            "customer_id": "c1",
            "channel": "email",
            "priority": "high",
        }
    )


async def first_deadletter(bootstrap: str, prefix: str, worker: WorkerProcess) -> dict:
    consumer = AIOKafkaConsumer(
        deadletter_topic(prefix), bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                return dict(json.loads(records[0].value))
    finally:
        await consumer.stop()
    pytest.fail(f"nothing dead-lettered in {DEADLINE_SECONDS}s:\n{worker.log_tail()}")


async def test_a_worker_counts_an_agreement_put_while_it_runs(
    tmp_path: Path,
    topic_prefix: str,
    kafka_bootstrap: str,
    migrated_database: str,
    db_engine: AsyncEngine,
    agreement_id: str,
) -> None:
    empty = tmp_path / "agreements.yaml"
    empty.write_text("agreements: []\n")
    await create_topics(kafka_bootstrap, topic_prefix, 4)
    env = worker_env(topic_prefix, empty, migrated_database, kafka_bootstrap, tmp_path)
    env["METRICS_AGREEMENT_WAIT_SECONDS"] = "1"  # an agreement nobody publishes: refused soon
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.start()
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    sessions = make_sessionmaker(db_engine)
    try:
        await produce(kafka_bootstrap, topic_prefix, [ticket(agreement_id, 0)])
        rejected = await first_deadletter(kafka_bootstrap, topic_prefix, worker)
        assert rejected["reason"] == "unknown_agreement"
        assert json.loads(rejected["payload"])["agreement_id"] == agreement_id

        async with running_api(migrated_database, kafka, empty) as (_, api):
            put = await api.put(f"/v1/agreements/{agreement_id}", json=demo_body(agreement_id))
            assert put.status_code == 201

        # The worker applies the agreement within moments; until then events may still be
        # refused, so send a new one every few seconds until one is counted.
        deadline = time.monotonic() + DEADLINE_SECONDS
        counted, n = None, 0
        while counted is None and time.monotonic() < deadline:
            n += 1
            await produce(kafka_bootstrap, topic_prefix, [ticket(agreement_id, n)])
            for _ in range(6):
                await asyncio.sleep(0.5)
                async with sessions() as session:
                    counted = await stream_time(session, agreement_id)
                if counted is not None:
                    break
        if counted is None:
            pytest.fail(f"no event counted in {DEADLINE_SECONDS}s:\n{worker.log_tail()}")
        assert f"agreement {agreement_id} at version 1 applied" in worker.log_tail(400)
    finally:
        worker.stop()
