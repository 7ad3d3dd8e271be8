"""Events of agreements the workers do not know yet: held, or dead-lettered and replayed,
and counted once either way (issue 9, items 4 and 5).

A real worker process over real Kafka and PostgreSQL. The agreements are stored in the
database (so ingest would accept their events and counts are kept) but reach the worker's
agreements topic only when the test publishes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import deadletter_topic
from services.core.messaging.agreement_topic import AgreementPublisher
from services.core.settings import KafkaSettings
from services.core.storage.agreements_repo import get_agreement
from services.core.storage.event_counts import read_counts
from services.core.storage.repository import stream_time
from services.core.storage.session import make_sessionmaker
from services.metrics.replay_dead_letters import Selection, replay
from tests.integration.agreements_support import demo_body, read_topic, running_api
from tests.integration.stack import WorkerProcess, create_topics, produce, worker_env

pytest_plugins = ["tests.integration.db_fixtures"]
DEADLINE_SECONDS = 60.0
DAY = (1_795_651_200.0, 1_795_737_600.0)  # 2026-11-26T00:00Z .. 2026-11-27T00:00Z
T = TypeVar("T")


def ticket(agreement_id: str, n: int) -> EventBase:
    return parse_event(
        {
            "event_id": f"held-{n}",
            "type": "ticket.created",
            "occurred_at": f"2026-11-26T09:{n:02d}:00Z",
            "agreement_id": agreement_id,
            "ticket_id": f"t{n}",
            "customer_id": "c1",
            "channel": "email",
            "priority": "high",
        }
    )


async def eventually(
    probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], worker: WorkerProcess
) -> T:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        value = await probe()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"last value {value!r}; worker log:\n{worker.log_tail(60)}")
        await asyncio.sleep(0.5)


async def store_unpublished(
    database: str, kafka: KafkaSettings, seed: Path, agreement: str
) -> None:
    """Store the agreement through the API, publishing it under another prefix."""
    elsewhere = kafka.model_copy(update={"topic_prefix": f"{kafka.topic_prefix}-elsewhere"})
    async with running_api(database, elsewhere, seed) as (_, api):
        assert (await api.put(f"/v1/agreements/{agreement}", json=demo_body(agreement))).is_success


async def publish(db_engine: AsyncEngine, kafka: KafkaSettings, agreement: str) -> None:
    async with make_sessionmaker(db_engine)() as session:
        stored = await get_agreement(session, agreement)
    assert stored is not None
    publisher = AgreementPublisher(kafka)
    try:
        await publisher.publish(agreement, stored.agreement, stored.version)
    finally:
        await publisher.close()


@pytest.fixture
def setup(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> tuple[Path, KafkaSettings, dict[str, str]]:
    empty = tmp_path / "agreements.yaml"
    empty.write_text("agreements: []\n")
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    env = worker_env(topic_prefix, empty, migrated_database, kafka_bootstrap, tmp_path)
    return empty, kafka, env


@contextlib.asynccontextmanager
async def stored_agreement_worker(
    setup: tuple[Path, KafkaSettings, dict[str, str]],
    wait_seconds: str,
    tmp_path: Path,
    migrated_database: str,
    db_engine: AsyncEngine,
    agreement_id: str,
) -> AsyncIterator[tuple[WorkerProcess, Callable[[], Awaitable[dict[str, int]]]]]:
    """A worker waiting `wait_seconds` for agreements, beside a stored agreement it has not
    heard of yet; with a reader of that agreement's counts. The worker stops afterwards."""
    empty, kafka, env = setup
    env["METRICS_AGREEMENT_WAIT_SECONDS"] = wait_seconds
    await store_unpublished(migrated_database, kafka, empty, agreement_id)
    await create_topics(kafka.bootstrap_servers, kafka.topic_prefix, 4)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.start()
    sessions = make_sessionmaker(db_engine)

    async def counts() -> dict[str, int]:
        async with sessions() as session:
            return await read_counts(session, agreement_id, *DAY)

    try:
        yield worker, counts
    finally:
        worker.stop()


