"""The ingest API over a fake in-memory publisher: answers, problems, and what gets published."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError

from services.core.contract.events import EventBase, parse_event
from services.core.messaging.admin import ensure_topics
from services.core.settings import IngestSettings, KafkaSettings
from services.ingest.agreements import KnownAgreement
from services.ingest.app import create_app
from services.ingest.publisher import KafkaEventPublisher, PublishError
from tests.auth import ADMIN, ADMIN_HEADERS, MemoryKeys

MAX_EVENTS, MAX_BYTES = 5, 4096
PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}


class FakePublisher:
    """Records every batch; can be told to fail, to hang, or to report not ready."""

    def __init__(self) -> None:
        self.batches: list[list[EventBase]] = []
        self.started = self.stopped = False
        self.fail = self.hang = self.unready = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def ready(self) -> bool:
        return self.started and not self.stopped and not self.unready

    async def publish(self, events: Sequence[EventBase]) -> None:
        if self.hang:
            await asyncio.sleep(3600)
        if self.fail:
            raise PublishError("broker down")
        self.batches.append(list(events))

    @property
    def published_ids(self) -> list[str]:
        return [e.event_id for batch in self.batches for e in batch]


TERM_START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class FakeAgreements:
    """Agreements by id (client and term start), every lookup made, and every count recorded."""

    known: dict[str, KnownAgreement] = field(
        default_factory=lambda: {
            "acme": KnownAgreement("acme", TERM_START),
            # a year before this term is before the floor
            "old": KnownAgreement("acme", datetime(2000, 6, 1, tzinfo=UTC)),
        }
    )
    counts: Counter[tuple[str, float, str]] = field(default_factory=Counter)
    lookups: list[set[str]] = field(default_factory=list)
    broken: bool = False

    @classmethod
    def of(cls, clients: Mapping[str, str]) -> FakeAgreements:
        """Agreements id -> client, every term starting at `TERM_START`."""
        return cls({a: KnownAgreement(client, TERM_START) for a, client in clients.items()})

    async def lookup(self, ids: Collection[str]) -> dict[str, KnownAgreement]:
        self.lookups.append(set(ids))
        if self.broken:
            raise OSError("database down")
        return {a: self.known[a] for a in ids if a in self.known}

    async def record(self, counts: Mapping[tuple[str, float, str], int]) -> None:
        # Everything asked for: the real store would drop unknown agreements, hiding a leak.
        self.counts.update(counts)


@dataclass
class Harness:
    client: httpx.AsyncClient
    publisher: FakePublisher
    agreements: FakeAgreements = field(default_factory=FakeAgreements)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    publisher = FakePublisher()
    settings = IngestSettings(
        max_batch_events=MAX_EVENTS, max_body_bytes=MAX_BYTES, publish_timeout_seconds=0.2
    )
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1")
    # Keys and agreements in memory: no database, so readiness is about the broker only.
    agreements = FakeAgreements()
    app = create_app(
        settings,
        kafka,
        publisher,
        security=ADMIN,
        lookup_key=MemoryKeys().lookup,
        lookup_agreements=agreements.lookup,
        record_counts=agreements.record,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", headers=ADMIN_HEADERS
        ) as client:
            yield Harness(client, publisher, agreements)
    assert publisher.stopped


def created(n: int, **changes: Any) -> dict[str, Any]:
    event = {
        "event_id": f"e-{n}",
        "type": "ticket.created",
        "occurred_at": "2024-05-06T09:15:00Z",
        "agreement_id": "acme",
        "ticket_id": f"T-{n}",
        "customer_id": "c-1",
        "channel": "email",
        "priority": "normal",
    }
    return {**event, **changes}


CALL = {
    "event_id": "e-call",
    "type": "call.abandoned",
    "occurred_at": "2024-05-06T09:15:00+02:00",
    "agreement_id": "acme",
    "call_id": "C-1",
    "customer_id": "c-1",
}


async def post(h: Harness, body: Any) -> httpx.Response:
    return await h.client.post("/v1/events", json=body)


async def test_single_object_is_a_batch_of_one(harness: Harness) -> None:
    response = await post(harness, created(1))
    assert response.status_code == 202
    assert response.json() == {"accepted": ["e-1"], "rejected": []}
    assert harness.publisher.batches == [[parse_event(created(1))]]


async def test_batch_is_published_in_order_as_one_call(harness: Harness) -> None:
    batch = [created(2), CALL, created(1)]
    response = await post(harness, batch)
    assert response.status_code == 202
    assert response.json() == {"accepted": ["e-2", "e-call", "e-1"], "rejected": []}
    assert harness.publisher.batches == [[parse_event(e) for e in batch]]


async def test_partly_invalid_batch_stores_the_valid_events(harness: Harness) -> None:
    batch = [created(1), created(2, channel="fax"), 42, {"type": "nope"}, created(3)]
    response = await post(harness, batch)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:slawatch:problem:invalid-events"
    assert (body["status"], body["instance"]) == (422, "/v1/events")
    assert body["detail"] == "3 of 5 events rejected"
    assert body["accepted"] == ["e-1", "e-3"]
    assert [(r["index"], r["event_id"]) for r in body["rejected"]] == [
        (1, "e-2"),
        (2, None),
        (3, None),
    ]
    assert "channel" in body["rejected"][0]["reason"]
    assert body["rejected"][1]["reason"] == "event must be a JSON object"
    assert harness.publisher.published_ids == ["e-1", "e-3"]


async def test_all_invalid_publishes_nothing(harness: Harness) -> None:
    response = await post(harness, [created(1, priority="asap")])
    assert response.status_code == 422
    assert response.json()["accepted"] == []
    assert harness.publisher.batches == []


async def test_second_copy_of_an_event_id_is_rejected(harness: Harness) -> None:
    batch = [created(1), created(2), created(1, ticket_id="T-other")]
    response = await post(harness, batch)
    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] == ["e-1", "e-2"]
    assert body["rejected"] == [
        {
            "index": 2,
            "event_id": "e-1",
            "reason": "duplicate event_id in this batch (first at index 0)",
        }
    ]
    assert harness.publisher.batches == [[parse_event(created(1)), parse_event(created(2))]]


@pytest.mark.parametrize(
    ("content", "status", "kind"),
    [
        (b"[]", 422, "empty-batch"),
        (json.dumps([created(i) for i in range(MAX_EVENTS + 1)]).encode(), 413, "batch-too-large"),
        (b"x" * (MAX_BYTES + 1), 413, "body-too-large"),
        (b'{"event_id": ', 400, "malformed-json"),
        (b'[{"talk_seconds": NaN}]', 400, "malformed-json"),
        (b"\xff\xfe\x00garbage", 400, "malformed-json"),
        (b"[" * 2000 + b"]" * 2000, 400, "malformed-json"),  # deeper than Python's stack
    ],
    ids=["empty", "too-many", "too-big", "truncated", "nan", "not-utf8", "deep-nesting"],
)
async def test_bad_requests_are_problems(
    harness: Harness, content: bytes, status: int, kind: str
) -> None:
    response = await harness.client.post("/v1/events", content=content, headers=JSON)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["type"], body["status"]) == (f"urn:slawatch:problem:{kind}", status)
    assert body["title"]
    assert body["detail"]
    assert harness.publisher.batches == []


async def test_body_limit_holds_without_content_length(harness: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_BYTES // 1000 + 1):
            yield b" " * 1000

    response = await harness.client.post("/v1/events", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


@pytest.mark.parametrize("failure", ["fail", "hang"])
async def test_broker_failure_is_503_and_nothing_accepted(harness: Harness, failure: str) -> None:
    setattr(harness.publisher, failure, True)
    response = await post(harness, [created(1), created(2, channel="fax")])
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["type"] == "urn:slawatch:problem:broker-unavailable"
    assert "accepted" not in body


async def test_probes(harness: Harness) -> None:
    assert harness.publisher.started
    health = await harness.client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (await harness.client.get("/readyz")).status_code == 200
    harness.publisher.unready = True
    not_ready = await harness.client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.headers["content-type"] == PROBLEM


async def test_unknown_route_is_a_problem(harness: Harness) -> None:
    response = await harness.client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404


async def test_openapi_documents_the_raw_body(harness: Harness) -> None:
    spec = (await harness.client.get("/openapi.json")).json()
    content = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert set(content["examples"]) == {"single", "batch"}
    for example in content["examples"].values():
        value = example["value"]
        for event in value if isinstance(value, list) else [value]:
            parse_event(event)
    assert content["schema"]["anyOf"][1]["maxItems"] == MAX_EVENTS
    # Every reference in the document resolves to a component.
    refs = set(_refs(spec))
    assert refs
    assert {r.rsplit("/", 1)[1] for r in refs} <= set(spec["components"]["schemas"])


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


async def test_kafka_publisher_is_not_ready_and_refuses_before_start() -> None:
    publisher = KafkaEventPublisher("127.0.0.1:1", "nowhere")
    assert not await publisher.ready()
    with pytest.raises(PublishError, match="not started"):
        await publisher.publish([parse_event(created(1))])


async def test_ensure_topics_gives_up_after_its_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(KafkaConnectionError):
        await ensure_topics("127.0.0.1:1", ["x"], 1, 1, timeout_seconds=0.5)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16"],
)
async def test_bodies_not_declared_json_are_415(harness: Harness, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = json.dumps(created(1)).encode()

    response = await harness.client.post("/v1/events", content=body, headers=headers)

    assert response.status_code == 415, response.text
    assert response.json()["type"] == "urn:slawatch:problem:unsupported-media-type"
    assert harness.publisher.batches == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig", "latin-1"])
async def test_bodies_in_other_encodings_are_400(harness: Harness, encoding: str) -> None:
    body = json.dumps([created(1, source="Zürich")], ensure_ascii=False).encode(encoding)

    response = await harness.client.post("/v1/events", content=body, headers=JSON)

    assert response.status_code == 400, response.text
    assert "UTF-8" in response.json()["detail"] or "byte order mark" in response.json()["detail"]
    assert harness.publisher.batches == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"agreement_id": "a/../../etc/passwd"}, "agreement_id"),
        ({"agreement_id": "acme/helpdesk"}, "agreement_id"),
        ({"source": "crm\u0007"}, "source"),
        ({"source": "crm\nINFO forged log line"}, "source"),
        ({"source": "\u001b[31mred"}, "source"),
        ({"source": "crm\u0085"}, "source"),
    ],
    ids=["traversal", "slash", "bell", "newline", "escape", "c1"],
)
async def test_path_like_agreement_ids_and_control_characters_are_refused(
    harness: Harness, changes: dict[str, str], field: str
) -> None:
    response = await post(harness, [created(1, **changes), created(2)])

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["accepted"] == ["e-2"]
    [rejection] = body["rejected"]
    assert rejection["index"] == 0
    assert field in rejection["reason"]
    assert harness.publisher.published_ids == ["e-2"]


async def test_utf8_text_beyond_ascii_is_fine(harness: Harness) -> None:
    body = json.dumps(
        created(1, source="Z\u00fcrich \u2013 \u6771\u4eac"), ensure_ascii=False
    ).encode()

    response = await harness.client.post("/v1/events", content=body, headers=JSON)

    assert response.status_code == 202, response.text
