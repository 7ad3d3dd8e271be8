"""Every error of the API is a problem document: oversized bodies, wrong methods, crashes;
and the OpenAPI document says which operations need a key and which problems they answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.api.deps import get_reader
from services.api.limits import MAX_BODY_BYTES
from tests.auth import ADMIN_HEADERS
from tests.component.secured_app import A, Keys, build_app

PROBLEM = "application/problem+json"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = build_app(tmp_path, Keys().store)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # Unhandled errors become answers, as under a server, instead of raising in the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=ADMIN_HEADERS
    ) as http:
        yield http


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


async def test_a_declared_oversized_body_is_refused_before_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put(f"/v1/agreements/{A}", content=b"{" * (MAX_BODY_BYTES + 1))

    body = assert_problem(response, 413)
    assert body["instance"] == f"/v1/agreements/{A}"


async def test_a_streamed_oversized_body_is_refused_too(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 100_000 + 1):
            yield b" " * 100_000

    response = await client.put(f"/v1/agreements/{A}", content=chunks())

    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


async def test_a_body_within_the_limit_reaches_the_route(client: httpx.AsyncClient) -> None:
    response = await client.put(f"/v1/agreements/{A}", content=b"[" + b" " * 500_000 + b"]")

    # The route's first step, opening a session, is where this test app stops.
    assert response.json()["type"] == "urn:slawatch:problem:test-no-database"


async def test_a_wrong_method_is_a_problem_naming_the_allowed_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/agreements")

    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


async def test_an_unexpected_error_is_a_500_problem(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    app.dependency_overrides[get_reader] = broken

    body = assert_problem(await client.get(f"/v1/agreements/{A}/kpis"), 500)
    assert "boom" not in str(body)  # internals stay in the log


async def test_openapi_documents_keys_and_their_problems(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            protected = path.startswith("/v1/") or path == "/metrics"
            assert bool(operation.get("security")) is protected, (method, path)
            if protected:
                for status in ("401", "403"):
                    assert set(operation["responses"][status]["content"]) == {PROBLEM}
            if "requestBody" in operation:
                for status in ("400", "413"):
                    assert set(operation["responses"][status]["content"]) == {PROBLEM}
