"""The API over the real PostgreSQL and Kafka: same figures as from memory, and ready."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import Runtime
from services.core.settings import KafkaSettings
from services.core.storage import repository as repo
from tests.component.api_scenario import EXPECTED, T, bucket_rows, write_agreements
from tests.integration.agreements_support import running_api

# The database fixtures (clean schema, engine, session, unique agreement id).
pytest_plugins = ["tests.integration.db_fixtures"]


@pytest.fixture
async def api(
    tmp_path: Path,
    migrated_database: str,
    kafka_bootstrap: str,
    agreement_id: str,
    topic_prefix: str,
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    agreements = write_agreements(tmp_path / "a.yaml", agreement_id, agreement_id + "-idle")
    # A prefix of its own: the API publishes the seeded agreements to the agreements topic.
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    async with running_api(migrated_database, kafka, agreements) as (app, client):
        yield app.state.runtime, client


async def test_figures_come_from_the_stored_buckets(
    api: tuple[Runtime, httpx.AsyncClient], db_session: AsyncSession, agreement_id: str
) -> None:
    runtime, client = api
    await repo.upsert_buckets(db_session, bucket_rows(agreement_id))
    await repo.upsert_stream_positions(
        db_session, [(agreement_id, "tickets", 0, T - 60), (agreement_id, "calls", 3, T)]
    )
    await db_session.commit()

    body = (await client.get(f"/v1/agreements/{agreement_id}/kpis")).json()
    assert await runtime.cache.refresh()
    metrics = (await client.get("/metrics")).text

    assert body["stream_time"] == "2026-10-14T09:30:00Z"
    for window, figures in EXPECTED.items():
        got = body["windows"][window]["figures"]
        assert {k: (got[k]["value"], got[k]["n"]) for k in figures} == figures, window
    [stream] = [
        s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
        if s.name == "slawatch_stream_time_seconds" and s.labels["agreement"] == agreement_id
    ]
    assert stream == T


async def test_ready_when_postgres_and_kafka_answer(
    api: tuple[Runtime, httpx.AsyncClient],
) -> None:
    _, client = api

    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}}
