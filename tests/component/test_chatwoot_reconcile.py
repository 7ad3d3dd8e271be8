"""The Chatwoot reconciliation pull against a fake Chatwoot REST API on 127.0.0.1.

The fake serves the two reads the pull makes (conversations by latest activity, messages
paged backwards with `before`), in small pages so paging is exercised, and checks the
`api_access_token` header. The history: three conversations, some of whose webhooks were
"lost"; the pull must find exactly the missing facts under the ids the webhooks would have had.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web

from services.ingest.connectors.chatwoot import ChatwootConnector, default_settings
from services.ingest.connectors.chatwoot.pull_command import pull_once
from services.ingest.connectors.chatwoot.reconcile import ChatwootApi, reconcile
from tests.helpdesk_payloads import (
    csat_attributes,
    cw_api_message,
    cw_conversation,
    cw_conversation_event,
    cw_message_event,
)

TOKEN = "fake-api-token"
T0 = int(datetime(2026, 10, 5, 8, 0, tzinfo=UTC).timestamp())
SETTINGS = default_settings("agr-cw", "acme-cw", pseudonym_key=b"k" * 32)
AGENT = {"id": 77, "name": "Wei", "type": "user"}
CONTACT = {"id": 501, "name": "Jane", "type": "contact"}
PAGE = 2

CONVERSATIONS = [
    cw_conversation(1, T0, status="resolved", updated_at=T0 + 900.0),
    cw_conversation(2, T0 + 60, status="open", updated_at=T0 + 400.0),
    cw_conversation(3, T0 + 120, status="snoozed", updated_at=T0 + 1200.0),
    cw_conversation(4, T0 - 7200, status="open", updated_at=T0 - 3600.0),  # quiet since before
]
MESSAGES: dict[int, list[dict[str, Any]]] = {
    1: [
        cw_api_message(10, 1, T0 + 5, 0),
        cw_api_message(11, 1, T0 + 300, 1, sender_type="User", sender_id=77),
        cw_api_message(12, 1, T0 + 310, 1, sender_type="User", sender_id=77, private=True),
        cw_api_message(
            13,
            1,
            T0 + 900,
            3,
            sender_type=None,
            sender_id=None,
            content_type="input_csat",
            content_attributes=csat_attributes(2),
            updated_at="2026-10-05T08:20:00Z",
        ),
    ],
    2: [
        cw_api_message(20, 2, T0 + 65, 0),
        cw_api_message(21, 2, T0 + 70, 1, sender_type="AgentBot", sender_id=5),
        cw_api_message(22, 2, T0 + 400, 1, sender_type="User", sender_id=78),
    ],
    3: [cw_api_message(30, 3, T0 + 125, 0)],
    4: [cw_api_message(40, 4, T0 - 7000, 0)],
}


def _fake_chatwoot() -> web.Application:
    def authorised(request: web.Request) -> None:
        if request.headers.get("api_access_token") != TOKEN:
            raise web.HTTPUnauthorized()

    async def conversations(request: web.Request) -> web.Response:
        authorised(request)
        assert request.query["status"] == "all"
        ordered = sorted(CONVERSATIONS, key=lambda c: -c["timestamp"])
        page = int(request.query.get("page", "1"))
        chunk = ordered[(page - 1) * PAGE : page * PAGE]
        return web.json_response({"data": {"meta": {"all_count": len(ordered)}, "payload": chunk}})

    async def messages(request: web.Request) -> web.Response:
        authorised(request)
        found = MESSAGES[int(request.match_info["cid"])]
        before = request.query.get("before")
        if before is not None:
            found = [m for m in found if m["id"] < int(before)]
        return web.json_response({"meta": {}, "payload": found[-PAGE:]})

    app = web.Application()
    app.router.add_get("/api/v1/accounts/3/conversations", conversations)
    app.router.add_get("/api/v1/accounts/3/conversations/{cid}/messages", messages)
    return app


@pytest.fixture
async def chatwoot_url() -> AsyncIterator[str]:
    runner = web.AppRunner(_fake_chatwoot())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _all_webhooks() -> list[dict[str, Any]]:
    """Every webhook the history above would have produced, in Chatwoot's webhook shape."""

    def at(t: int) -> str:
        return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")

    return [
        cw_conversation_event("conversation_created", CONVERSATIONS[0]),
        cw_message_event(10, 1, at(T0 + 5), "incoming", sender=CONTACT),
        cw_message_event(11, 1, at(T0 + 300), "outgoing", sender=AGENT),
        cw_conversation_event("conversation_status_changed", CONVERSATIONS[0]),
        cw_message_event(
            13,
            1,
            at(T0 + 900),
            "template",
            sender=None,
            event="message_updated",
            content_type="input_csat",
            content_attributes=csat_attributes(2),
        ),
        cw_conversation_event("conversation_created", CONVERSATIONS[1]),
        cw_message_event(20, 2, at(T0 + 65), "incoming", sender=CONTACT),
        cw_message_event(22, 2, at(T0 + 400), "outgoing", sender={**AGENT, "id": 78}),
        cw_conversation_event("conversation_created", CONVERSATIONS[2]),
        cw_message_event(30, 3, at(T0 + 125), "incoming", sender=CONTACT),
        cw_conversation_event("conversation_status_changed", CONVERSATIONS[2]),
    ]


