"""Connector ingest throughput: Zammad-style payloads through the webhook with the generic
mapping, next to plain v1 events through `POST /v1/events`, on the same broker.

Both run the real ingest app in process (httpx over ASGI: no socket, so the numbers are the
app's and Kafka's cost, not uvicorn's) with its real Kafka producer; agreements, keys and the
connector's configuration come from memory, as after the first request they come from the
caches. One request carries one payload (connector) or one event (plain), `CONCURRENCY`
requests in flight, as a tool's webhook deliveries arrive. `python -m bench.connectors`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from services.core.connectors.config import ConnectorConfigIn
from services.core.connectors.registry import effective_settings
from services.core.settings import IngestSettings, KafkaSettings, SecuritySettings
from services.ingest.agreements import KnownAgreement
from services.ingest.app import create_app
from services.ingest.connectors.configs import ActiveConnector
from tests.zammad_payloads import zammad_config, zammad_payload, zammad_signature

PAYLOADS = int(os.environ.get("BENCH_CONNECTOR_PAYLOADS", "3000"))
CONCURRENCY = 16
TOKEN = "bench-admin-token-0123456789abcdef"
SECRET = b"bench-webhook-secret"


def _connector(agreement: str) -> ActiveConnector:
    body = ConnectorConfigIn.model_validate(zammad_config())
    doc = body.document("bench-zammad")
    settings = effective_settings(
        agreement_id=agreement,
        tool="generic",
        namespace=doc.namespace,
        status_map={k: v.value for k, v in doc.status_map.items()},
        channel_map={k: v.value for k, v in doc.channel_map.items()},
        priority_map={k: v.value for k, v in doc.priority_map.items()},
        csat_map={},
        agent_roles=frozenset(doc.agent_roles or []),
        options=doc.options,
        lossy=frozenset(),
        pseudonym_key=b"bench-pseudonym-key",
    )
    return ActiveConnector("bench-zammad", agreement, "generic", settings, SECRET, 1)


def _payload(n: int) -> bytes:
    """An agent's reply on ticket n: two events (the reply and the ticket's state)."""
    at = f"2026-10-14T{10 + n % 12:02d}:{n % 60:02d}:00Z"
    return json.dumps(
        zammad_payload(
            ticket=n,
            article=n * 10 + 1,
            article_ids=[n * 10, n * 10 + 1],
            sender="Agent",
            at=at,
            created_at="2026-10-14T09:00:00Z",
            author_id=3,
        )
    ).encode()


def _event(n: int, agreement: str) -> bytes:
    return json.dumps(
        {
            "event_id": f"bench-{n}",
            "type": "ticket.replied",
            "occurred_at": f"2026-10-14T{10 + n % 12:02d}:{n % 60:02d}:00Z",
            "agreement_id": agreement,
            "ticket_id": f"T-{n}",
            "author": "agent",
            "agent_id": "agent-3",
        }
    ).encode()


async def _timed(count: int, send: Callable[[int], Awaitable[httpx.Response]]) -> float:
    started = time.perf_counter()
    for first in range(0, count, CONCURRENCY):
        answers = await asyncio.gather(
            *(send(n) for n in range(first, min(first + CONCURRENCY, count)))
        )
        bad = [a for a in answers if a.status_code != 202]
        if bad:
            raise RuntimeError(f"ingest answered {bad[0].status_code}: {bad[0].text[:300]}")
    return time.perf_counter() - started


async def measure(bootstrap: str, prefix: str) -> dict[str, Any]:
    """Payloads/s through the connector webhook and events/s through POST /v1/events."""
    agreement = f"{prefix}-connector"
    known = KnownAgreement("bench", datetime(2026, 1, 1, tzinfo=UTC))

    async def agreements(ids: Collection[str]) -> dict[str, KnownAgreement]:
        return {a: known for a in ids if a == agreement}

    async def nothing(*_: Any) -> None:
        return None

    async def connector(connector_id: str) -> ActiveConnector | None:
        return _connector(agreement) if connector_id == "bench-zammad" else None

    app = create_app(
        IngestSettings(),
        KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=prefix, partitions=6),
        security=SecuritySettings(bootstrap_admin_token=SecretStr(TOKEN)),
        lookup_agreements=agreements,
        record_counts=nothing,
        lookup_connector=connector,
        record_dead_letter=nothing,
    )
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    bodies = [_payload(n) for n in range(PAYLOADS)]
    signed = [zammad_signature(b, SECRET) for b in bodies]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as http,
    ):
        # Warm up both paths (connections, caches, first topic metadata).
        await http.post("/v1/events", content=_event(-1, agreement), headers=headers)
        await http.post("/v1/connectors/bench-zammad/events", content=bodies[0], headers=signed[0])
        plain = await _timed(
            PAYLOADS,
            lambda n: http.post("/v1/events", content=_event(n, agreement), headers=headers),
        )
        hooked = await _timed(
            PAYLOADS,
            lambda n: http.post(
                "/v1/connectors/bench-zammad/events", content=bodies[n], headers=signed[n]
            ),
        )
    return {
        "requests": PAYLOADS,
        "concurrency": CONCURRENCY,
        "plain_v1_events_per_second": round(PAYLOADS / plain),
        "connector_payloads_per_second": round(PAYLOADS / hooked),
        "connector_events_per_second": round(2 * PAYLOADS / hooked),
        "connector_to_plain_ratio": round(plain / hooked, 3),
    }


def run() -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    result = asyncio.run(measure(bootstrap, f"benchc{int(time.time())}"))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run()
