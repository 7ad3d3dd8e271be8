"""A PostgreSQL outage (a cut loopback proxy in front of the real server): honest answers.

Ingest's readiness turns 503 naming the database, requests that need it are 503 with
`Retry-After` (never 500), and both services recover without help once it is back.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.seed import seed_missing
from services.core.settings import DatabaseSettings, IngestSettings, KafkaSettings
from services.core.storage.session import make_sessionmaker
from services.ingest.app import create_app as ingest_app
from tests.auth import ADMIN, ADMIN_HEADERS, bearer
from tests.component.api_scenario import write_agreements
from tests.component.test_ingest_api import FakePublisher, created
from tests.integration.agreements_support import running_api
from tests.integration.outage import TcpProxy
from tests.integration.test_api_keys_db import cli

pytest_plugins = ["tests.integration.db_fixtures"]
DEADLINE_SECONDS = 30.0  # generous on a loaded machine; an answer takes well under it
IN_TERM = "2026-03-02T09:00:00Z"  # within the range of write_agreements' terms (2026-01-01)


@pytest.fixture
async def proxied(migrated_database: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """The test database behind a proxy of its own, and the URL through the proxy."""
    parts = urlsplit(migrated_database)
    assert parts.hostname is not None
    assert parts.port is not None
    proxy = TcpProxy(parts.hostname, parts.port)
    port = await proxy.start()
    netloc = parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{port}")
    try:
        yield proxy, parts._replace(netloc=netloc).geturl()
    finally:
        await proxy.cut()


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"not within {seconds} s"


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert response.headers["content-type"] == "application/problem+json"


async def test_api_reads_are_503_during_an_outage_and_recover(
    tmp_path: Path, proxied: tuple[TcpProxy, str], agreement_id: str, kafka_bootstrap: str
) -> None:
    proxy, url = proxied
    seed = write_agreements(tmp_path / "a.yaml", agreement_id, agreement_id + "-idle")
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    async with running_api(url, kafka, seed) as (_, client):
        kpis = f"/v1/agreements/{agreement_id}/kpis"
        history = f"/v1/agreements/{agreement_id}/kpis/history?kpi=frt_mean_seconds"
        assert (await client.get(kpis)).status_code == 200

        await proxy.cut()
        started = time.monotonic()
        for path in (kpis, f"{kpis}?period=2026-10", history):
            assert_unavailable(await client.get(path))
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] != "ok"
        assert time.monotonic() - started < DEADLINE_SECONDS

        await proxy.restore()

        async def recovered() -> bool:
            return (await client.get(kpis)).status_code == 200

        await eventually(recovered, DEADLINE_SECONDS)


async def test_ingest_is_unready_and_refuses_stored_keys_with_503_during_an_outage(
    tmp_path: Path,
    proxied: tuple[TcpProxy, str],
    migrated_database: str,
    db_engine: AsyncEngine,
    agreement_id: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proxy, url = proxied
    idle = agreement_id + "-idle"
    seed = write_agreements(tmp_path / "a.yaml", agreement_id, idle)
    await seed_missing(make_sessionmaker(db_engine), seed)
    _, token = await cli(
        migrated_database, "create", "--role", "admin", "--name", "outage", capsys=capsys
    )
    stored = bearer(token.strip())

    def event(n: int, agreement: str = agreement_id) -> dict[str, object]:
        return created(n, agreement_id=agreement, occurred_at=IN_TERM)

    publisher = FakePublisher()
    app = ingest_app(
        IngestSettings(agreements_cache_seconds=3600),  # remembered throughout the outage
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        publisher,
        database=DatabaseSettings(database_url=url),
        security=ADMIN,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            assert (await client.get("/readyz")).status_code == 200
            post = client.post("/v1/events", json=event(1), headers=stored)
            assert (await post).status_code == 202

            await proxy.cut()
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"] != "ok"
            assert ready.json()["checks"]["kafka"] == "ok"
            refused = await client.post("/v1/events", json=event(2), headers=stored)
            assert_unavailable(refused)
            # The bootstrap admin key needs no database, nor does an agreement ingest knows.
            bootstrap = await client.post("/v1/events", json=event(3), headers=ADMIN_HEADERS)
            assert bootstrap.status_code == 202
            # One it has not read yet cannot be checked: a retry, not a refusal.
            unchecked = await client.post("/v1/events", json=event(5, idle), headers=ADMIN_HEADERS)
            assert_unavailable(unchecked)
            assert unchecked.json()["type"] == "urn:slawatch:problem:agreements-unavailable"

            await proxy.restore()

            async def recovered() -> bool:
                if (await client.get("/readyz")).status_code != 200:
                    return False
                again = await client.post("/v1/events", json=event(4), headers=stored)
                return again.status_code == 202

            await eventually(recovered, DEADLINE_SECONDS)
    assert "e-2" not in publisher.published_ids
    assert "e-5" not in publisher.published_ids
