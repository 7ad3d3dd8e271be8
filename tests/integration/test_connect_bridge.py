"""Contact records on a Kafka topic -> `slawatch-connect-bridge` -> v1 topics -> worker -> API.

What a Kinesis-to-Kafka bridge writes (one record per message) is read by the real bridge
(`serve`, as the entry point runs it) for a connector configured through the API; the KPI
API must then give the figures worked out by hand in connect_scenario.py, with records
delivered twice, out of order and re-delivered changed, and a message that is no record must
be a dead letter of the connector, shown by the API.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.core.settings import DatabaseSettings
from services.ingest.connect_bridge.bridge import BridgeSettings
from services.ingest.connect_bridge.main import serve
from tests.integration.connect_scenario import delivery_order
from tests.integration.connect_support import (
    ConnectStack,
    assert_hand_computed,
    connect_stack,
    counted,
    dead_letters,
    eventually,
    kpis_match,
)
from tests.integration.connector_support import CONNECTORS
from tests.integration.stack import produce_raw


@pytest.fixture
async def connect(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[ConnectStack]:
    async with connect_stack(tmp_path, topic_prefix, kafka_bootstrap, migrated_database) as c:
        yield c


async def test_records_from_the_bridge_topic_give_the_hand_computed_figures(
    connect: ConnectStack, kafka_bootstrap: str, topic_prefix: str, migrated_database: str
) -> None:
    stack, worker = connect.stack, connect.worker
    topic = f"{topic_prefix}.connect-ctr"
    records = [(b"", json.dumps(r).encode()) for r in delivery_order()]
    await produce_raw(kafka_bootstrap, topic, [*records[:3], (b"", b"not a record"), *records[3:]])
    bridge = BridgeSettings(
        connector_id=connect.connector,
        topic=topic,
        group_id=f"{topic_prefix}-bridge",
        prometheus_port=0,  # no fixed port in tests; the registry is read directly
    )
    registry = CollectorRegistry()
    stop = asyncio.Event()
    database = DatabaseSettings(database_url=migrated_database)
    running = asyncio.create_task(serve(bridge, stack.kafka, database, CONNECTORS, stop, registry))
    try:

        async def dead_lettered() -> bool:
            return (await dead_letters(stack, connect.connector))["count"] == 1

        await eventually(dead_lettered, worker)
        letters = (await dead_letters(stack, connect.connector))["dead_letters"]
        assert letters[0]["payload"] == "not a record"
        assert "JSON" in letters[0]["reason"]
        figures = await eventually(lambda: kpis_match(stack.api, stack.agreement), worker)
        assert_hand_computed(figures)
        # 13 distinct events; c-2's second copy and its changed copy are duplicates (3 + 3).
        await eventually(
            lambda: counted(stack.api, stack.agreement, accepted=13, duplicate=6), worker
        )
        payloads = "slawatch_connector_payloads_total"

        async def bridge_metrics_counted() -> bool:  # set just after the last commit
            def value(outcome: str) -> float | None:
                labels = {"connector_tool": "connect", "outcome": outcome}
                return registry.get_sample_value(payloads, labels)

            lag = registry.get_sample_value("slawatch_connect_bridge_lag_records")
            return (value("published"), value("dead_letter"), lag) == (len(records), 1, 0)

        await eventually(bridge_metrics_counted, worker)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
