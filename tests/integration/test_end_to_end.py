"""From `POST /v1/events` to a number: ingest -> Kafka -> worker -> PostgreSQL -> API.

A hand-computed set of events goes through the real ingest app (real producer), a real
worker process, and the real API; the first-response figures must be exactly the ones
worked out below, in the JSON API, in `/metrics`, and in a snapshot row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.main import create_app as create_api
from services.core.settings import ApiSettings, DatabaseSettings, IngestSettings, KafkaSettings
from services.ingest.app import create_app as create_ingest
from tests.auth import ADMIN, ADMIN_HEADERS
from tests.integration.stack import WorkerProcess, worker_env, write_agreements
from tests.polling import eventually


def ev(n: int, type_: str, at: str, agreement: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"e2e-{n}",
        "type": type_,
        "occurred_at": f"2026-10-14T{at}:00Z",
        "agreement_id": agreement,
        **fields,
    }


def scenario(agreement: str) -> list[dict[str, Any]]:
    """Three tickets of a 24/7 agreement (targets: high 1800 s, normal 3600 s, urgent 600 s).

    t1: created 10:00, agent reply 10:10 -> FRT 600 s, within target.
    t2: created 10:05, customer reply 10:06, pending 10:20-10:50, agent reply 11:05
        -> 60 min minus 30 min paused = 1800 s, within target.
    t3: created 10:30, agent reply 11:30 -> 3600 s, not within the 600 s urgent target.
    Stream time 11:30. 24 h window: n 3, mean 2000, p50 = p90 = 1800, attainment 2/3.
    1 h window [10:31, 11:31): the replies of t2 and t3: n 2, mean 2700.
    """
    a = agreement
    t = {"channel": "email", "customer_id": "c1"}
    return [
        ev(1, "ticket.created", "10:00", a, ticket_id="t1", priority="high", **t),
        ev(2, "ticket.created", "10:05", a, ticket_id="t2", priority="normal", **t),
        ev(3, "ticket.replied", "10:06", a, ticket_id="t2", author="customer"),
        ev(4, "ticket.replied", "10:10", a, ticket_id="t1", author="agent", agent_id="a1"),
        ev(5, "ticket.status_changed", "10:20", a, ticket_id="t2", status="pending"),
        ev(6, "ticket.created", "10:30", a, ticket_id="t3", priority="urgent", **t),
        ev(7, "ticket.status_changed", "10:50", a, ticket_id="t2", status="open"),
        ev(8, "ticket.replied", "11:05", a, ticket_id="t2", author="agent", agent_id="a2"),
        ev(9, "ticket.replied", "11:30", a, ticket_id="t3", author="agent", agent_id="a1"),
    ]


@pytest.fixture
async def clients(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, WorkerProcess, str]]:
    agreements, mapping = write_agreements(tmp_path, topic_prefix)
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix, partitions=4
    )
    database = DatabaseSettings(database_url=migrated_database)
    ingest = create_ingest(IngestSettings(), kafka, security=ADMIN, database=database)
    api = create_api(
        ApiSettings(agreements_file=agreements),
        database,
        kafka,
        refresh_interval_seconds=0.5,
        security=ADMIN,
    )
    env = worker_env(topic_prefix, agreements, migrated_database, kafka_bootstrap, tmp_path)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    async with ingest.router.lifespan_context(ingest), api.router.lifespan_context(api):
        worker.start()  # after ingest created the topics with their partition count
        try:
            async with (
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=ingest),
                    base_url="http://i",
                    headers=ADMIN_HEADERS,
                ) as i,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=api),
                    base_url="http://a",
                    headers=ADMIN_HEADERS,
                ) as a,
            ):
                yield i, a, worker, mapping["globex-hotline"]
        finally:
            worker.stop()


async def wait_for(predicate: Any, worker: WorkerProcess, seconds: float = 60) -> Any:
    return await eventually(
        predicate, timeout=seconds, message=lambda: f"worker log:\n{worker.log_tail()}"
    )


async def test_posted_events_become_exact_figures_in_api_metrics_and_database(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, WorkerProcess, str],
    db_engine: AsyncEngine,
) -> None:
    ingest, api, worker, agreement = clients
    events = scenario(agreement)
    invalid = {**events[0], "event_id": "e2e-bad", "priority": "whenever"}
    duplicate = events[3]  # the same event again: must not count twice
    response = await ingest.post("/v1/events", json=[*events, invalid, duplicate])
    assert response.status_code == 422
    body = response.json()
    assert [r["event_id"] for r in body["rejected"]] == ["e2e-bad", "e2e-4"]
    assert body["accepted"] == [e["event_id"] for e in events]
    assert (await ingest.post("/v1/events", json=duplicate)).status_code == 202

    async def figures() -> dict[str, Any] | None:
        got = (await api.get(f"/v1/agreements/{agreement}/kpis")).json()
        if got.get("stream_time") != "2026-10-14T11:30:00Z":
            return None
        frt = got["windows"]["24h"]["figures"]["frt_mean_seconds"]
        return got if frt["n"] == 3 else None

    body = await wait_for(figures, worker)
    day = body["windows"]["24h"]["figures"]
    assert day["frt_mean_seconds"] == {"value": pytest.approx(2000.0), "n": 3}
    assert day["frt_attainment"] == {"value": pytest.approx(2 / 3), "n": 3}
    assert day["frt_p50_seconds"]["value"] == pytest.approx(1800.0, rel=0.01)
    assert day["frt_p90_seconds"]["value"] == pytest.approx(1800.0, rel=0.01)
    assert day["tickets_created"] == {"value": 3.0, "n": 3}
    hour = body["windows"]["1h"]
    assert (hour["start"], hour["end"]) == ("2026-10-14T10:31:00Z", "2026-10-14T11:31:00Z")
    assert hour["figures"]["frt_mean_seconds"] == {"value": pytest.approx(2700.0), "n": 2}

    async def scraped() -> dict[tuple[str, str], float] | None:
        text_ = (await api.get("/metrics")).text
        found = {
            (s.name, s.labels.get("window", "")): s.value
            for family in text_string_to_metric_families(text_)
            for s in family.samples
            if s.labels.get("agreement") == agreement
        }
        return found if found.get(("slawatch_frt_mean_seconds", "24h")) == 2000.0 else None

    metrics = await wait_for(scraped, worker)
    assert metrics[("slawatch_frt_attainment_ratio", "24h")] == pytest.approx(2 / 3)
    assert metrics[("slawatch_frt_mean_seconds", "1h")] == pytest.approx(2700.0)

    async def snapshot() -> Any:
        async with db_engine.connect() as conn:
            row = await conn.execute(
                text(
                    "SELECT value, n FROM kpi_snapshots WHERE agreement_id = :a"
                    " AND \"window\" = '24h' AND kpi = 'frt_mean_seconds'"
                    " ORDER BY taken_at DESC LIMIT 1"
                ),
                {"a": agreement},
            )
            found = row.first()
            return found if found is not None and found.n == 3 else None

    stored = await wait_for(snapshot, worker)
    assert stored.value == pytest.approx(2000.0)
