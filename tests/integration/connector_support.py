"""Shared setup for connector tests: ingest and API apps on real Kafka and PostgreSQL, a
Zammad-style generic connector configured through the API, and topic readers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
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
from tests.integration.kafka_reads import read_to_end
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
    return [r.value for r in await read_to_end(bootstrap, [topic]) if r.value is not None]


async def event_ids_on(bootstrap: str, topic: str) -> list[str]:
    return [json.loads(v)["event_id"] for v in await topic_values(bootstrap, topic)]
