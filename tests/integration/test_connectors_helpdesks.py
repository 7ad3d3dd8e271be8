"""Zendesk and Chatwoot webhooks, end to end: signed payloads -> ingest -> Kafka -> worker -> API.

Each test configures a connector through the API (as an admin would), posts payloads written
after the tool's documentation to `POST /v1/connectors/{id}/events` with fresh signatures, in
a slightly shuffled order, with a retry and a few forged or stale requests, then reads the
KPI API until its figures equal the ones worked out by hand in the docstrings.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from pydantic import SecretStr

from services.api.main import create_app as create_api
from services.core.connectors.chatwoot.reconcile import ChatwootApi
from services.core.connectors.chatwoot.signature import sign_chatwoot
from services.core.connectors.zendesk.signature import sign_zendesk
from services.core.settings import (
    ApiSettings,
    ConnectorsSettings,
    DatabaseSettings,
    IngestSettings,
    KafkaSettings,
)
from services.ingest.app import create_app as create_ingest
from services.ingest.chatwoot_pull import connector_settings, pull_once
from tests.auth import ADMIN, ADMIN_HEADERS
from tests.helpdesk_payloads import (
    csat_attributes,
    cw_api_message,
    cw_conversation,
    cw_conversation_event,
    cw_message_event,
    zd_call,
    zd_calls_page,
    zd_comment,
    zd_created,
    zd_rating,
    zd_status,
)
from tests.integration.stack import WorkerProcess, worker_env, write_agreements
from tests.integration.test_end_to_end import wait_for

SECRET = "s3cret-for-the-helpdesk-webhooks"
Stack = tuple[httpx.AsyncClient, httpx.AsyncClient, WorkerProcess, str, Any]


@pytest.fixture
async def stack(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[Stack]:
    """Real ingest and API apps (in process), a real worker; a 24/7 agreement of the test's own."""
    agreements, mapping = write_agreements(tmp_path, topic_prefix)
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix, partitions=4
    )
    database = DatabaseSettings(database_url=migrated_database)
    connectors = ConnectorsSettings(
        secrets_key=SecretStr(Fernet.generate_key().decode()), config_cache_seconds=0
    )
    ingest = create_ingest(
        IngestSettings(), kafka, security=ADMIN, database=database, connectors=connectors
    )
    api = create_api(
        ApiSettings(agreements_file=agreements),
        database,
        kafka,
        refresh_interval_seconds=0.5,
        security=ADMIN,
        connectors=connectors,
    )
    env = worker_env(topic_prefix, agreements, migrated_database, kafka_bootstrap, tmp_path)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    async with ingest.router.lifespan_context(ingest), api.router.lifespan_context(api):
        worker.start()
        try:
            async with (
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=ingest), base_url="http://i"
                ) as i,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=api),
                    base_url="http://a",
                    headers=ADMIN_HEADERS,
                ) as a,
            ):
                yield i, a, worker, mapping["globex-hotline"], ingest
        finally:
            worker.stop()


async def configure(api: httpx.AsyncClient, agreement: str, connector: str, tool: str) -> None:
    body = {"tool": tool, "secret": SECRET}
    response = await api.put(f"/v1/agreements/{agreement}/connectors/{connector}", json=body)
    assert response.status_code == 201, response.text


async def figures_at(
    api: httpx.AsyncClient, agreement: str, stream_time: str, worker: WorkerProcess, **n: int
) -> dict[str, Any]:
    """The 24 h figures once the stream time is `stream_time` and each named figure has `n`."""

    async def ready() -> dict[str, Any] | None:
        got = (await api.get(f"/v1/agreements/{agreement}/kpis")).json()
        if got.get("stream_time") != stream_time:
            return None
        day = got["windows"]["24h"]["figures"]
        return day if all(day[k]["n"] == v for k, v in n.items()) else None

    found: dict[str, Any] = await wait_for(ready, worker, seconds=120)
    return found


# --- Zendesk ---------------------------------------------------------------------------------

D = "2026-10-20"


def at(hhmm: str, date: str = D) -> str:
    return f"{date}T{hhmm}:00Z" if hhmm.count(":") == 1 else f"{date}T{hhmm}Z"


