"""Contact records on a Kafka topic -> `ContactRecordBridge` -> v1 topics -> worker -> KPI API.

What a Kinesis-to-Kafka bridge writes (one record per message) is read by the real bridge
with a real consumer and producer; the figures the API then serves must equal the ones
worked out by hand in tests/integration/connect_scenario.py, with records delivered twice,
out of order and re-delivered changed, and a message that is no record dead-lettered.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from services.api.main import create_app as create_api
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings
from services.ingest.connectors.base import ConnectorSettings
from services.ingest.connectors.connect.bridge import ContactRecordBridge
from services.ingest.connectors.connect.bridge_mapping import Refused
from services.ingest.publisher import KafkaEventPublisher
from tests.auth import ADMIN, ADMIN_HEADERS
from tests.integration.connect_scenario import EXPECTED_24H, STREAM_TIME, delivery_order
from tests.integration.stack import (
    WorkerProcess,
    create_topics,
    produce_raw,
    worker_env,
    write_agreements,
)

pytest_plugins = ["tests.integration.db_fixtures"]
KEY = b"globex-pseudonym-key-for-tests-0001"


class ListDeadLetters:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, Refused]] = []

    async def put(self, agreement_id: str, tool: str, refused: list[Refused]) -> None:
        self.items += [(agreement_id, tool, r) for r in refused]


async def eventually(predicate: Any, worker: WorkerProcess, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = await predicate()
        if result:
            return result
        await asyncio.sleep(0.5)
    pytest.fail(f"condition not met in {seconds}s; worker log:\n{worker.log_tail()}")


@pytest.fixture
async def hotline(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[tuple[httpx.AsyncClient, WorkerProcess, str]]:
    """The KPI API and a worker for the prefixed demo agreements; yields the hotline's id."""
    agreements, mapping = write_agreements(tmp_path, topic_prefix)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    database = DatabaseSettings(database_url=migrated_database)
    await create_topics(kafka_bootstrap, topic_prefix, 4)
    api = create_api(
        ApiSettings(agreements_file=agreements),
        database,
        kafka,
        refresh_interval_seconds=0.5,
        security=ADMIN,
    )
    env = worker_env(topic_prefix, agreements, migrated_database, kafka_bootstrap, tmp_path)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    async with api.router.lifespan_context(api):
        worker.start()
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api), base_url="http://a", headers=ADMIN_HEADERS
            ) as client:
                yield client, worker, mapping["globex-hotline"]
        finally:
            worker.stop()


async def kpis_match(api: httpx.AsyncClient, agreement: str) -> dict[str, Any] | None:
    body = (await api.get(f"/v1/agreements/{agreement}/kpis")).json()
    if body.get("stream_time") != STREAM_TIME:
        return None
    figures = body["windows"]["24h"]["figures"]
    return figures if figures["aht_mean_seconds"]["n"] == 3 else None


def assert_hand_computed(figures: dict[str, Any]) -> None:
    for name, (value, n) in EXPECTED_24H.items():
        assert figures[name] == {"value": pytest.approx(value), "n": n}, name
    assert figures["calls_short_abandoned"]["value"] == 1


async def test_records_from_the_bridge_topic_give_the_hand_computed_figures(
    hotline: tuple[httpx.AsyncClient, WorkerProcess, str], kafka_bootstrap: str, topic_prefix: str
) -> None:
    api, worker, agreement = hotline
    ctr_topic = f"{topic_prefix}.connect-ctr"
    messages = [(b"", json.dumps(r).encode()) for r in delivery_order()]
    await produce_raw(
        kafka_bootstrap, ctr_topic, [*messages[:3], (b"", b"not a record"), *messages[3:]]
    )
    settings = ConnectorSettings(
        agreement_id=agreement, tool="connect", namespace="connect:globex", pseudonym_key=KEY
    )

    async def current() -> ConnectorSettings:
        return settings

    consumer = AIOKafkaConsumer(
        ctr_topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"{topic_prefix}-bridge",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    publisher = KafkaEventPublisher(kafka_bootstrap, topic_prefix)
    dead = ListDeadLetters()
    await consumer.start()
    await publisher.start()
    try:
        bridge = ContactRecordBridge(consumer, publisher, dead, current)
        published = 0
        deadline = time.monotonic() + 60
        while (published < 18 or not dead.items) and time.monotonic() < deadline:
            count, _ = await bridge.run_once(timeout_ms=500)
            published += count
        # 7 deliveries: c-2 three times (3 events each), c-1, c-4 (3 each), c-3, c-5 (2 each).
        assert published == 3 * 3 + 3 + 3 + 2 + 2
        assert [(a, t, r.raw) for a, t, r in dead.items] == [
            (agreement, "connect", b"not a record")
        ]
        committed = [await consumer.committed(tp) for tp in consumer.assignment()]
        assert sum(c or 0 for c in committed) == len(messages) + 1
    finally:
        await publisher.stop()
        await consumer.stop()

    assert_hand_computed(await eventually(lambda: kpis_match(api, agreement), worker))
