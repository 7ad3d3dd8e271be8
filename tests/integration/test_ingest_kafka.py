"""The ingest app against the real broker: what a 202 promises is really on the topics."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.core.contract.events import EventBase, event_to_json, parse_event
from services.core.contract.topics import Family, event_key, family_of, topic_name
from services.core.messaging.admin import ensure_topics, event_topics
from services.core.settings import IngestSettings, KafkaSettings
from services.ingest.app import create_app
from tests.auth import ADMIN, ADMIN_HEADERS
from tests.component.test_ingest_api import FakeAgreements

DEADLINE_SECONDS = 10.0


def _batch() -> list[dict[str, Any]]:
    base = {"occurred_at": "2024-05-06T09:15:00Z", "agreement_id": "acme"}
    events: list[dict[str, Any]] = []
    for t in range(6):
        ticket = {**base, "ticket_id": f"T-{t}"}
        events += [
            {
                **ticket,
                "type": "ticket.created",
                "customer_id": f"c-{t % 2}",
                "channel": "chat",
                "priority": "low",
            },
            {**ticket, "type": "ticket.replied", "author": "agent", "agent_id": "a-1"},
            {**ticket, "type": "ticket.resolved", "agent_id": "a-1"},
        ]
    for c in range(4):
        call = {**base, "call_id": f"C-{c}", "customer_id": f"c-{c % 2}"}
        events += [
            {**call, "type": "call.offered", "queue": "q1"},
            {**call, "type": "call.abandoned"},
        ]
    events.append(
        {**base, "type": "survey.submitted", "survey_id": "S-1", "ticket_id": "T-1", "score": 5}
    )
    return [{**e, "event_id": f"e-{i}"} for i, e in enumerate(events)]


async def _consume(bootstrap: str, prefix: str, expected: int) -> list[Any]:
    topics = [topic_name(prefix, family) for family in Family]
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while len(records) < expected and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += batch
        # A short extra poll: anything beyond `expected` would be a duplicate.
        for batch in (await consumer.getmany(timeout_ms=300)).values():
            records += batch
    finally:
        await consumer.stop()
    return records


async def test_accepted_batch_lands_once_on_the_right_topics_and_partitions(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix, partitions=3
    )
    agreements = FakeAgreements()  # no database here: "acme" exists
    app = create_app(
        IngestSettings(),
        kafka,
        security=ADMIN,
        lookup_agreements=agreements.lookup,
        record_counts=agreements.record,
    )
    batch = _batch()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", headers=ADMIN_HEADERS
        ) as client:
            assert (await client.get("/readyz")).status_code == 200
            response = await asyncio.wait_for(client.post("/v1/events", json=batch), 10)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == [e["event_id"] for e in batch]

    records = await _consume(kafka_bootstrap, topic_prefix, len(batch))
    sent: dict[str, EventBase] = {e["event_id"]: parse_event(e) for e in batch}
    seen = [parse_event_from(r.value) for r in records]
    assert sorted(e.event_id for e in seen) == sorted(sent)  # every event exactly once

    partitions_by_key: dict[bytes, set[int]] = defaultdict(set)
    for record in records:
        event = sent[parse_event_from(record.value).event_id]
        assert record.topic == topic_name(topic_prefix, family_of(event.type))
        assert record.key == event_key(event).encode()
        assert record.value == event_to_json(event)
        assert dict(record.headers) == {
            "schema_version": b"1",
            "event_type": event.type.encode(),
        }
        partitions_by_key[record.key].add(record.partition)
    assert b"acme/T-0" in partitions_by_key
    assert b"acme/c-1" in partitions_by_key  # calls are keyed by customer
    assert b"acme/S-1" in partitions_by_key
    assert all(len(parts) == 1 for parts in partitions_by_key.values())
    # The lifespan created every pipeline topic, dead-letter included, with our partitions.
    assert await _partition_counts(kafka_bootstrap, event_topics(topic_prefix)) == [3] * 4


def parse_event_from(value: bytes) -> EventBase:
    return parse_event(json.loads(value))


async def _partition_counts(bootstrap: str, topics: list[str]) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics(topics)}
    finally:
        await admin.close()
    return [len(described[t]["partitions"]) for t in topics]


async def test_ensure_topics_is_idempotent_and_compacts_on_request(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    plain, compacted = f"{topic_prefix}.plain", f"{topic_prefix}.state"
    for _ in range(2):  # the second call finds both and changes nothing
        await ensure_topics(kafka_bootstrap, [plain, compacted], 2, 1, compacted=[compacted])
    assert await _partition_counts(kafka_bootstrap, [plain, compacted]) == [2, 2]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        resources = [ConfigResource(ConfigResourceType.TOPIC, t) for t in (plain, compacted)]
        responses = await admin.describe_configs(resources)
    finally:
        await admin.close()
    policies = {
        topic: value
        for response in responses
        for _, _, _, topic, entries in response.resources
        for name, value, *_ in entries
        if name == "cleanup.policy"
    }
    assert policies == {plain: "delete", compacted: "compact"}
