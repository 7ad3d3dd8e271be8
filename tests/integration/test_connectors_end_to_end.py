"""Zammad-style webhooks -> generic connector -> Kafka -> worker -> KPI API, figures computed
by hand; with a duplicate delivery, deliveries out of order, an internal note that must not
count as a reply and a forged request that must not count at all."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.auth import ADMIN_HEADERS
from tests.integration.connector_support import (
    ConnectorStack,
    connector_stack,
    eventually,
    post_payload,
    put_zammad,
)
from tests.integration.stack import WorkerProcess, worker_env
from tests.zammad_payloads import zammad_payload

pytest_plugins = ["tests.integration.db_fixtures"]


@pytest.fixture
async def running(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[tuple[ConnectorStack, WorkerProcess]]:
    async with connector_stack(
        tmp_path, topic_prefix, kafka_bootstrap, migrated_database, partitions=4
    ) as stack:
        env = worker_env(
            topic_prefix, stack.agreements_file, migrated_database, kafka_bootstrap, tmp_path
        )
        worker = WorkerProcess(env, tmp_path / "worker.log")
        worker.start()  # after ingest created the topics with their partition count
        try:
            yield stack, worker
        finally:
            worker.stop()


def payloads() -> list[dict[str, Any]]:
    """Globex hotline (24/7; FRT targets high 1800 s, normal 3600 s).

    Ticket 81 (high): created 10:00, agent reply 10:10 -> FRT 600 s, within target.
    Ticket 82 (normal): created 10:05, internal agent note 10:07 (not a reply), customer
    reply 10:08, agent reply 10:35 -> FRT 1800 s, within target.
    Stream time 10:35; 24 h window: n 2, mean 1200 s, attainment 2/2, 2 tickets created.
    """
    t81 = {"ticket": 81, "created_at": "2026-10-14T10:00:00Z", "priority": "high"}
    t82 = {"ticket": 82, "created_at": "2026-10-14T10:05:00Z", "priority": "normal"}
    return [
        zammad_payload(
            **t81,
            article=810,
            article_ids=[810],
            sender="Customer",
            at="2026-10-14T10:00:00Z",
            state="new",
            channel="phone",
        ),
        zammad_payload(
            **t81,
            article=811,
            article_ids=[810, 811],
            sender="Agent",
            at="2026-10-14T10:10:00Z",
            author_id=3,
        ),
        zammad_payload(
            **t82,
            article=820,
            article_ids=[820],
            sender="Customer",
            at="2026-10-14T10:05:00Z",
            state="new",
        ),
        zammad_payload(
            **t82,
            article=821,
            article_ids=[820, 821],
            sender="Agent",
            internal=True,
            at="2026-10-14T10:07:00Z",
            author_id=4,
        ),
        zammad_payload(
            **t82,
            article=822,
            article_ids=[820, 821, 822],
            sender="Customer",
            at="2026-10-14T10:08:00Z",
        ),
        zammad_payload(
            **t82,
            article=823,
            article_ids=[820, 821, 822, 823],
            sender="Agent",
            at="2026-10-14T10:35:00Z",
            author_id=4,
        ),
    ]


async def test_zammad_webhooks_become_exact_figures(
    running: tuple[ConnectorStack, WorkerProcess],
) -> None:
    stack, worker = running
    assert (await put_zammad(stack, stack.connector)).status_code == 201
    deliveries = payloads()
    deliveries.append(deliveries[1])  # Zammad retried a delivery
    # Creations first (a reply before its ticket is held, not lost, but keep the test exact),
    # then every later payload in shuffled order.
    later = deliveries[1:2] + deliveries[3:]
    random.Random(15).shuffle(later)
    for payload in [deliveries[0], deliveries[2], *later]:
        response = await post_payload(stack, stack.connector, payload)
        assert response.status_code == 202, response.text
        assert response.json()["dead_letter"] is None
    forged = zammad_payload(
        ticket=83,
        article=830,
        article_ids=[830],
        sender="Customer",
        at="2026-10-14T10:20:00Z",
        created_at="2026-10-14T10:20:00Z",
        state="new",
    )
    assert (await post_payload(stack, stack.connector, forged, secret="guess")).status_code == 401

    async def figures() -> dict[str, Any] | None:
        got = (await stack.api.get(f"/v1/agreements/{stack.agreement}/kpis")).json()
        if got.get("stream_time") != "2026-10-14T10:35:00Z":
            return None
        day = got["windows"]["24h"]["figures"]
        return day if day["frt_mean_seconds"]["n"] == 2 else None

    try:
        day = await eventually(figures, seconds=90, what="the connector's figures")
    except AssertionError:
        pytest.fail(f"figures not reached; worker log:\n{worker.log_tail()}")
    assert day["frt_mean_seconds"] == {"value": pytest.approx(1200.0), "n": 2}
    assert day["frt_attainment"] == {"value": pytest.approx(1.0), "n": 2}
    assert day["tickets_created"] == {"value": 2.0, "n": 2}


async def test_tool_identifiers_pass_kafka_postgresql_and_the_api(
    running: tuple[ConnectorStack, WorkerProcess],
) -> None:
    """Ids the old contract refused (a long ARN, spaces, CJK, `+`, a pseudonym) are keys on
    Kafka, slice values in PostgreSQL and slices in the KPI API."""
    stack, worker = running
    arn = "arn:aws:connect:eu-west-1:123456789012:instance/" + "0f1e2d3c-" * 20 + "contact/42"
    queue, agent = "售后 热线 / After-sales", "张伟 (Zhang Wei)+night@example"
    common = {"agreement_id": stack.agreement, "call_id": arn, "customer_id": "pii:phone:3f2a"}
    events = [
        {
            "event_id": f"{arn}:offered",
            "type": "call.offered",
            "queue": queue,
            "occurred_at": "2026-10-14T11:00:00Z",
            **common,
        },
        {
            "event_id": f"{arn}:answered",
            "type": "call.answered",
            "agent_id": agent,
            "occurred_at": "2026-10-14T11:00:05Z",
            **common,
        },
    ]
    assert len(arn) > 128
    posted = await stack.ingest.post("/v1/events", json=events, headers=ADMIN_HEADERS)
    assert posted.status_code == 202, posted.text

    async def queue_slice() -> dict[str, Any] | None:
        got = await stack.api.get(
            f"/v1/agreements/{stack.agreement}/kpis", params={"window": "24h", "by": "queue"}
        )
        window = got.json().get("windows", {}).get("24h", {})
        slices = {s["slice"]: s["figures"] for s in window.get("slices", [])}
        return slices.get(queue)

    try:
        figures = await eventually(queue_slice, seconds=90, what="the queue's slice")
    except AssertionError:
        pytest.fail(f"slice not reached; worker log:\n{worker.log_tail()}")
    assert figures["asa_seconds"] == {"value": pytest.approx(5.0), "n": 1}
    by_agent = await stack.api.get(
        f"/v1/agreements/{stack.agreement}/kpis", params={"window": "24h", "by": "agent"}
    )
    assert agent in {s["slice"] for s in by_agent.json()["windows"]["24h"]["slices"]}
