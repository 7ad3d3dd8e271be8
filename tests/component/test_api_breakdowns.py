"""`by=` on the KPI routes: one entry per slice, slices that add up, and per-agent figures
only for admin keys and keys granted agent_detail (on every route that takes `by=`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.api.deps import get_session
from services.api.main import create_app
from services.core.auth.access import Role, key_id_of
from services.core.contract.events import parse_event
from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.engine import Engine
from services.core.kpi.params import MeasurementParams, PriorityTargets
from services.core.kpi.retention import Retention
from services.core.kpi.slices import Slicer
from tests.auth import ADMIN, bearer
from tests.component.api_scenario import write_agreements
from tests.component.offline_api import MemoryReader, offline_app
from tests.component.secured_app import A, Keys, build_app

T0 = datetime(2026, 10, 14, 8, 0, tzinfo=UTC).timestamp()
TARGETS = PriorityTargets(low=3600, normal=3600, high=3600, urgent=3600)


def _event(n: int, type_: str, minutes: float, **fields: Any) -> Any:
    stamp = datetime.fromtimestamp(T0 + 60 * minutes, UTC).isoformat()
    return parse_event(
        {"event_id": f"e{n}", "type": type_, "occurred_at": stamp, "agreement_id": A, **fields}
    )


def engine_reader() -> MemoryReader:
    """Three tickets through a real engine with breakdowns on; its rows served from memory."""
    params = MeasurementParams(
        agreement_id=A,
        timezone="Europe/Berlin",
        frt_target_seconds=TARGETS,
        resolution_target_seconds=TARGETS,
        teams={"front": ("A1",)},
    )
    engine = Engine(Family.TICKETS, {}, {A: params}, Retention(), slicer=Slicer())
    events = [
        _event(
            1,
            "ticket.created",
            0,
            ticket_id="t1",
            customer_id="c",
            channel="email",
            priority="high",
        ),
        _event(
            2, "ticket.created", 1, ticket_id="t2", customer_id="c", channel="chat", priority="high"
        ),
        _event(
            3, "ticket.created", 2, ticket_id="t3", customer_id="c", channel="email", priority="low"
        ),
        _event(4, "ticket.replied", 10, ticket_id="t1", author="agent", agent_id="A1"),
        _event(5, "ticket.replied", 20, ticket_id="t2", author="agent", agent_id="A2"),
        _event(6, "ticket.resolved", 30, ticket_id="t1", agent_id="A1"),
    ]
    for offset, event in enumerate(events):
        engine.process(event, 0, offset)
    buckets, slices = [], []
    for key, row in engine.store.items():
        if keys.is_bucket(key):
            _, _, granularity, start = keys.parse_bucket(key)
            agg = Aggregate.from_dict(row["agg"])
            slice_ = keys.bucket_slice(key)
            if slice_:
                dimension, value = slice_.split("=", 1)
                slices.append((dimension, value, granularity, start, agg))
            else:
                buckets.append((granularity, start, agg))
    return MemoryReader({A: T0 + 40 * 60}, {A: buckets}, {A: slices})


def _no_session() -> AsyncIterator[None]:
    async def gen() -> AsyncIterator[None]:
        yield None

    return gen()


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = offline_app(write_agreements(tmp_path / "a.yaml", A, "idle-desk"), engine_reader())
    app.dependency_overrides[get_session] = _no_session
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = bearer(ADMIN.bootstrap_admin_token.get_secret_value())  # type: ignore[union-attr]
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=headers
        ) as http:
            yield http


def _slices(body: dict[str, Any], window: str) -> dict[str, dict[str, Any]]:
    return {s["slice"]: s["figures"] for s in body["windows"][window]["slices"]}


async def test_by_priority_gives_one_entry_per_slice_that_adds_up(
    client: httpx.AsyncClient,
) -> None:
    by = (
        await client.get(f"/v1/agreements/{A}/kpis", params={"period": "2026-10", "by": "priority"})
    ).json()
    total = (await client.get(f"/v1/agreements/{A}/kpis", params={"period": "2026-10"})).json()
    slices = _slices(by, "2026-10")
    assert by["by"] == "priority"
    assert set(slices) == {"high", "low"}
    assert slices["high"]["tickets_created"] == {"value": 2.0, "n": 2}
    assert slices["high"]["frt_mean_seconds"] == {"value": 870.0, "n": 2}  # (600 + 1140) / 2
    assert slices["low"]["frt_mean_seconds"] == {"value": None, "n": 0}
    quarter = await client.get(
        f"/v1/agreements/{A}/kpis", params={"period": "2026-Q4", "by": "priority"}
    )
    assert _slices(quarter.json(), "2026-Q4") == slices  # a quarter merges its months' slices
    figures = total["windows"]["2026-10"]["figures"]
    for name in ("tickets_created", "frt_mean_seconds", "resolution_mean_seconds"):
        assert sum(s[name]["n"] for s in slices.values()) == figures[name]["n"]


async def test_by_agent_and_team_attribute_each_kpi_to_its_agent(
    client: httpx.AsyncClient,
) -> None:
    agents = _slices(
        (
            await client.get(f"/v1/agreements/{A}/kpis", params={"window": "24h", "by": "agent"})
        ).json(),
        "24h",
    )
    assert agents["A1"]["frt_mean_seconds"] == {"value": 600.0, "n": 1}
    assert agents["A1"]["resolution_mean_seconds"] == {"value": 1800.0, "n": 1}
    assert agents["A2"]["frt_mean_seconds"] == {"value": 1140.0, "n": 1}
    assert agents["none"]["tickets_created"]["n"] == 3  # no agent creates a ticket
    teams = _slices(
        (
            await client.get(f"/v1/agreements/{A}/kpis", params={"window": "24h", "by": "team"})
        ).json(),
        "24h",
    )
    assert teams["front"]["frt_mean_seconds"]["n"] == 1
    assert teams["unassigned"]["frt_mean_seconds"] == {"value": 1140.0, "n": 1}


async def test_minute_windows_have_no_slices(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/agreements/{A}/kpis", params={"window": "1h", "by": "team"})
    assert response.status_code == 422


async def test_history_by_channel_per_local_day(client: httpx.AsyncClient) -> None:
    params = {
        "kpi": "tickets_created",
        "by": "channel",
        "step": "1d",
        "from": "2026-10-13T12:00:00Z",
        "to": "2026-10-15T00:00:00Z",
    }
    body = (await client.get(f"/v1/agreements/{A}/kpis/history", params=params)).json()
    days = {d["start"]: {s["slice"]: s["figures"] for s in d["slices"]} for d in body["days"]}
    assert list(days) == ["2026-10-12T22:00:00Z", "2026-10-13T22:00:00Z", "2026-10-14T22:00:00Z"]
    assert days["2026-10-13T22:00:00Z"] == {
        "chat": {"tickets_created": {"value": 1.0, "n": 1}},
        "email": {"tickets_created": {"value": 2.0, "n": 2}},
    }
    params["step"] = "1h"
    response = await client.get(f"/v1/agreements/{A}/kpis/history", params=params)
    assert response.status_code == 422


# ---------------------------------------------------------------- who may see agents

BY_ROUTES = sorted(
    path
    for path, methods in create_app(security=ADMIN).openapi()["paths"].items()
    for method, operation in methods.items()
    if method == "get" and any(p["name"] == "by" for p in operation.get("parameters", []))
)
QUERY = {"kpi": "tickets_created", "step": "1d", "period": "2026-10"}


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Keys]]:
    keys = Keys()
    app = build_app(tmp_path, keys.store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            yield http, keys


def test_the_by_routes_are_found() -> None:
    assert BY_ROUTES == [
        "/v1/agreements/{agreement_id}/kpis",
        "/v1/agreements/{agreement_id}/kpis/history",
    ]


@pytest.mark.parametrize("path", BY_ROUTES)
async def test_per_agent_slices_need_admin_or_the_agent_detail_grant(
    secured: tuple[httpx.AsyncClient, Keys], path: str
) -> None:
    http, keys = secured
    url = path.replace("{agreement_id}", A)
    granted = keys.store.issue(Role.VIEWER, "acme")
    key_id = key_id_of(granted)
    assert key_id is not None
    keys.store.records[key_id] = replace(keys.store.records[key_id], agent_detail=True)

    async def status(token: str, by: str) -> tuple[int, Any]:
        response = await http.get(url, params={**QUERY, "by": by}, headers=bearer(token))
        return response.status_code, response.json()

    code, body = await status(keys.viewer, "agent")
    assert code == 403
    assert body["type"].endswith("agent-detail-not-granted")
    assert "agent_detail" in body["detail"]
    for token, by in ((keys.viewer, "team"), (granted, "agent"), (keys.admin, "agent")):
        code, body = await status(token, by)
        assert code != 403, (by, body)
    code, _ = await status(keys.publisher, "team")
    assert code == 403  # a publisher reads nothing, breakdowns included