async def test_events_of_an_agreement_not_known_yet_are_held_then_counted(
    setup: tuple[Path, KafkaSettings, dict[str, str]],
    tmp_path: Path,
    migrated_database: str,
    db_engine: AsyncEngine,
    agreement_id: str,
) -> None:
    _, kafka, _ = setup
    sessions = make_sessionmaker(db_engine)
    running = stored_agreement_worker(
        setup, "120", tmp_path, migrated_database, db_engine, agreement_id
    )
    async with running as (worker, counts):
        await produce(kafka.bootstrap_servers, kafka.topic_prefix, [ticket(agreement_id, 1)])
        holding = f"holding a batch for agreements not known yet: {agreement_id}"

        async def log() -> str:
            return worker.log_tail(400)

        await eventually(log, lambda text: holding in text, worker)
        await publish(db_engine, kafka, agreement_id)
        await produce(kafka.bootstrap_servers, kafka.topic_prefix, [ticket(agreement_id, 2)])

        async def counted() -> float | None:
            async with sessions() as session:
                return await stream_time(session, agreement_id)

        # Both events counted: the held one, then the one after it (stream time 09:02).
        await eventually(counted, lambda t: t == 1_795_683_720.0, worker)
        assert (await eventually(counts, lambda c: c["accepted"] == 2, worker))["unknown"] == 0
        dead = await read_topic(kafka.bootstrap_servers, deadletter_topic(kafka.topic_prefix))
        assert dead == []


async def test_dead_letters_are_replayed_and_every_outcome_counted_once(
    setup: tuple[Path, KafkaSettings, dict[str, str]],
    tmp_path: Path,
    migrated_database: str,
    db_engine: AsyncEngine,
    agreement_id: str,
) -> None:
    empty, kafka, _ = setup
    running = stored_agreement_worker(
        setup, "1", tmp_path, migrated_database, db_engine, agreement_id
    )
    async with running as (worker, counts):
        events = [ticket(agreement_id, n) for n in range(3)]
        await produce(kafka.bootstrap_servers, kafka.topic_prefix, events)
        await eventually(counts, lambda c: c["unknown"] == 3, worker)

        await publish(db_engine, kafka, agreement_id)
        applied = f"agreement {agreement_id} at version 1 applied"

        async def log() -> str:
            return worker.log_tail(400)

        await eventually(log, lambda text: applied in text, worker)
        other = Selection(reasons=frozenset({"late"}))
        assert (await replay(kafka, other))["matched"] == 0
        selection = Selection(frozenset({"unknown_agreement"}), frozenset({agreement_id}))
        assert (await replay(kafka, selection))["replayed"] == 3
        await eventually(counts, lambda c: c["accepted"] == 3, worker)

        # Replaying again sends the same events: the engine drops them by event_id.
        assert (await replay(kafka, selection))["replayed"] == 3
        final = await eventually(counts, lambda c: c["duplicate"] == 3, worker)
        assert final == {"accepted": 3, "duplicate": 3, "late": 0, "invalid": 0, "unknown": 3}

        async with running_api(migrated_database, kafka, empty) as (_, api):
            url = f"/v1/agreements/{agreement_id}/data-quality"
            window = {"from": "2026-11-26T00:00:00Z", "to": "2026-11-27T00:00:00Z"}
            body = (await api.get(url, params=window)).json()
            assert body["counts"] == final
            assert body["not_counted"] == 6
            month = (await api.get(url, params={"period": "2026-11"})).json()
            assert month["counts"] == final

            async def scraped() -> dict[str, float]:
                text = (await api.get("/metrics")).text
                return {
                    s.labels["outcome"]: s.value
                    for family in text_string_to_metric_families(text)
                    for s in family.samples
                    if s.name == "slawatch_agreement_events_total"
                    and s.labels.get("agreement") == agreement_id
                }

            metrics: Any = await eventually(scraped, lambda m: len(m) == 3, worker)
            assert metrics == {"accepted": 3.0, "duplicate": 3.0, "unknown": 3.0}
