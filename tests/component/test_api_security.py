"""API keys on the API: 401 and 403, and a viewer's client scope on every route.

Routes are read from a real app, so a route added later is checked without touching this
file: it must refuse requests without a valid key, and a viewer of client "acme" must get
for another client's agreement exactly the 404 of an agreement that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from services.api.main import create_app
from tests.auth import ADMIN, ADMIN_TOKEN, bearer
from tests.component.secured_app import SCRAPE_TOKEN, A, B, Keys, build_app

PUBLIC = {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect"}
PUBLIC |= {"/redoc"}
UNKNOWN = "urn:slawatch:problem:unknown-agreement"

ROUTES = sorted(
    (method, route.path)
    for route in iter_route_contexts(create_app(security=ADMIN).routes)
    for method in route.methods or ()
    if method != "HEAD" and route.path is not None
)
PROTECTED = [r for r in ROUTES if r[1] not in PUBLIC]
SCOPED = [r for r in PROTECTED if "{agreement_id}" in r[1]]
SCRAPED = {("GET", "/metrics")}  # every client's figures: scrape token or admin key only
# Connector settings and dead letters (raw payloads, personal data in clear): admins only.
ADMIN_ONLY = "/v1/agreements/{agreement_id}/connectors"
# Shared calendars hold no client's data: every reading key lists them all.
SHARED = {"/v1/calendars"}
LISTS = [
    r
    for r in PROTECTED
    if r[0] == "GET" and "{" not in r[1] and r not in SCRAPED and r[1] not in SHARED
]


def ids(routes: list[tuple[str, str]]) -> list[str]:
    return [f"{method} {path}" for method, path in routes]


def concrete(path: str, agreement_id: str) -> str:
    path = path.replace("{agreement_id}", agreement_id)
    return re.sub(r"\{[^}]+\}", "x", path)


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Keys]]:
    keys = Keys()
    app = build_app(tmp_path, keys.store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client, keys


async def call(
    client: httpx.AsyncClient, method: str, path: str, token: str | None
) -> httpx.Response:
    headers = bearer(token) if token else {}
    return await client.request(method, path, headers=headers)


def is_unknown_agreement(response: httpx.Response) -> bool:
    return response.status_code == 404 and response.json().get("type") == UNKNOWN


def test_the_route_table_is_complete() -> None:
    assert len(SCOPED) >= 10
    assert ("GET", "/v1/agreements") in LISTS


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=ids(PROTECTED))
@pytest.mark.parametrize("token", [None, "sw_not_a_real_key_0123456789abcdef", "Basic x"])
async def test_every_protected_route_refuses_a_missing_or_bad_key(
    setup: tuple[httpx.AsyncClient, Keys], method: str, path: str, token: str | None
) -> None:
    client, _ = setup
    response = await call(client, method, concrete(path, A), token)

    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:slawatch:problem:unauthorized"


@pytest.mark.parametrize(("method", "path"), SCOPED, ids=ids(SCOPED))
async def test_a_viewer_cannot_tell_another_clients_agreement_from_none(
    setup: tuple[httpx.AsyncClient, Keys], method: str, path: str
) -> None:
    client, keys = setup
    for agreement_id in (B, "no-such-agreement"):
        response = await call(client, method, concrete(path, agreement_id), keys.viewer)
        assert response.status_code == 404, response.text
        assert response.json() == {
            "type": UNKNOWN,
            "title": "Unknown agreement",
            "status": 404,
            "detail": f"no agreement {agreement_id!r}",
            "instance": concrete(path, agreement_id),
        }

    own = await call(client, method, concrete(path, A), keys.viewer)
    assert not is_unknown_agreement(own), own.text
    if path.startswith(ADMIN_ONLY):
        assert own.status_code == 403, own.text
    elif method == "GET":
        assert own.status_code not in (401, 403), own.text
    else:
        assert own.status_code == 403, own.text  # in scope, but a viewer only reads


@pytest.mark.parametrize(("method", "path"), SCOPED, ids=ids(SCOPED))
async def test_an_admin_reaches_every_clients_agreements(
    setup: tuple[httpx.AsyncClient, Keys], method: str, path: str
) -> None:
    client, keys = setup
    for agreement_id in (A, B):
        response = await call(client, method, concrete(path, agreement_id), keys.admin)
        assert response.status_code not in (401, 403), response.text
        assert not is_unknown_agreement(response), response.text


@pytest.mark.parametrize(("method", "path"), LISTS, ids=ids(LISTS))
async def test_lists_show_a_viewer_its_client_only(
    setup: tuple[httpx.AsyncClient, Keys], method: str, path: str
) -> None:
    client, keys = setup
    viewer = await call(client, method, path, keys.viewer)
    admin = await call(client, method, path, keys.admin)

    assert viewer.status_code == admin.status_code == 200, (viewer.text, admin.text)
    assert A in viewer.text
    assert B not in viewer.text
    assert A in admin.text
    assert B in admin.text


async def test_a_viewer_reads_calendars_and_only_an_admin_writes_them(
    setup: tuple[httpx.AsyncClient, Keys],
) -> None:
    client, keys = setup
    for path in ("/v1/calendars", "/v1/calendars/cn-default"):
        # Past authorization: the marker of the missing database, not 401/403/404.
        response = await call(client, "GET", path, keys.viewer)
        assert response.json()["type"] == "urn:slawatch:problem:test-no-database"
    headers = bearer(keys.viewer)
    body = {"name": "x", "years": {"2026": {"weekly_hours": {}}}}
    response = await client.put("/v1/calendars/cn-default", json=body, headers=headers)
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=ids(PROTECTED))
async def test_a_publisher_key_reads_and_manages_nothing(
    setup: tuple[httpx.AsyncClient, Keys], method: str, path: str
) -> None:
    client, keys = setup
    response = await call(client, method, concrete(path, A), keys.publisher)

    assert response.status_code == 403, response.text
    assert response.json()["type"] == "urn:slawatch:problem:forbidden"


async def test_keys_in_either_header_and_revocation(setup: tuple[httpx.AsyncClient, Keys]) -> None:
    client, keys = setup
    assert (await client.get("/v1/agreements", headers={"X-API-Key": keys.viewer})).is_success
    assert (await client.get("/v1/agreements", headers=bearer(ADMIN_TOKEN))).is_success

    keys.store.revoke(keys.viewer)

    revoked = await client.get("/v1/agreements", headers={"X-API-Key": keys.viewer})
    assert revoked.status_code == 401
    assert revoked.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", sorted(PUBLIC - {"/readyz"}))
async def test_probes_and_docs_need_no_key(
    setup: tuple[httpx.AsyncClient, Keys], path: str
) -> None:
    client, _ = setup
    assert (await client.get(path)).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("nobody", 401),
        ("wrong-token", 401),
        ("viewer", 403),
        ("publisher", 403),
        ("admin", 200),
        ("bootstrap", 200),
        ("scrape-token", 200),
        ("scrape-token-as-x-api-key", 200),
    ],
)
async def test_metrics_need_the_scrape_token_or_an_admin_key(
    setup: tuple[httpx.AsyncClient, Keys], who: str, status: int
) -> None:
    client, keys = setup
    headers = {
        "nobody": {},
        "wrong-token": bearer(SCRAPE_TOKEN + "x"),
        "viewer": bearer(keys.viewer),
        "publisher": bearer(keys.publisher),
        "admin": bearer(keys.admin),
        "bootstrap": bearer(ADMIN_TOKEN),
        "scrape-token": bearer(SCRAPE_TOKEN),
        "scrape-token-as-x-api-key": {"X-API-Key": SCRAPE_TOKEN},
    }[who]

    response = await client.get("/metrics", headers=headers)

    assert response.status_code == status, response.text
    if status == 200:
        assert "slawatch_" in response.text or response.text == ""
    else:
        assert "acme" not in response.text
        assert response.headers["content-type"] == "application/problem+json"
