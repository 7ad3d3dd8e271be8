"""Query values at the edge of what a datetime holds: a 422 with a reason, never a 500.

Served by uvicorn on loopback, because a 500 also cost the client its keep-alive
connection: every answer here must leave the connection open for the next request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.core.kpi.aggregate import Aggregate
from tests.auth import ADMIN_HEADERS
from tests.component.api_scenario import T, bucket_rows, write_agreements
from tests.component.offline_api import MemoryReader, offline_app
from tests.integration.prom_server import free_port, served

A = "acme-helpdesk"  # in Europe/Berlin, east of UTC
KPIS = f"/v1/agreements/{A}/kpis"
HISTORY = f"/v1/agreements/{A}/kpis/history?kpi=frt_mean_seconds"
STATUS = f"/v1/agreements/{A}/status/history"

REFUSED = [
    f"{KPIS}?as_of=9999-12-31T23:59:59Z",
    f"{KPIS}?as_of=0001-01-02T00:00:00Z",
    f"{KPIS}?as_of=1969-12-31T23:59:59Z",
    f"{KPIS}?period=0001-01",
    f"{KPIS}?period=0001-Q1",
    f"{KPIS}?period=9999-12",
    f"{HISTORY}&window=0001-01",
    f"{HISTORY}&to=0001-01-02T00:00:00Z",
    f"{HISTORY}&from=9999-12-31T00:00:00Z&to=9999-12-31T23:59:59Z",
    f"{STATUS}?to=0001-01-02T00:00:00Z",
]
ANSWERED = [
    f"{KPIS}?as_of=9998-12-31T23:59:59Z",
    f"{KPIS}?as_of=1970-01-01T00:00:00Z",
    f"{KPIS}?period=1970-01",
    f"{KPIS}?period=9998-Q4",
]


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    rows = bucket_rows(A)
    buckets = [(r.granularity, r.bucket_start, Aggregate.from_dict(r.data)) for r in rows]
    reader = MemoryReader({A: T}, {A: buckets})
    path = tmp_path_factory.mktemp("edge") / "a.yaml"
    app = offline_app(write_agreements(path, A, "idle-desk"), reader)
    port = free_port()
    async with served(app, port):
        limits = httpx.Limits(max_connections=1)  # one connection: a drop would show
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=ADMIN_HEADERS, limits=limits, timeout=30
        ) as client:
            yield client


@pytest.mark.parametrize("path", REFUSED)
async def test_out_of_range_values_are_a_422_with_a_reason(
    api: httpx.AsyncClient, path: str
) -> None:
    response = await api.get(path)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]
    assert response.headers.get("connection", "").lower() != "close"


@pytest.mark.parametrize("path", ANSWERED)
async def test_values_at_the_edges_of_the_range_are_answered(
    api: httpx.AsyncClient, path: str
) -> None:
    response = await api.get(path)

    assert response.status_code == 200, response.text


def test_the_test_paths_are_well_formed() -> None:
    assert all(Path(p.split("?")[0]).is_absolute() for p in REFUSED + ANSWERED)
