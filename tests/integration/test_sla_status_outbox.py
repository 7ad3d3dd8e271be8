"""The status event outbox and its relay against the real PostgreSQL (and Kafka).

Issue 10: under load a publish inside the database transaction timed out, the change was
rolled back although the broker had the event, and it was published again (4 messages for
one change). Each test here makes the broker acknowledge late and expects one message per
event. The outbox gets a database of its own, so no other test's rows are relayed here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiokafka import errors
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.produce import ProduceRequest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.api.status_relay import StatusEventRelay
from services.core.contract.topics import sla_status_topic
from services.core.messaging.sla_status import EVENT_ID_HEADER, SlaStatusPublisher
from services.core.settings import KafkaSettings
from services.core.storage import outbox_repo
from services.core.storage.session import make_sessionmaker
from tests.integration.agreements_support import read_topic
from tests.integration.db_fixtures import fresh_database
from tests.slow_broker import SlowBroker

Sessions = async_sessionmaker[AsyncSession]
DEADLINE_SECONDS = 60.0


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    async with fresh_database(database_url) as url:
        engine = create_async_engine(url)
        yield make_sessionmaker(engine)
        await engine.dispose()


async def store_events(sessions: Sessions, count: int) -> list[str]:
    """`count` events in the outbox, two agreements' worth; their ids in stored order."""
    ids = [f"event-{i}" for i in range(count)]
    async with sessions() as session, session.begin():
        for i, event_id in enumerate(ids):
            payload = f'{{"event_id": "{event_id}"}}'
            await outbox_repo.add(session, event_id, f"agreement-{i % 2}", payload, time.time())
    return ids


async def relay_until_sent(sessions: Sessions, turn: Callable[[], Awaitable[Any]]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        await turn()
        async with sessions() as session:
            if await outbox_repo.count_pending(session) == 0:
                return
        assert time.monotonic() < deadline, "the outbox was never drained"


async def test_two_relays_over_a_slow_broker_publish_each_event_once(sessions: Sessions) -> None:
    broker = SlowBroker(ack_seconds=0.5)  # ten times the acknowledgement timeout
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1", topic_prefix="t")
    relays = [
        StatusEventRelay(sessions, SlaStatusPublisher(kafka, 0.05, producer=broker))
        for _ in range(2)
    ]
    ids = await store_events(sessions, 6)

    async def both() -> list[int | None]:
        return list(await asyncio.gather(*(r.relay_once() for r in relays)))

    await relay_until_sent(sessions, both)
    assert [h[EVENT_ID_HEADER].decode() for *_, h in broker.stored] == ids  # once, in order
    assert all(n in (0, None) for n in await both())  # nothing left to send


async def test_a_send_that_times_out_once_on_a_real_broker_yields_one_message(
    sessions: Sessions,
    kafka_bootstrap: str,
    topic_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The broker stores the batch, its acknowledgement reaches the producer too late (a
    request timeout), and the producer retries: the idempotent producer's retry is dropped
    by the broker. With `enable_idempotence=False` this same fault yields two messages."""
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    topic = sla_status_topic(topic_prefix)
    original = AIOKafkaClient.send
    late: list[str] = []

    def stored(response: Any) -> bool:
        """The broker appended the batch to our topic (error code 0 on every partition)."""
        return any(
            name == topic and all(p[1] == 0 for p in partitions)
            for name, partitions in response.topics
        )

    async def acknowledged_too_late(
        self: AIOKafkaClient, node_id: int, request: Any, **options: Any
    ) -> Any:
        response = await original(self, node_id, request, **options)
        if isinstance(request, ProduceRequest) and not late and stored(response):
            late.append(topic)
            await asyncio.sleep(0.5)  # the acknowledgement is slow ...
            raise errors.RequestTimedOutError()  # ... and the producer gave up waiting
        return response

    monkeypatch.setattr(AIOKafkaClient, "send", acknowledged_too_late)
    events = SlaStatusPublisher(kafka, ack_timeout_seconds=0.2)
    relays = [StatusEventRelay(sessions, events), StatusEventRelay(sessions, events)]
    ids = await store_events(sessions, 3)
    try:

        async def both() -> list[int | None]:
            return list(await asyncio.gather(*(r.relay_once() for r in relays)))

        await relay_until_sent(sessions, both)
    finally:
        await events.close()
    assert late == [topic]  # the fault did happen
    records = await read_topic(kafka_bootstrap, topic)
    assert sorted(headers[EVENT_ID_HEADER] for _, _, headers in records) == ids
    assert sorted(key for key, _, _ in records) == ["agreement-0", "agreement-0", "agreement-1"]
