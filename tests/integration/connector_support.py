"""Shared setup for connector tests: ingest and API apps on real Kafka and PostgreSQL, a
Zammad-style generic connector configured through the API, and topic readers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr

from services.api.main import create_app as create_api
from services.core.connectors.secret_box import new_key
from services.core.settings import (
    ApiSettings,
    ConnectorsSettings,
    DatabaseSettings,
    IngestSettings,
    KafkaSettings,
)
from services.ingest.app import create_app as create_ingest
from tests.auth import ADMIN, ADMIN_HEADERS
from tests.integration.stack import write_agreements
from tests.zammad_payloads import zammad_config, zammad_signature

T = TypeVar("T")
SECRET = "zammad-webhook-secret"
CONNECTORS = ConnectorsSettings(secrets_key=SecretStr(new_key()), config_cache_seconds=0.3)


@dataclass
class ConnectorStack:
    ingest: httpx.AsyncClient  # no API key: tools do not send one
    api: httpx.AsyncClient
    agreement: str
    kafka: KafkaSettings
    agreements_file: Path
    connector: str  # an id of this test's own: connector ids are unique across agreements
    database: DatabaseSettings


@asynccontextmanager
async def connector_stack(
    tmp_path: Path, prefix: str, bootstrap: str, database_url: str, partitions: int = 2
) -> AsyncIterator[ConnectorStack]:
    """Ingest and API apps (lifespans running) for the demo agreements renamed for `prefix`."""
    agreements, mapping = write_agreements(tmp_path, prefix)
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=prefix, partitions=partitions)
    database = DatabaseSettings(database_url=database_url)
    ingest = create_ingest(
        IngestSettings(), kafka, security=ADMIN, database=database, connectors=CONNECTORS
    )
    api = create_api(
        ApiSettings(agreements_file=agreements),
        database,
        kafka,
        refresh_interval_seconds=0.5,
        security=ADMIN,
        connectors=CONNECTORS,
    )
    async with (
        ingest.router.lifespan_context(ingest),
        api.router.lifespan_context(api),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=ingest), base_url="http://i") as i,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api), base_url="http://a", headers=ADMIN_HEADERS
        ) as a,
    ):
        connector = f"{prefix}-zammad"
        yield ConnectorStack(
            i, a, mapping["globex-hotline"], kafka, agreements, connector, database
        )


async def put_zammad(
    stack: ConnectorStack, connector_id: str, secret: str | None = SECRET, **changes: Any
) -> httpx.Response:
    body = {**zammad_config(), **changes}
    if secret is not None:
        body["secret"] = secret
    path = f"/v1/agreements/{stack.agreement}/connectors/{connector_id}"
    return await stack.api.put(path, json=body)


async def post_payload(
    stack: ConnectorStack, connector_id: str, payload: Any, secret: str = SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = zammad_signature(body, secret.encode())
    return await stack.ingest.post(
        f"/v1/connectors/{connector_id}/events", content=body, headers=headers
    )


async def topic_values(bootstrap: str, topic: str) -> list[bytes]:
    """Every value on `topic` now (all partitions, from the start to the current end)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        partitions = list(consumer.assignment())
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                values += [r.value for r in records if r.value is not None]
            if not batch and all([await consumer.position(tp) >= ends[tp] for tp in partitions]):
                break
    finally:
        await consumer.stop()
    return values


async def event_ids_on(bootstrap: str, topic: str) -> list[str]:
    return [json.loads(v)["event_id"] for v in await topic_values(bootstrap, topic)]


async def eventually(
    probe: Callable[[], Awaitable[T | None]], seconds: float = 30, what: str = "condition"
) -> T:
    """Poll `probe` until it returns something truthy, within a bounded time."""
    deadline = time.monotonic() + seconds
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {seconds} s")
        await asyncio.sleep(0.2)