def zendesk_history() -> list[tuple[str, dict[str, Any]]]:
    """Two tickets, two ratings, three calls (times UTC on 2026-10-20), in event order.

    T101 (high): created 10:00; customer 10:02; private note 10:05 and a trigger's comment
      10:06 (neither is a reply); agent 10:20 -> FRT 1200 s; solved 10:40 -> resolution 2400 s;
      one agent reply, never reopened -> first-contact resolution.
    T102 (normal): created 10:10; pending 10:15-10:45; agent 11:10 -> FRT 3600 - 1800 = 1800 s;
      solved 11:20 -> 4200 - 1800 = 2400 s; reopened 11:30; agent 11:35; solved 11:50 -> 1200 s;
      the reopen withdraws FCR.
    Ratings: T101 good (5) 11:00, T102 bad (1) 11:55 -> csat 0.5, mean 3.0.
    Calls: 7 answered after 15 s, talk 120 + hold 20 + wrap 30 = AHT 170, caller 5501;
      8 abandoned after 40 s by 5501 again (a repeat within the horizon: call 7 loses FCR);
      9 answered after 25 s, no hold time recorded (0), talk 200 + wrap 10 = 210, caller 5503.
      ASA 20 s; service level (30 s) 2/3; abandonment 1/3; call FCR 1/2.
    Stream time 11:55. FCR combined (1 + 1) / (2 + 2) = 0.5.
    """
    c101, c102 = at("10:00"), at("10:10")
    return [
        (at("10:00"), zd_created(101, c101, priority="HIGH")),
        (at("10:00"), zd_calls_page(zd_call(7, at("10:00"), customer_id=5501))),
        (at("10:02"), zd_comment(101, c101, at("10:02"), 1001, "5501", staff=False)),
        (at("10:05"), zd_comment(101, c101, at("10:05"), 1002, "9100", staff=True, public=False)),
        (at("10:06"), zd_comment(101, c101, at("10:06"), 1003, "-1", staff=True)),
        (at("10:10"), zd_created(102, c102, via={"channel": "email"})),
        (at("10:15"), zd_status(102, c102, at("10:15"), "new", "pending")),
        (at("10:20"), zd_comment(101, c101, at("10:20"), 1004, "9100", staff=True)),
        (at("10:30"), {"call": zd_call(8, at("10:30"), "abandoned_in_queue", wait_time=40)}),
        (at("10:40"), zd_status(101, c101, at("10:40"), "open", "solved")),
        (at("10:45"), zd_status(102, c102, at("10:45"), "pending", "open")),
        (at("11:00"), zd_rating(901, 101, "good", at("11:00"))),
        (
            at("11:00"),
            {
                "call": zd_call(
                    9,
                    at("11:00"),
                    customer_id=5503,
                    hold_time=None,
                    wait_time=25,
                    talk_time=200,
                    wrap_up_time=10,
                )
            },
        ),
        (at("11:10"), zd_comment(102, c102, at("11:10"), 2001, "9101", staff=True)),
        (at("11:20"), zd_status(102, c102, at("11:20"), "open", "solved")),
        (at("11:30"), zd_status(102, c102, at("11:30"), "solved", "open")),
        (at("11:35"), zd_comment(102, c102, at("11:35"), 2002, "9101", staff=True)),
        (at("11:50"), zd_status(102, c102, at("11:50"), "open", "solved")),
        (at("11:55"), zd_rating(902, 102, "bad", at("11:55"))),
    ]


