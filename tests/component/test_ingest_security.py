"""API keys on ingest: only publisher and admin keys may post events; the probes stay open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest

from services.core.auth.access import ApiKeyRecord, Role
from services.core.auth.authenticator import KeyLookup
from services.core.settings import IngestSettings, KafkaSettings
from services.ingest.app import create_app
from tests.auth import ADMIN, ADMIN_TOKEN, MemoryKeys, bearer
from tests.component.test_ingest_api import FakeAgreements, FakePublisher, created

PROBLEM = "application/problem+json"
UNKNOWN = "sw_not_a_real_key_0123456789abcdef"


@dataclass
class Harness:
    client: httpx.AsyncClient
    publisher: FakePublisher
    keys: MemoryKeys


@asynccontextmanager
async def serve(publisher: FakePublisher, lookup: KeyLookup) -> AsyncIterator[httpx.AsyncClient]:
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1")
    agreements = FakeAgreements()
    app = create_app(
        IngestSettings(),
        kafka,
        publisher,
        security=ADMIN,
        lookup_key=lookup,
        lookup_agreements=agreements.lookup,
        record_counts=agreements.record,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            yield client


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    publisher, keys = FakePublisher(), MemoryKeys()
    async with serve(publisher, keys.lookup) as client:
        yield Harness(client, publisher, keys)


async def post(h: Harness, headers: dict[str, str]) -> httpx.Response:
    return await h.client.post("/v1/events", json=created(1), headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer(UNKNOWN),
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": ""},
    ],
    ids=["none", "unknown", "basic", "empty"],
)
async def test_posting_without_a_valid_key_is_401(
    harness: Harness, headers: dict[str, str]
) -> None:
    response = await post(harness, headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:slawatch:problem:unauthorized"
    assert harness.publisher.batches == []


@pytest.mark.parametrize("role", [Role.PUBLISHER, Role.ADMIN])
async def test_publisher_and_admin_keys_post(harness: Harness, role: Role) -> None:
    token = harness.keys.issue(role, "acme" if role is Role.PUBLISHER else None)

    response = await post(harness, {"X-API-Key": token})

    assert response.status_code == 202, response.text
    assert harness.publisher.published_ids == ["e-1"]


async def test_the_bootstrap_admin_token_posts(harness: Harness) -> None:
    assert (await post(harness, bearer(ADMIN_TOKEN))).status_code == 202


async def test_a_viewer_key_is_403(harness: Harness) -> None:
    response = await post(harness, bearer(harness.keys.issue(Role.VIEWER, "acme")))

    assert response.status_code == 403
    assert response.json()["type"] == "urn:slawatch:problem:forbidden"
    assert harness.publisher.batches == []


async def test_a_revoked_key_is_401(harness: Harness) -> None:
    token = harness.keys.issue(Role.PUBLISHER, "acme")
    assert (await post(harness, bearer(token))).status_code == 202

    harness.keys.revoke(token)

    assert (await post(harness, bearer(token))).status_code == 401


async def test_a_failing_key_store_is_503_not_401() -> None:
    async def broken(key_id: str) -> ApiKeyRecord | None:
        raise OSError("database down")

    async with serve(FakePublisher(), broken) as client:
        response = await client.post("/v1/events", json=created(1), headers=bearer(UNKNOWN))

    assert response.status_code == 503
    assert response.headers["retry-after"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json"])
async def test_probes_and_docs_need_no_key(harness: Harness, path: str) -> None:
    assert (await harness.client.get(path)).status_code == 200


async def test_openapi_documents_the_key_and_its_problems(harness: Harness) -> None:
    spec = (await harness.client.get("/openapi.json")).json()
    post_events = spec["paths"]["/v1/events"]["post"]

    assert post_events["security"]
    assert {"401", "403"} <= set(post_events["responses"])
    assert "security" not in spec["paths"]["/healthz"]["get"]
