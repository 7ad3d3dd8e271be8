"""The API end to end over buckets served from memory: figures, problems, metrics, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.api.deps import Runtime
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.windows import ROLLING_WINDOWS
from tests.auth import admin_client
from tests.component.api_scenario import (
    BOUNDS,
    EXPECTED,
    T,
    bucket_rows,
    write_agreements,
)
from tests.component.offline_api import MemoryReader, offline_app, samples

AGREEMENT, IDLE = "acme-helpdesk", "idle-desk"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    rows = bucket_rows(AGREEMENT)
    reader = MemoryReader(
        {AGREEMENT: T},
        {AGREEMENT: [(r.granularity, r.bucket_start, Aggregate.from_dict(r.data)) for r in rows]},
    )
    application = offline_app(write_agreements(tmp_path / "a.yaml", AGREEMENT, IDLE), reader)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_client(app) as http:
        yield http


async def test_figures_of_every_window_are_computed_from_the_buckets(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/v1/agreements/{AGREEMENT}/kpis")

    assert response.status_code == 200
    body = response.json()
    assert body["agreement_id"] == AGREEMENT
    assert body["stream_time"] == "2026-10-14T09:30:00Z"
    assert list(body["windows"]) == [*ROLLING_WINDOWS, "2026-10", "2026-Q4"]
    for window, figures in EXPECTED.items():
        got = body["windows"][window]["figures"]
        assert {k: (got[k]["value"], got[k]["n"]) for k in figures} == figures, window
    for window, (start, end) in BOUNDS.items():
        assert (body["windows"][window]["start"], body["windows"][window]["end"]) == (start, end)


async def test_period_and_as_of_select_what_is_evaluated(client: httpx.AsyncClient) -> None:
    month = (await client.get(f"/v1/agreements/{AGREEMENT}/kpis?period=2026-09")).json()
    later = await client.get(
        f"/v1/agreements/{AGREEMENT}/kpis", params={"as_of": "2026-10-14T13:45:00+02:00"}
    )

    assert list(month["windows"]) == ["2026-09"]
    assert month["windows"]["2026-09"]["figures"]["tickets_created"] == {"value": 0.0, "n": 0}
    assert later.json()["stream_time"] == "2026-10-14T11:45:00Z"
    hour = later.json()["windows"]["1h"]["figures"]
    assert hour["tickets_created"] == {"value": 0.0, "n": 0}
    assert hour["csat"] == {"value": None, "n": 0}


async def test_an_agreement_without_data_has_no_windows(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/agreements/{IDLE}/kpis")

    assert response.json() == {"agreement_id": IDLE, "stream_time": None, "windows": {}}


async def test_agreements_are_listed(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/agreements")

    assert [(a["agreement_id"], a["client"]) for a in response.json()] == [
        (AGREEMENT, "acme"),
        (IDLE, "initech"),
    ]


KPIS = f"/v1/agreements/{AGREEMENT}/kpis"
INVALID_PERIOD = "urn:slawatch:problem:invalid-period"
INVALID_REQUEST = "urn:slawatch:problem:invalid-request"


@pytest.mark.parametrize(
    ("path", "status", "problem_type"),
    [
        ("/v1/agreements/nope/kpis", 404, "urn:slawatch:problem:unknown-agreement"),
        (f"{KPIS}?period=2026-13", 422, INVALID_PERIOD),
        (f"{KPIS}?period=Q4", 422, INVALID_PERIOD),
        (f"{KPIS}?as_of=2026-10-14T09:00:00", 422, INVALID_REQUEST),  # no offset
        (f"{KPIS}?as_of=yesterday", 422, INVALID_REQUEST),
        ("/v2/nothing-here", 404, "about:blank"),
    ],
)
async def test_errors_are_problem_details(
    client: httpx.AsyncClient, path: str, status: int, problem_type: str
) -> None:
    response = await client.get(path)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["type"], problem["status"]) == (problem_type, status)
    assert problem["title"]
    assert problem["instance"] == path.split("?")[0]


async def test_metrics_expose_the_cached_figures(app: FastAPI, client: httpx.AsyncClient) -> None:
    runtime: Runtime = app.state.runtime
    assert await runtime.cache.refresh()

    response = await client.get("/metrics")

    assert response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)

    def kpi(name: str, window: str, figure: str) -> Any:
        labels = {"agreement": AGREEMENT, "client": "acme", "window": window, "kpi": figure}
        return got.get((name, tuple(sorted(labels.items()))))

    def value(name: str, window: str) -> Any:
        labels = {"agreement": AGREEMENT, "client": "acme", "window": window}
        return got.get((name, tuple(sorted(labels.items()))))

    assert value("slawatch_frt_mean_seconds", "1h") == 600.0
    assert value("slawatch_tickets_created", "month") == 3.0
    assert kpi("slawatch_kpi_samples", "quarter", "service_level") == 2
    assert value("slawatch_csat_mean_score", "1h") == 5.0
    assert value("slawatch_resolution_mean_seconds", "24h") is None  # n = 0: no series
    assert kpi("slawatch_kpi_samples", "24h", "resolution_mean_seconds") == 0
    assert value("slawatch_service_level_ratio", "quarter") is not None
    stream_labels = (("agreement", AGREEMENT), ("client", "acme"))
    assert got[("slawatch_stream_time_seconds", stream_labels)] == T
    assert not any(labels and ("agreement", IDLE) in labels for _, labels in got)
    assert "# TYPE slawatch_kpi_cache_age_seconds gauge" in response.text


async def test_health_and_readiness_name_the_failed_dependency(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}

    response = await client.get("/readyz")

    assert response.status_code == 503
    problem = response.json()
    assert problem["type"] == "urn:slawatch:problem:not-ready"
    assert problem["checks"]["database"] != "ok"
    assert problem["checks"]["kafka"] != "ok"


async def test_openapi_documents_problems_and_examples(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    kpis = schema["paths"]["/v1/agreements/{agreement_id}/kpis"]["get"]
    assert set(kpis["responses"]["404"]["content"]) == {"application/problem+json"}
    assert set(kpis["responses"]["422"]["content"]) == {"application/problem+json"}
    assert schema["components"]["schemas"]["KpisOut"]["examples"]
