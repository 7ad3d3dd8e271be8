"""`GET /v1/agreements/{id}/measures/{measure_id}/effect` over hour buckets in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.storage.kpi_reader import Bucket
from tests.auth import admin_client
from tests.component.offline_api import MemoryReader, offline_app

AGREEMENT = "acme-helpdesk"
START = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
TARGETS = "{low: 3600, normal: 3600, high: 3600, urgent: 3600}"
MEASURES = """    measures:
      - {measure_id: coaching, kind: training, title: Coaching, owner: Ops,
         actual_start: 2026-10-01, kpis: [aht_mean_seconds, fcr_calls_rate]}
      - {measure_id: later, kind: other, title: Later, owner: Ops, kpis: [aht_mean_seconds]}
"""


def buckets() -> list[Bucket]:
    """10 calls a day for 40 days around the start: AHT 400 s before, 300 s after (spread
    of +-50 s), FCR 7 in 10 throughout."""
    rows = []
    for day in range(-20, 20):
        agg = Aggregate()
        t = START + day * 86400
        for i in range(10):
            base = 400.0 if day < 0 else 300.0
            agg.apply(Fact(FactKind.HANDLED_CALL, t, value=base + (i - 5) * 10))
            agg.apply(Fact(FactKind.CALL_FCR, t, ok=i < 7))
        rows.append(("hour", t, agg))
    return rows


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    path = tmp_path / "a.yaml"
    path.write_text(
        f"agreements:\n  - agreement_id: {AGREEMENT}\n    name: A\n    client: acme\n"
        "    provider: supportco\n"
        "    parties: {client: {name: Client}, provider: {name: Provider}}\n"
        "    term: {effective_from: 2026-01-01}\n    timezone: UTC\n"
        f"    frt_target_seconds: {TARGETS}\n    resolution_target_seconds: {TARGETS}\n" + MEASURES
    )
    reader = MemoryReader({AGREEMENT: START + 30 * 86400}, {AGREEMENT: buckets()})
    app = offline_app(path, reader)
    async with app.router.lifespan_context(app), admin_client(app) as http:
        yield http


async def test_each_named_kpi_gets_before_after_difference_and_interval(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/v1/agreements/{AGREEMENT}/measures/coaching/effect?days=14")
    assert response.status_code == 200
    body = response.json()
    assert body["start"] == "2026-10-01T00:00:00Z"
    assert body["before_start"] == "2026-09-17T00:00:00Z"
    assert body["complete"] is True
    assert "not proof of cause" in body["note"]
    aht, fcr = body["effects"]
    assert aht["kpi"] == "aht_mean_seconds"
    assert (aht["n_before"], aht["n_after"]) == (140, 140)
    assert aht["difference"] == pytest.approx(-100.0)
    assert aht["direction"] == "better"
    assert aht["interval"][1] < 0
    assert fcr["method"] == "newcombe_wilson"
    assert fcr["difference"] == pytest.approx(0.0)
    assert fcr["interval"][0] < 0 < fcr["interval"][1]


async def test_too_few_data_and_a_running_after_period(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"/v1/agreements/{AGREEMENT}/measures/coaching/effect?days=2")).json()
    assert body["effects"][0]["too_few_data"] is True
    assert body["effects"][0]["interval"] is None
    body = (await client.get(f"/v1/agreements/{AGREEMENT}/measures/coaching/effect?days=40")).json()
    assert body["complete"] is False


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/measures/nope/effect", 404, "unknown-measure"),
        ("/measures/later/effect", 422, "measure-not-started"),
        ("/measures/coaching/effect?days=0", 422, None),
    ],
)
async def test_problems(
    client: httpx.AsyncClient, path: str, status: int, kind: str | None
) -> None:
    response = await client.get(f"/v1/agreements/{AGREEMENT}{path}")
    assert response.status_code == status
    if kind is not None:
        assert response.json()["type"] == f"urn:slawatch:problem:{kind}"