async def test_the_pull_finds_what_the_webhooks_missed_under_the_same_ids(
    chatwoot_url: str,
) -> None:
    connector = ChatwootConnector()
    expected = {e["event_id"]: e for w in _all_webhooks() for e in connector.map(w, SETTINGS)}
    lost = {
        "acme-cw:msg:11",
        "acme-cw:csat:13:2",
        "acme-cw:conv:2:created",
        "acme-cw:msg:30",
    }
    assert lost <= expected.keys()

    headers = {"api_access_token": TOKEN}
    async with httpx.AsyncClient(base_url=chatwoot_url, headers=headers, timeout=10) as client:
        found = await reconcile(ChatwootApi(client, "3"), SETTINGS, datetime.fromtimestamp(T0, UTC))

    assert found.refused == []
    pulled = {e["event_id"]: e for e in found.events}
    assert lost <= pulled.keys()  # everything lost is found ...
    for event_id in lost:  # ... as the same fact the webhook would have stated
        assert {k: v for k, v in pulled[event_id].items() if k != "occurred_at"} == {
            k: v for k, v in expected[event_id].items() if k != "occurred_at"
        }
    assert not any(":conv:4:" in i or ":msg:40" in i for i in pulled)  # quiet before `since`
    assert "acme-cw:msg:21" not in pulled  # the bot's message
    extra = pulled.keys() - expected.keys()
    # The only facts the webhooks did not state: open conversation 2's current status, a
    # reopen of a ticket that is not resolved, which changes nothing downstream.
    assert {pulled[i]["type"] for i in extra} <= {"ticket.reopened"}


async def test_the_pull_is_refused_without_the_api_token(chatwoot_url: str) -> None:
    async with httpx.AsyncClient(base_url=chatwoot_url, timeout=10) as client:
        with pytest.raises(httpx.HTTPStatusError):
            await reconcile(ChatwootApi(client, "3"), SETTINGS, datetime.fromtimestamp(T0, UTC))


async def test_pull_once_posts_what_it_found_to_ingest(chatwoot_url: str) -> None:
    posted: list[dict[str, Any]] = []

    def ingest(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/v1/events")
        posted.extend(json.loads(request.content))
        return httpx.Response(202, json={"accepted": []})

    headers = {"api_access_token": TOKEN}
    async with (
        httpx.AsyncClient(base_url=chatwoot_url, headers=headers, timeout=10) as cw,
        httpx.AsyncClient(transport=httpx.MockTransport(ingest), base_url="http://i") as i,
    ):
        since = datetime.fromtimestamp(T0, UTC)
        run = await pull_once(SETTINGS, ChatwootApi(cw, "3"), i, since)
    assert run.posted == len(posted) > 0
    assert run.refused == []
    assert {e["agreement_id"] for e in posted} == {"agr-cw"}
