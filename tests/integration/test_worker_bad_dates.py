"""A real worker on one partition shared by every agreement: dates the contract accepts but
no real event has are dead-lettered as `out_of_range`, and an event of one agreement dated
ahead of every other leaves the other agreements' lateness alone, also after a restart
from the changelog (docs/kpis.md, "Late, duplicate, unknown and out-of-range events").
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core.contract.events import EventBase, event_to_json, parse_event
from services.core.contract.topics import deadletter_topic, event_key, family_of, topic_name
from services.core.kpi.params import load_measurement_params
from tests.histories import HistorySpec, generate
from tests.integration.db_fixtures import db_engine, migrated_database  # noqa: F401
from tests.integration.stack import create_topics, renamed
from tests.integration.test_worker_pipeline import stack, wait_for_oracle  # noqa: F401


async def produce_to_partition_0(bootstrap: str, prefix: str, events: Sequence[EventBase]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for e in events:
            topic = topic_name(prefix, family_of(e.type))
            await producer.send_and_wait(
                topic, key=event_key(e).encode(), value=event_to_json(e), partition=0
            )
    finally:
        await producer.stop()


async def deadletter_reasons(bootstrap: str, prefix: str, at_least: int) -> list[str]:
    consumer = AIOKafkaConsumer(
        deadletter_topic(prefix),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"{prefix}-dlq-reader",
    )
    await consumer.start()
    try:
        records: list[dict[str, str]] = []
        deadline = time.monotonic() + 30
        while len(records) < at_least and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            records += [json.loads(m.value) for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    return sorted(r["reason"] for r in records)


async def test_bad_dates_are_refused_and_do_not_poison_other_agreements(
    stack,  # noqa: F811
    topic_prefix: str,
    kafka_bootstrap: str,
    db_engine: AsyncEngine,  # noqa: F811
) -> None:
    await bad_dates_then_maybe_restart(stack, topic_prefix, kafka_bootstrap, db_engine, False)


# In about 2 of 5 whole-suite runs on a heavily loaded machine (never alone, also not with
# busy loops beside it), the event produced after the restart never reached the second
# worker's figures within 90 s, while its logs showed a normal start. Cause not found yet
# (docs/architecture.md, "Known gaps"); the per-agreement watermark across a restart from
# the changelog is also checked without a broker in test_engine_extreme_times.py
# (test_a_year_ahead_event_of_one_agreement_does_not_make_anothers_events_late).
@pytest.mark.quarantine
async def test_after_a_restart_lateness_is_still_per_agreement(
    stack,  # noqa: F811
    topic_prefix: str,
    kafka_bootstrap: str,
    db_engine: AsyncEngine,  # noqa: F811
) -> None:
    await bad_dates_then_maybe_restart(stack, topic_prefix, kafka_bootstrap, db_engine, True)


async def bad_dates_then_maybe_restart(
    workers: tuple[Any, Any, Any],
    topic_prefix: str,
    kafka_bootstrap: str,
    database: AsyncEngine,
    restart: bool,
) -> None:
    agreements, mapping, spawn = workers
    params = load_measurement_params(agreements)
    spec = HistorySpec(tickets=20, calls=20, span_hours=24, resent_days_rate=0.0)
    history = renamed(generate(5, spec), mapping)
    a, b = mapping["acme-helpdesk"], mapping["globex-hotline"]
    soon = datetime.fromtimestamp(time.time() + 1800, UTC).isoformat()  # months after history

    def created(agreement: str, ticket: str, at: str) -> EventBase:
        return parse_event(
            {
                "event_id": f"x-{ticket}",
                "type": "ticket.created",
                "occurred_at": at,
                "agreement_id": agreement,
                "ticket_id": ticket,
                "customer_id": "c",
                "channel": "email",
                "priority": "low",
            }
        )

    ahead = created(a, "ahead", soon)
    bad = [
        created(a, "y9999", "9999-12-31T23:59:59Z"),
        created(b, "y1", "0001-01-01T00:00:00Z"),
        created(b, "y3000", "3000-01-01T00:00:00Z"),
    ]
    await create_topics(kafka_bootstrap, topic_prefix, 4)
    # Agreement A's event from (nearly) now first: months after every other event.
    await produce_to_partition_0(kafka_bootstrap, topic_prefix, [ahead, *bad, *history])
    first = spawn("w1")
    # A's own ticket events are late behind A's event from now (a bad date hurts only its
    # own agreement); every other agreement's, and A's calls and surveys, count.
    a_tickets = [e for e in history if e.agreement_id == a and e.type.startswith("ticket.")]
    counted = [ahead, *(e for e in history if e not in a_tickets)]
    await wait_for_oracle(database, params, counted, [first])
    reasons = await deadletter_reasons(kafka_bootstrap, topic_prefix, 3 + len(a_tickets))
    assert reasons == ["late"] * len(a_tickets) + ["out_of_range"] * 3

    if not restart:
        return
    # A new worker restores the state from the changelog: B's lateness is still B's own.
    first.stop()
    last = max(e.occurred_at_epoch for e in history if e.agreement_id == b)
    more = created(b, "after-restart", datetime.fromtimestamp(last + 600, UTC).isoformat())
    await produce_to_partition_0(kafka_bootstrap, topic_prefix, [more])
    second = spawn("w2")
    await wait_for_oracle(database, params, [*counted, more], [second])
