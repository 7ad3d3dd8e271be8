"""Reports over the real PostgreSQL: draft, issue, immutability, late data, roles, formats."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.auth.access import Role
from services.core.settings import KafkaSettings, ReportSettings
from services.core.storage.event_counts import add_counts
from tests.auth import MemoryKeys, bearer
from tests.integration.agreements_support import running_api
from tests.integration.report_support import store_late_survey, store_month, write_seed

pytest_plugins = ["tests.integration.db_fixtures"]
OCT_20 = datetime(2026, 10, 20, 12, tzinfo=UTC).timestamp()


@pytest.fixture
async def api(
    tmp_path: Path,
    migrated_database: str,
    kafka_bootstrap: str,
    agreement_id: str,
    db_session: AsyncSession,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, MemoryKeys]]:
    keys = MemoryKeys()
    seed = write_seed(tmp_path / "a.yaml", agreement_id)
    async with running_api(
        migrated_database,
        KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{agreement_id}"),
        seed,
        lookup_key=keys.lookup,
        report_settings=ReportSettings(schedule_enabled=False, mail_mode="off"),
    ) as (app, client):
        await store_month(db_session, agreement_id)
        yield app, client, keys


def canonical_hash(document: dict[str, Any]) -> str:
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


async def test_a_report_is_drafted_issued_immutable_and_versioned_by_late_data(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys],
    agreement_id: str,
    db_session: AsyncSession,
) -> None:
    _, admin, keys = api
    viewer = bearer(keys.issue(Role.VIEWER, "acme"))
    stranger = bearer(keys.issue(Role.VIEWER, "globex"))
    base = f"/v1/agreements/{agreement_id}/reports"

    assert (await admin.get(base, headers=viewer)).json()["versions"] == []
    assert (await admin.get(f"{base}/2026-10", headers=viewer)).status_code == 404
    assert (await admin.get(base, headers=stranger)).status_code == 404
    draft = (await admin.get(f"{base}/2026-10")).json()
    assert (draft["header"]["version"], draft["header"]["state"]) == (0, "preliminary")
    kpis = (await admin.get(f"/v1/agreements/{agreement_id}/kpis?period=2026-10")).json()
    for row in draft["targets"]:
        figure = kpis["windows"]["2026-10"]["figures"][row["kpi"]]
        assert (row["this_month"]["value"], row["this_month"]["n"]) == (
            figure["value"],
            figure["n"],
        )

    text_body = {"problems": "Queue outage on 9 October.", "measures": {"kb-returns": "Reviewed."}}
    assert (
        await admin.put(f"{base}/2026-10/draft", json=text_body, headers=viewer)
    ).status_code == 403
    assert (await admin.put(f"{base}/2026-10/draft", json=text_body)).status_code == 200
    bad = {"measures": {"nope": "x"}}
    assert (await admin.put(f"{base}/2026-10/draft", json=bad)).status_code == 422
    assert (await admin.post(f"{base}/2026-10/issue", headers=viewer)).status_code == 403

    issued = await admin.post(f"{base}/2026-10/issue")
    assert issued.status_code == 201
    assert (issued.json()["version"], issued.json()["state"]) == (1, "final")
    again = await admin.post(f"{base}/2026-10/issue")
    assert (again.status_code, again.json()["version"]) == (200, 1)  # nothing changed

    seen = (await admin.get(f"{base}/2026-10", headers=viewer)).json()
    assert (seen["header"]["version"], seen["header"]["state"]) == (1, "final")
    assert seen["free_text"]["problems"] == "Queue outage on 9 October."
    assert canonical_hash(seen) == issued.json()["content_hash"]
    with pytest.raises(DBAPIError, match="cannot change"):
        await db_session.execute(
            text("UPDATE report_versions SET state = 'final' WHERE agreement_id = :a"),
            {"a": agreement_id},
        )
    await db_session.rollback()

    await store_late_survey(db_session, agreement_id, OCT_20)
    second = await admin.post(f"{base}/2026-10/issue")
    assert (second.status_code, second.json()["version"]) == (201, 2)
    paths = {c["path"] for c in second.json()["changes"]}
    assert "targets[csat].this_month.n" in paths
    assert any(p.startswith("trends[csat].daily[2026-10-20]") for p in paths)
    listed = (await admin.get(base, headers=viewer)).json()["versions"]
    assert [(v["period"], v["version"]) for v in listed] == [("2026-10", 2), ("2026-10", 1)]
    old = (await admin.get(f"{base}/2026-10?version=1", headers=viewer)).json()
    assert old == seen


async def test_html_and_pdf_in_the_agreement_language_or_the_one_asked_for(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys], agreement_id: str
) -> None:
    _, admin, _ = api
    base = f"/v1/agreements/{agreement_id}/reports"

    zh = await admin.get(f"{base}/2026-10.html")
    en = await admin.get(f"{base}/2026-10.html?lang=en")
    pdf = await admin.get(f"{base}/2026-10.pdf")

    assert zh.headers["content-type"].startswith("text/html")
    assert "月度服务绩效报告" in zh.text
    assert "Monthly service performance report" in en.text
    assert (pdf.headers["content-type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")
    assert (await admin.get(f"{base}/2026-13")).status_code == 422
    assert (await admin.get(f"{base}/2026-10.docx")).status_code == 422


async def test_the_reports_data_quality_is_what_the_data_quality_route_returns(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys],
    agreement_id: str,
    db_session: AsyncSession,
) -> None:
    _, admin, _ = api
    base = f"/v1/agreements/{agreement_id}/reports"
    # October in Berlin is 2026-09-30T22:00Z .. 2026-10-31T23:00Z: the hours just outside
    # belong to September and November, in the report as in the route.
    hours = {
        "2026-09-30T21:00Z": {"accepted": 1000, "late": 1000},
        "2026-09-30T22:00Z": {"accepted": 70, "duplicate": 3, "invalid": 1},
        "2026-10-15T09:00Z": {"accepted": 5000, "late": 12, "unknown": 2},
        "2026-10-31T22:00Z": {"accepted": 30, "duplicate": 1},
        "2026-10-31T23:00Z": {"accepted": 1000, "invalid": 1000},
    }
    async with db_session.begin():
        await add_counts(
            db_session,
            {
                (agreement_id, datetime.fromisoformat(h).timestamp(), outcome): n
                for h, counts in hours.items()
                for outcome, n in counts.items()
            },
        )

    route = (await admin.get(f"/v1/agreements/{agreement_id}/data-quality?period=2026-10")).json()
    draft = (await admin.get(f"{base}/2026-10")).json()

    expected = {"accepted": 5100, "duplicate": 4, "late": 12, "invalid": 1, "unknown": 2}
    assert route["counts"] == expected  # the counts reached the table (agreement stored)
    assert draft["data_quality"] == {"counts": route["counts"], "not_counted": route["not_counted"]}
    summary = next(f for f in draft["findings"] if f["code"] == "events_counted")
    assert (summary["values"]["accepted"], summary["values"]["not_counted"]) == (5100, 19)
    assert "Events this month: 5,119" in (await admin.get(f"{base}/2026-10.html?lang=en")).text

    assert (await admin.post(f"{base}/2026-10/issue")).status_code == 201
    async with db_session.begin():
        await add_counts(db_session, {(agreement_id, OCT_20, "late"): 5})
    second = await admin.post(f"{base}/2026-10/issue")
    assert (second.status_code, second.json()["version"]) == (201, 2)
    assert "data_quality.counts.late" in {c["path"] for c in second.json()["changes"]}
    issued = (await admin.get(f"{base}/2026-10")).json()["data_quality"]
    again = (await admin.get(f"/v1/agreements/{agreement_id}/data-quality?period=2026-10")).json()
    assert issued == {"counts": again["counts"], "not_counted": again["not_counted"]}
    assert issued["counts"]["late"] == 17


async def test_draft_and_issued_report_break_down_as_the_kpi_routes_by_dimension(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys], agreement_id: str
) -> None:
    _, admin, _ = api
    base = f"/v1/agreements/{agreement_id}/reports"
    kpis = f"/v1/agreements/{agreement_id}/kpis"
    draft = (await admin.get(f"{base}/2026-10")).json()
    assert (await admin.post(f"{base}/2026-10/issue")).status_code == 201
    issued = (await admin.get(f"{base}/2026-10?version=1")).json()

    assert issued["breakdowns"] == draft["breakdowns"]
    assert {b["dimension"] for b in draft["breakdowns"]} == {"priority", "channel", "queue", "team"}
    for b in draft["breakdowns"]:
        by = (await admin.get(kpis, params={"period": "2026-10", "by": b["dimension"]})).json()
        api_slices = {
            s["slice"]: (s["figures"][b["kpi"]]["value"], s["figures"][b["kpi"]]["n"])
            for s in by["windows"]["2026-10"]["slices"]
            if s["figures"][b["kpi"]]["n"] > 0
        }
        assert b["available"]
        assert {s["key"]: (s["value"], s["n"]) for s in b["slices"]} == api_slices, b["kpi"]
    assert any(b["slices"] for b in draft["breakdowns"])
