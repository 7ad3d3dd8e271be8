"""Amazon Connect contact records over HTTP: the connector's webhook on real Kafka and
PostgreSQL, a real worker, and the KPI API's figures against connect_scenario.py's hand
computation, with records posted one by one and in batches, twice, out of order and changed;
a wrong token publishes nothing, an unmappable record is a dead letter answered 202."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.core.contract.topics import Family, topic_name
from tests.integration.connect_scenario import records
from tests.integration.connect_support import (
    SECRET,
    ConnectStack,
    assert_hand_computed,
    connect_stack,
    counted,
    dead_letters,
    eventually,
    kpis_match,
)
from tests.integration.connector_support import topic_values


@pytest.fixture
async def connect(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[ConnectStack]:
    async with connect_stack(tmp_path, topic_prefix, kafka_bootstrap, migrated_database) as c:
        yield c


async def post(connect: ConnectStack, payload: Any, token: str = SECRET) -> httpx.Response:
    return await connect.stack.ingest.post(
        f"/v1/connectors/{connect.connector}/events",
        content=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


async def test_records_posted_over_http_give_the_hand_computed_figures(
    connect: ConnectStack,
) -> None:
    stack, worker, r = connect.stack, connect.worker, records()
    calls = topic_name(stack.kafka.topic_prefix, Family.CALLS)

    refused = await post(connect, r["c-1"], token="not-the-token")
    assert refused.status_code == 401
    assert await topic_values(stack.kafka.bootstrap_servers, calls) == []

    first = await post(connect, r["c-2"])
    assert first.status_code == 202, first.text
    assert first.json()["accepted"] == [
        "globex-connect:contact:c-2:offered",
        "globex-connect:contact:c-2:answered",
        "globex-connect:contact:c-2:completed",
    ]
    # Out of order (c-4 before c-1) in one batch, then copies, then the changed record.
    for payload in ([r["c-4"], r["c-1"]], r["c-2"], r["c-3"], r["c-2-changed"], [r["c-5"]]):
        response = await post(connect, payload)
        assert response.status_code == 202, response.text
        assert response.json()["dead_letter"] is None

    junk = await post(connect, {"Channel": "VOICE", "Agent": None})
    assert junk.status_code == 202
    assert "ContactId" in junk.json()["dead_letter"]
    letters = await dead_letters(stack, connect.connector)
    assert letters["count"] == 1
    assert json.loads(letters["dead_letters"][0]["payload"]) == {"Channel": "VOICE", "Agent": None}

    assert_hand_computed(await eventually(lambda: kpis_match(stack.api, stack.agreement), worker))
    # 13 distinct events; c-2's second copy and its changed copy are duplicates (3 + 3).
    await eventually(lambda: counted(stack.api, stack.agreement, accepted=13, duplicate=6), worker)


async def test_the_configuration_api_checks_connect_options_and_shows_its_defaults(
    connect: ConnectStack,
) -> None:
    stack = connect.stack
    path = f"/v1/agreements/{stack.agreement}/connectors/{connect.connector}"
    shown = (await stack.api.get(path)).json()
    assert shown["options"]["resolved_attribute"] == "resolved"
    assert shown["options"]["queue_id"] == "name"
    bad = await stack.api.put(path, json={"tool": "connect", "options": {"queue_id": "id"}})
    assert bad.status_code == 422
    assert "queue_id" in bad.text
