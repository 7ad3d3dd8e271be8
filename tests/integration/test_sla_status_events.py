"""Two API replicas, one database, one broker: a status change is published exactly once.

Both apps run in this process against the real PostgreSQL and Kafka. A target is met on the
first buckets; after more buckets it is breached; both replicas then evaluate at the same
time, more than once, and exactly one `sla.status_changed` event must reach the topic
(stored in the outbox with the change, published by the replicas' relays).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import Runtime
from services.core.contract.topics import sla_status_topic
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.windows import buckets_for
from services.core.messaging.sla_status import ensure_sla_status_topic
from services.core.settings import KafkaSettings
from services.core.storage import repository as repo
from services.core.storage.models import SlaStatusOutbox
from tests.integration.agreements_support import running_api

pytest_plugins = ["tests.integration.db_fixtures"]
T = datetime(2026, 10, 14, 9, 30, tzinfo=UTC).timestamp()


def write_agreement(path: Path, agreement_id: str) -> Path:
    """One 24/7 agreement: FRT attainment over 24 h at least 0.8 (at risk below 0.85)."""
    clock = "{low: 3600, normal: 3600, high: 3600, urgent: 3600}"
    path.write_text(
        f"agreements:\n  - agreement_id: {agreement_id}\n    name: Status test\n"
        "    client: acme\n    provider: supportco\n"
        "    parties: {client: {name: Client}, provider: {name: Provider}}\n"
        "    term: {effective_from: 2026-01-01}\n    timezone: UTC\n"
        f"    frt_target_seconds: {clock}\n    resolution_target_seconds: {clock}\n"
        "    targets:\n      - {target_id: frt, kpi: frt_attainment, target: 0.8,\n"
        "         direction: at_least, window: 24h, at_risk_band: 0.05,\n"
        "         effective_from: '2026-01-01T00:00:00Z'}\n"
    )
    return path


async def add_replies(
    session: AsyncSession, agreement_id: str, partition: int, ok: list[bool], at: float
) -> None:
    """First replies (in time or late) on one partition, and its stream position `at`."""
    aggregates: dict[tuple[str, float], Aggregate] = {}
    for i, good in enumerate(ok):
        fact = Fact(FactKind.FIRST_RESPONSE, at - 600 - i, 300.0, ok=good)
        for granularity, start in buckets_for(fact.at, ZoneInfo("UTC")):
            aggregates.setdefault((granularity, start), Aggregate()).apply(fact)
    rows = [
        repo.BucketRow(agreement_id, "tickets", partition, g, start, agg.to_dict())
        for (g, start), agg in aggregates.items()
    ]
    await repo.upsert_buckets(session, rows)
    await repo.upsert_stream_positions(session, [(agreement_id, "tickets", partition, at)])
    await session.commit()


def replica(
    agreements: Path, database_url: str, kafka: KafkaSettings
) -> contextlib.AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]:
    # The test triggers every refresh itself.
    return running_api(database_url, kafka, agreements, agreements_refresh_seconds=3600)


async def consume_all(kafka: KafkaSettings, quiet_seconds: float = 3.0) -> list[Any]:
    """Every message of the status topic, read until none arrives for `quiet_seconds`."""
    topic = sla_status_topic(kafka.topic_prefix)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(kafka.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found = []
        while batch := await consumer.getmany(timeout_ms=int(quiet_seconds * 1000)):
            found += [m for messages in batch.values() for m in messages]
        return found
    finally:
        await consumer.stop()


async def relayed(session: AsyncSession, agreement_id: str, timeout_seconds: float = 60) -> None:
    """Wait until the agreement's events in the outbox are all marked sent."""
    o = SlaStatusOutbox
    pending = select(func.count()).where(o.message_key == agreement_id, o.sent_at.is_(None))
    deadline = time.monotonic() + timeout_seconds
    while (await session.execute(pending)).scalar_one() > 0:
        assert time.monotonic() < deadline, "the relays never published the change"
        await session.rollback()  # a fresh snapshot for the next look
        await asyncio.sleep(0.2)


async def test_two_replicas_publish_one_event_and_record_the_change(
    tmp_path: Path,
    migrated_database: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    agreement_id: str,
    db_session: AsyncSession,
) -> None:
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix, partitions=2
    )
    await ensure_sla_status_topic(kafka)
    agreements = write_agreement(tmp_path / "a.yaml", agreement_id)
    status_url = f"/v1/agreements/{agreement_id}/status"
    # Before the replicas start: their first refresh already sees the target met.
    await add_replies(db_session, agreement_id, 0, [True] * 4, T)  # 4 / 4 in time
    async with (
        replica(agreements, migrated_database, kafka) as (app_1, http_1),
        replica(agreements, migrated_database, kafka) as (app_2, http_2),
    ):
        caches = [r.cache for r in (app_1.state.runtime, app_2.state.runtime)]
        assert isinstance(app_1.state.runtime, Runtime)

        async def evaluate_both() -> list[str]:
            await asyncio.gather(*(c.refresh() for c in caches))
            bodies = [(await h.get(status_url)).json() for h in (http_1, http_2)]
            return [b["targets"][0]["status"] for b in bodies]

        assert await evaluate_both() == ["met", "met"]  # first sight: stored, not an event

        await add_replies(db_session, agreement_id, 1, [False] * 4, T + 60)  # now 4 / 8
        for _ in range(3):
            assert await evaluate_both() == ["breached", "breached"]

        await relayed(db_session, agreement_id)
        messages = [m for m in await consume_all(kafka) if m.key == agreement_id.encode()]
        assert len(messages) == 1, [m.value for m in messages]
        event_id = dict(messages[0].headers)["event_id"].decode()
        assert event_id == json.loads(messages[0].value)["event_id"]
        assert messages[0].key == agreement_id.encode()
        event = json.loads(messages[0].value)
        assert {k: v for k, v in event.items() if k not in ("event_id", "occurred_at")} == {
            "type": "sla.status_changed",
            "agreement_id": agreement_id,
            "client": "acme",
            "target_id": "frt",
            "kpi": "frt_attainment",
            "window": "24h",
            "previous_status": "met",
            "status": "breached",
            "value": 0.5,
            "target": 0.8,
        }

        for http in (http_1, http_2):
            response = await http.get(
                f"{status_url}/history", params={"from": "2026-01-01T00:00:00Z"}
            )
            assert response.status_code == 200, response.text
            changes = response.json()["changes"]
            assert [
                (c["event_id"], c["previous_status"], c["status"], c["stream_time"])
                for c in changes
            ] == [(event["event_id"], "met", "breached", "2026-10-14T09:31:00Z")]
        bad = await http_1.get(
            f"{status_url}/history",
            params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        )
        assert bad.status_code == 422
        assert (await http_1.get("/v1/agreements/nobody/status/history")).status_code == 404
