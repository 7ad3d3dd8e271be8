"""`slawatch-connector-replay`: a corrected mapping re-derives events from the raw topic,
and replaying twice publishes nothing new (event ids come from the facts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.core.contract.topics import Family, topic_name
from services.ingest.connectors.replay import replay
from tests.integration.connector_support import (
    CONNECTORS,
    ConnectorStack,
    connector_stack,
    event_ids_on,
    post_payload,
    put_zammad,
)
from tests.zammad_payloads import zammad_config, zammad_payload

pytest_plugins = ["tests.integration.db_fixtures"]


@pytest.fixture
async def stack(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[ConnectorStack]:
    async with connector_stack(tmp_path, topic_prefix, kafka_bootstrap, migrated_database) as s:
        yield s


async def test_replay_applies_the_corrected_mapping_and_is_idempotent(
    stack: ConnectorStack,
) -> None:
    options = zammad_config()["options"]
    without_replies = {
        **options,
        "rules": [r for r in options["rules"] if r["type"] != "ticket.replied"],
    }
    assert (await put_zammad(stack, stack.connector, options=without_replies)).status_code == 201
    common = {"ticket": 90, "created_at": "2026-10-14T10:00:00Z"}
    first = zammad_payload(
        **common,
        article=900,
        article_ids=[900],
        sender="Customer",
        at="2026-10-14T10:00:00Z",
        state="new",
    )
    reply = zammad_payload(
        **common,
        article=901,
        article_ids=[900, 901],
        sender="Agent",
        at="2026-10-14T10:20:00Z",
        author_id=3,
    )
    for payload in (first, reply):
        assert (await post_payload(stack, stack.connector, payload)).status_code == 202
    tickets = topic_name(stack.kafka.topic_prefix, Family.TICKETS)
    bootstrap = stack.kafka.bootstrap_servers
    before = await event_ids_on(bootstrap, tickets)
    assert "zammad:article-901" not in before

    # The admin fixes the mapping (all rules), then replays the connector's history.
    assert (await put_zammad(stack, stack.connector, secret=None)).status_code == 200
    since, until = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(minutes=1)
    args = {"kafka": stack.kafka, "database": stack.database, "connectors": CONNECTORS}
    result = await replay(stack.connector, since, until, **args)
    assert result.payloads == 2
    assert result.events == 3  # created; reply and its status change
    after = await event_ids_on(bootstrap, tickets)
    assert set(after) == {*before, "zammad:article-901"}

    again = await replay(stack.connector, since, until, **args)
    assert again.events == 3
    assert set(await event_ids_on(bootstrap, tickets)) == set(after)  # the same events again

    empty = await replay(stack.connector, until, until + timedelta(hours=1), **args)
    assert empty.payloads == 0
