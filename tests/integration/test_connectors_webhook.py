"""The connector webhook on real Kafka and PostgreSQL: configured through the API, verified,
kept raw, mapped and published; refused, dead-lettered and reconfigured without a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.core.contract.topics import Family, topic_name
from services.ingest.connectors.raw import raw_topic
from tests.integration.connector_support import (
    ConnectorStack,
    connector_stack,
    event_ids_on,
    eventually,
    post_payload,
    put_zammad,
    topic_values,
)
from tests.zammad_payloads import zammad_payload

pytest_plugins = ["tests.integration.db_fixtures"]


@pytest.fixture
async def stack(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[ConnectorStack]:
    async with connector_stack(tmp_path, topic_prefix, kafka_bootstrap, migrated_database) as s:
        yield s


def created(ticket: int, at: str = "2026-10-14T10:00:00Z") -> dict[str, object]:
    return zammad_payload(
        ticket=ticket,
        article=ticket * 10,
        article_ids=[ticket * 10],
        sender="Customer",
        at=at,
        created_at=at,
        state="new",
    )


def payload_counts(text: str) -> dict[tuple[str, str], float]:
    return {
        (s.labels["connector_tool"], s.labels["outcome"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "slawatch_connector_payloads_total"
    }


async def test_configured_connector_publishes_and_never_returns_its_secret(
    stack: ConnectorStack,
) -> None:
    put = await put_zammad(stack, stack.connector)
    assert put.status_code == 201, put.text
    shown = put.json()
    assert "secret" not in shown
    assert "zammad-webhook-secret" not in put.text
    assert shown["webhook_path"] == f"/v1/connectors/{stack.connector}/events"
    assert shown["priority_map"]["3 high"] == "high"
    got = await stack.api.get(f"/v1/agreements/{stack.agreement}/connectors/{stack.connector}")
    assert got.json() == shown

    response = await post_payload(stack, stack.connector, created(81))
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": ["zammad:ticket-81-created"], "dead_letter": None}
    tickets = topic_name(stack.kafka.topic_prefix, Family.TICKETS)
    assert await event_ids_on(stack.kafka.bootstrap_servers, tickets) == [
        "zammad:ticket-81-created"
    ]
    raw = await topic_values(stack.kafka.bootstrap_servers, raw_topic(stack.kafka.topic_prefix))
    assert len(raw) == 1
    assert b'"ticket"' in raw[0]


async def test_bad_signature_is_401_and_nothing_is_kept_or_published(
    stack: ConnectorStack,
) -> None:
    assert (await put_zammad(stack, stack.connector)).status_code == 201
    response = await post_payload(stack, stack.connector, created(82), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["type"] == "urn:slawatch:problem:bad-signature"
    unsigned = await stack.ingest.post(f"/v1/connectors/{stack.connector}/events", content=b"{}")
    assert unsigned.status_code == 401
    prefix, bootstrap = stack.kafka.topic_prefix, stack.kafka.bootstrap_servers
    assert await topic_values(bootstrap, topic_name(prefix, Family.TICKETS)) == []
    assert await topic_values(bootstrap, raw_topic(prefix)) == []
    counts = payload_counts((await stack.ingest.get("/metrics")).text)
    assert counts[("generic", "refused_signature")] == 2
    unknown = await post_payload(stack, "no-such-connector", created(82))
    assert unknown.status_code == 404


async def test_unmappable_payload_is_202_and_a_dead_letter_visible_in_api_and_metrics(
    stack: ConnectorStack,
) -> None:
    assert (await put_zammad(stack, stack.connector)).status_code == 201
    bad_priority = created(83)
    bad_priority["ticket"]["priority"]["name"] = "9 apocalyptic"  # type: ignore[index]
    response = await post_payload(stack, stack.connector, bad_priority)
    assert response.status_code == 202
    assert response.json()["accepted"] == []
    assert "priority" in response.json()["dead_letter"]
    not_json = await stack.ingest.post(
        f"/v1/connectors/{stack.connector}/events",
        content=b"<xml/>",
        headers=_signed(b"<xml/>"),
    )
    assert not_json.status_code == 202
    assert "not JSON" in not_json.json()["dead_letter"]

    path = f"/v1/agreements/{stack.agreement}/connectors/{stack.connector}/dead-letters"
    letters = (await stack.api.get(path)).json()
    assert letters["count"] == 2
    newest, oldest = letters["dead_letters"]
    assert newest["payload"] == "<xml/>"
    assert "9 apocalyptic" in oldest["payload"]
    assert "priority" in oldest["reason"]
    counts = payload_counts((await stack.ingest.get("/metrics")).text)
    assert counts[("generic", "dead_letter")] == 2
    viewer = await stack.api.get(path, headers={"Authorization": "Bearer nope"})
    assert viewer.status_code == 401
    tickets = topic_name(stack.kafka.topic_prefix, Family.TICKETS)
    assert await topic_values(stack.kafka.bootstrap_servers, tickets) == []


def _signed(body: bytes) -> dict[str, str]:
    from tests.integration.connector_support import SECRET
    from tests.zammad_payloads import zammad_signature

    return zammad_signature(body, SECRET.encode())


async def test_a_config_change_applies_without_a_restart(stack: ConnectorStack) -> None:
    assert (await put_zammad(stack, stack.connector)).status_code == 201
    first = await post_payload(stack, stack.connector, created(84))
    assert first.json()["accepted"] == ["zammad:ticket-84-created"]

    changed = await put_zammad(
        stack, stack.connector, secret="a-brand-new-secret", namespace="zammad-eu"
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2

    async def accepted_with_new_config() -> list[str] | None:
        response = await post_payload(
            stack, stack.connector, created(85), secret="a-brand-new-secret"
        )
        return response.json()["accepted"] if response.status_code == 202 else None

    assert await eventually(accepted_with_new_config, what="new config") == [
        "zammad-eu:ticket-85-created"
    ]
    old_secret = await post_payload(stack, stack.connector, created(86))
    assert old_secret.status_code == 401