def zendesk_headers(
    body: bytes, secret: str = SECRET, sent: datetime | None = None
) -> dict[str, str]:
    stamp = (sent or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": sign_zendesk(secret.encode(), stamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


async def test_zendesk_webhooks_become_the_hand_computed_figures(stack: Stack) -> None:
    ingest, api, worker, agreement, _ = stack
    await configure(api, agreement, "globex-zd", "zendesk")
    url = "/v1/connectors/globex-zd/events"

    async def post(payload: dict[str, Any], **headers: Any) -> httpx.Response:
        body = json.dumps(payload).encode()
        return await ingest.post(url, content=body, headers=zendesk_headers(body, **headers))

    history = [payload for _, payload in zendesk_history()]
    # Out of order: T102's first agent reply before its pause ends (same ticket, 25 min early).
    history[10], history[13] = history[13], history[10]
    for payload in history:
        response = await post(payload)
        assert response.status_code == 202, response.text
        assert response.json()["dead_letter"] is None
    retry = await post(history[7])  # Zendesk retries the agent's reply: one event
    assert retry.status_code == 202

    forged = zd_created(103, at("11:00"))
    assert (await post(forged, secret="not-the-secret")).status_code == 401
    stale = datetime.fromtimestamp(time.time() - 600, UTC)
    assert (await post(forged, sent=stale)).status_code == 401
    unknown = await post(zd_status(101, at("10:00"), at("11:01"), "solved", "escalated"))
    assert unknown.status_code == 202
    assert "status map" in unknown.json()["dead_letter"]

    day = await figures_at(
        api,
        agreement,
        at("11:55"),
        worker,
        frt_mean_seconds=2,
        resolution_mean_seconds=3,
        csat=2,
        aht_mean_seconds=2,
        abandonment_rate=3,
        fcr_rate=4,
    )
    assert day["tickets_created"] == {"value": 2.0, "n": 2}  # the forged T103 never counted
    assert day["frt_mean_seconds"]["value"] == pytest.approx(1500.0)
    assert day["frt_attainment"]["value"] == pytest.approx(1.0)
    assert day["resolution_mean_seconds"]["value"] == pytest.approx(2000.0)
    assert day["fcr_tickets_rate"] == {"value": pytest.approx(0.5), "n": 2}
    assert day["csat"]["value"] == pytest.approx(0.5)
    assert day["csat_mean_score"]["value"] == pytest.approx(3.0)
    assert day["aht_mean_seconds"]["value"] == pytest.approx(190.0)
    assert day["asa_seconds"] == {"value": pytest.approx(20.0), "n": 2}
    assert day["service_level"]["value"] == pytest.approx(2 / 3)
    assert day["abandonment_rate"]["value"] == pytest.approx(1 / 3)
    assert day["fcr_calls_rate"] == {"value": pytest.approx(0.5), "n": 2}
    assert day["fcr_rate"] == {"value": pytest.approx(0.5), "n": 4}

    letters = (
        await api.get(f"/v1/agreements/{agreement}/connectors/globex-zd/dead-letters")
    ).json()
    assert letters["count"] == 1


# --- Chatwoot --------------------------------------------------------------------------------


def ts(hhmm: str) -> int:
    return int(datetime.fromisoformat(at(hhmm)).timestamp())


AGENT_77 = {"id": 77, "name": "Wei", "type": "user"}
AGENT_78 = {"id": 78, "name": "Ana", "type": "user"}
CONTACT = {"id": 501, "name": "Jane", "type": "contact"}
BOT = {"id": 5, "name": "Bot", "type": "agent_bot"}


def chatwoot_first_part() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Until 10:40: webhooks sent (one of them lost), and the REST API's state at 10:41.

    C11 (web chat, normal): created 10:00; customer 10:00:30; a bot's answer 10:01 and a
      private note 10:05 (neither is a reply); agent 77 at 10:15 -> FRT 900 s, but this
      webhook is LOST; resolved 10:30 -> 1800 s; CSAT 4 at 10:40.
    C12 (e-mail, high): created 10:05; agent 78 at 10:25 -> FRT 1200 s; snoozed 10:30.
    """
    c11 = cw_conversation(11, ts("10:00"), status="open")
    c12 = cw_conversation(
        12, ts("10:05"), channel="Channel::Email", priority="high", assignee=78, contact=502
    )
    resolved_11 = cw_conversation(11, ts("10:00"), status="resolved", updated_at=float(ts("10:30")))
    snoozed_12 = cw_conversation(
        12,
        ts("10:05"),
        channel="Channel::Email",
        priority="high",
        assignee=78,
        contact=502,
        status="snoozed",
        updated_at=float(ts("10:30")),
    )
    csat = cw_message_event(
        1105,
        11,
        at("10:30"),
        "template",
        sender=None,
        event="message_updated",
        content_type="input_csat",
        content_attributes=csat_attributes(4),
        conversation={"id": 11, "updated_at": float(ts("10:40"))},
    )
    sent = [
        cw_conversation_event("conversation_created", c11),
        cw_message_event(1101, 11, at("10:00:30"), "incoming", sender=CONTACT),
        cw_message_event(1102, 11, at("10:01"), "outgoing", sender=BOT),
        # C12's first reply arrives before C12's creation (out of order)
        cw_message_event(1201, 12, at("10:25"), "outgoing", sender=AGENT_78),
        cw_conversation_event("conversation_created", c12),
        cw_message_event(1103, 11, at("10:05"), "outgoing", sender=AGENT_77, private=True),
        cw_conversation_event(
            "conversation_status_changed",
            resolved_11,
            changed_attributes=[
                {"status": {"previous_value": "open", "current_value": "resolved"}}
            ],
        ),
        cw_conversation_event(
            "conversation_status_changed",
            snoozed_12,
            changed_attributes=[{"status": {"previous_value": "open", "current_value": "snoozed"}}],
        ),
        csat,
    ]
    api_state = {
        "conversations": [resolved_11, snoozed_12],
        "messages": {
            11: [
                cw_api_message(1101, 11, ts("10:00") + 30, 0),
                cw_api_message(1102, 11, ts("10:01"), 1, sender_type="AgentBot", sender_id=5),
                cw_api_message(
                    1103, 11, ts("10:05"), 1, sender_type="User", sender_id=77, private=True
                ),
                cw_api_message(1104, 11, ts("10:15"), 1, sender_type="User", sender_id=77),
                cw_api_message(
                    1105,
                    11,
                    ts("10:30"),
                    3,
                    sender_type=None,
                    sender_id=None,
                    content_type="input_csat",
                    content_attributes=csat_attributes(4),
                    updated_at=at("10:40"),
                ),
            ],
            12: [cw_api_message(1201, 12, ts("10:25"), 1, sender_type="User", sender_id=78)],
        },
    }
    return sent, api_state


def chatwoot_second_part() -> list[dict[str, Any]]:
    """After the pull: C12 open 11:00; agent 11:05; resolved 11:10 -> 65 - 30 paused = 2100 s;
    reopened 11:20; resolved 11:30 -> 600 s; CSAT 2 at 11:35. Two agent replies before its
    first resolution: no FCR. Stream time 11:35.

    Figures: FRT (900 + 1200) / 2 = 1050; resolution (1800 + 2100 + 600) / 3 = 1500; ticket
    FCR 1/2 (C11 only, thanks to the reply the pull found); CSAT 4 and 2 -> 0.5, mean 3.0.
    """

    def c12(status: str, hhmm: str, previous: str) -> dict[str, Any]:
        conversation = cw_conversation(
            12,
            ts("10:05"),
            channel="Channel::Email",
            priority="high",
            assignee=78,
            contact=502,
            status=status,
            updated_at=float(ts(hhmm)),
        )
        change = [{"status": {"previous_value": previous, "current_value": status}}]
        return cw_conversation_event(
            "conversation_status_changed", conversation, changed_attributes=change
        )

    return [
        c12("open", "11:00", "snoozed"),
        cw_message_event(1202, 12, at("11:05"), "outgoing", sender=AGENT_78),
        c12("resolved", "11:10", "open"),
        c12("open", "11:20", "resolved"),
        c12("resolved", "11:30", "open"),
        cw_message_event(
            1203,
            12,
            at("11:00"),
            "template",
            sender=None,
            event="message_updated",
            content_type="input_csat",
            content_attributes=csat_attributes(2),
            conversation={"id": 12, "updated_at": float(ts("11:35"))},
        ),
    ]


def chatwoot_headers(body: bytes, delivery: str, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Chatwoot-Signature": sign_chatwoot(secret.encode(), stamp, body),
        "X-Chatwoot-Timestamp": stamp,
        "X-Chatwoot-Delivery": delivery,
    }


@pytest.fixture
async def fake_chatwoot() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A fake Chatwoot REST API on 127.0.0.1 serving whatever state the test puts in."""
    state: dict[str, Any] = {"conversations": [], "messages": {}}

    async def conversations(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        ordered = sorted(state["conversations"], key=lambda c: -c["timestamp"])
        chunk = ordered[(page - 1) * 25 : page * 25]
        return web.json_response({"data": {"meta": {}, "payload": chunk}})

    async def messages(request: web.Request) -> web.Response:
        found = state["messages"].get(int(request.match_info["cid"]), [])
        if "before" in request.query:
            found = [m for m in found if m["id"] < int(request.query["before"])]
        return web.json_response({"meta": {}, "payload": found[-20:]})

    app = web.Application()
    app.router.add_get("/api/v1/accounts/3/conversations", conversations)
    app.router.add_get("/api/v1/accounts/3/conversations/{cid}/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", state
    finally:
        await runner.cleanup()


async def test_chatwoot_webhooks_and_the_pull_become_the_hand_computed_figures(
    stack: Stack, fake_chatwoot: tuple[str, dict[str, Any]]
) -> None:
    ingest, api, worker, agreement, ingest_app = stack
    chatwoot_url, chatwoot_state = fake_chatwoot
    await configure(api, agreement, "globex-cw", "chatwoot")
    url = "/v1/connectors/globex-cw/events"
    deliveries = iter(range(1, 1000))

    async def post(
        payload: dict[str, Any], delivery: str = "", secret: str = SECRET
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = chatwoot_headers(body, delivery or f"d-{next(deliveries)}", secret)
        return await ingest.post(url, content=body, headers=headers)

    sent, api_state = chatwoot_first_part()
    for payload in sent:
        response = await post(payload)
        assert response.status_code == 202, response.text
        assert response.json()["dead_letter"] is None
    again = await post(sent[4], delivery="d-5")  # the same delivery of C12's creation, twice
    assert again.status_code == 202
    assert again.json() == {"accepted": [], "dead_letter": None}
    assert again.headers["X-Slawatch-Duplicate-Delivery"] == "true"
    forged = cw_message_event(1199, 11, at("10:39"), "outgoing", sender=AGENT_77)
    assert (await post(forged, secret="not-the-secret")).status_code == 401

    # Without the lost reply, C11 has no first response: FRT counts C12 only.
    day = await figures_at(
        api, agreement, at("10:40"), worker, frt_mean_seconds=1, csat=1, fcr_tickets_rate=1
    )
    assert day["frt_mean_seconds"]["value"] == pytest.approx(1200.0)
    assert day["fcr_tickets_rate"] == {"value": 0.0, "n": 1}

    # The reconciliation pull finds the lost reply (and re-finds the rest under the same ids).
    chatwoot_state.update(api_state)
    token = {"api_access_token": "token"}
    since = datetime.fromisoformat(at("10:00"))
    async with (
        httpx.AsyncClient(base_url=chatwoot_url, headers=token, timeout=10) as cw,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=ingest_app),
            base_url="http://i",
            headers=ADMIN_HEADERS,
        ) as publisher,
    ):
        settings = await connector_settings(api, agreement, "globex-cw")
        run = await pull_once(settings, ChatwootApi(cw, "3"), publisher, since)
    assert run.refused == []
    assert run.posted >= 1

    for payload in chatwoot_second_part():
        response = await post(payload)
        assert response.status_code == 202, response.text

    day = await figures_at(
        api,
        agreement,
        at("11:35"),
        worker,
        frt_mean_seconds=2,
        resolution_mean_seconds=3,
        csat=2,
        fcr_tickets_rate=2,
    )
    assert day["tickets_created"] == {"value": 2.0, "n": 2}
    assert day["frt_mean_seconds"]["value"] == pytest.approx(1050.0)
    assert day["frt_attainment"]["value"] == pytest.approx(1.0)
    assert day["resolution_mean_seconds"]["value"] == pytest.approx(1500.0)
    assert day["fcr_tickets_rate"] == {"value": pytest.approx(0.5), "n": 2}
    assert day["csat"]["value"] == pytest.approx(0.5)
    assert day["csat_mean_score"]["value"] == pytest.approx(3.0)
