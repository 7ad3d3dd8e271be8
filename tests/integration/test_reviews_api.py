"""Review packs over the real PostgreSQL: roles, issue, immutability, versions from new data,
formats and languages, the meeting record's action items, and effects as the effect route."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.auth.access import Role
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.windows import buckets_for
from services.core.meetings import service as meetings
from services.core.meetings.model import ActionItem, Attendee, MeetingRecord
from services.core.settings import KafkaSettings, ReportSettings
from services.core.storage import repository as repo
from services.core.storage.agreements_repo import get_agreement
from services.core.storage.repository import BucketRow
from tests.auth import MemoryKeys, bearer
from tests.integration.agreements_support import demo_body, running_api
from tests.review_scenario import MEASURES, STREAM_TIME, ZONE, bucket_rows

DEC_10 = datetime(2026, 12, 10, 12, tzinfo=UTC).timestamp()


def write_seed(path: Path, agreement_id: str) -> Path:
    """The demo agreement as `agreement_id`, with the scenario's two measures."""
    body = demo_body(agreement_id)
    body["measures"] = [m.model_dump(mode="json", exclude_none=True) for m in MEASURES]
    path.write_text(yaml.safe_dump({"agreements": [body]}, allow_unicode=True))
    return path


@pytest.fixture
async def api(
    tmp_path: Path,
    migrated_database: str,
    kafka_bootstrap: str,
    agreement_id: str,
    db_session: AsyncSession,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, MemoryKeys]]:
    keys = MemoryKeys()
    async with running_api(
        migrated_database,
        KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{agreement_id}"),
        write_seed(tmp_path / "a.yaml", agreement_id),
        lookup_key=keys.lookup,
        report_settings=ReportSettings(schedule_enabled=False, mail_mode="off"),
    ) as (app, client):
        await repo.upsert_buckets(db_session, bucket_rows(agreement_id))
        await repo.upsert_stream_positions(db_session, [(agreement_id, "calls", 0, STREAM_TIME)])
        await db_session.commit()
        yield app, client, keys


def canonical_hash(document: dict[str, Any]) -> str:
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


async def store_late_call(session: AsyncSession, agreement_id: str, at: float) -> None:
    """One more long call in its own partition: late data that changes December's AHT."""
    rows = []
    for granularity, start in buckets_for(at, ZONE):
        agg = Aggregate()
        agg.apply(Fact(FactKind.HANDLED_CALL, at, 5_000.0))
        rows.append(BucketRow(agreement_id, "calls", 9, granularity, start, agg.to_dict()))
    await repo.upsert_buckets(session, rows)
    await session.commit()


async def test_a_pack_is_read_by_role_issued_immutable_and_versioned_by_new_data(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys],
    agreement_id: str,
    db_session: AsyncSession,
) -> None:
    _, admin, keys = api
    viewer = bearer(keys.issue(Role.VIEWER, "acme"))
    stranger = bearer(keys.issue(Role.VIEWER, "globex"))
    base = f"/v1/agreements/{agreement_id}/reviews"

    assert (await admin.get(base, headers=viewer)).json()["versions"] == []
    assert (await admin.get(f"{base}/2026-Q4", headers=viewer)).status_code == 404
    assert (await admin.get(base, headers=stranger)).status_code == 404
    draft = (await admin.get(f"{base}/2026-Q4")).json()
    assert (draft["header"]["version"], draft["header"]["state"]) == (0, "preliminary")
    kpis = (await admin.get(f"/v1/agreements/{agreement_id}/kpis?period=2026-Q4")).json()
    for row in draft["targets"]:
        figure = kpis["windows"]["2026-Q4"]["figures"][row["kpi"]]
        assert (row["quarter"]["value"], row["quarter"]["n"]) == (figure["value"], figure["n"])

    assert (await admin.post(f"{base}/2026-Q4/issue", headers=viewer)).status_code == 403
    issued = await admin.post(f"{base}/2026-Q4/issue")
    assert issued.status_code == 201
    assert (issued.json()["version"], issued.json()["state"]) == (1, "final")
    again = await admin.post(f"{base}/2026-Q4/issue")
    assert (again.status_code, again.json()["version"]) == (200, 1)  # nothing changed

    seen = (await admin.get(f"{base}/2026-Q4", headers=viewer)).json()
    assert (seen["header"]["version"], seen["header"]["state"]) == (1, "final")
    assert canonical_hash(seen) == issued.json()["content_hash"]
    with pytest.raises(DBAPIError, match="cannot change"):
        await db_session.execute(
            text("UPDATE review_versions SET state = 'final' WHERE agreement_id = :a"),
            {"a": agreement_id},
        )
    await db_session.rollback()

    await store_late_call(db_session, agreement_id, DEC_10)
    second = await admin.post(f"{base}/2026-Q4/issue")
    assert (second.status_code, second.json()["version"]) == (201, 2)
    paths = {c["path"] for c in second.json()["changes"]}
    assert "targets[aht].quarter.n" in paths
    assert "trends[aht].monthly[2026-12].value" in paths
    listed = (await admin.get(base, headers=viewer)).json()["versions"]
    assert [(v["quarter"], v["version"]) for v in listed] == [("2026-Q4", 2), ("2026-Q4", 1)]
    assert (await admin.get(f"{base}/2026-Q4?version=1", headers=viewer)).json() == seen
    assert (await admin.get(f"{base}/2026-Q4?version=0", headers=viewer)).status_code == 404


async def test_the_packs_effects_are_the_effect_routes_answers(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys], agreement_id: str
) -> None:
    _, admin, _ = api
    pack = (await admin.get(f"/v1/agreements/{agreement_id}/reviews/2026-Q4")).json()
    measures = {m["measure"]["measure_id"]: m for m in pack["measures"]}

    for measure_id in ("aht-coaching", "control"):
        route = f"/v1/agreements/{agreement_id}/measures/{measure_id}/effect?days=28"
        answer = (await admin.get(route)).json()
        (effect,) = measures[measure_id]["effects"]
        (expected,) = answer["effects"]
        assert effect["interval"] == expected["interval"]
        assert (effect["difference"], effect["n_before"]) == (
            expected["difference"],
            expected["n_before"],
        )
    assert measures["aht-coaching"]["effects"][0]["interval"][1] < 0
    low, high = measures["control"]["effects"][0]["interval"]
    assert low < 0 < high
    assert "not proof of cause" in pack["note"]


async def test_the_effect_window_is_chosen_when_the_pack_is_drafted_or_issued(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys], agreement_id: str
) -> None:
    _, admin, _ = api
    base = f"/v1/agreements/{agreement_id}/reviews/2026-Q4"
    draft = (await admin.get(f"{base}?effect_days=14")).json()
    measure = next(m for m in draft["measures"] if m["measure"]["measure_id"] == "aht-coaching")
    route = f"/v1/agreements/{agreement_id}/measures/aht-coaching/effect?days=14"
    (expected,) = (await admin.get(route)).json()["effects"]
    assert measure["effect_days"] == 14
    assert measure["effects"][0]["n_before"] == expected["n_before"]
    assert (await admin.get(f"{base}?effect_days=3")).status_code == 422


async def test_html_and_pdf_in_the_agreement_language_or_the_one_asked_for(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys], agreement_id: str
) -> None:
    _, admin, _ = api
    base = f"/v1/agreements/{agreement_id}/reviews"

    zh = await admin.get(f"{base}/2026-Q4.html")
    en = await admin.get(f"{base}/2026-Q4.html?lang=en")
    pdf = await admin.get(f"{base}/2026-Q4.pdf?lang=en")

    assert zh.headers["content-type"].startswith("text/html")
    assert "季度服务评审资料" in zh.text
    assert "Quarterly service review pack" in en.text
    assert (pdf.headers["content-type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")
    assert "-2026-Q4-v0-en.pdf" in pdf.headers["content-disposition"]
    assert (await admin.get(f"{base}/2026-Q5")).status_code == 422
    assert (await admin.get(f"{base}/2026-10")).status_code == 422
    assert (await admin.get(f"{base}/2026-Q4.docx")).status_code == 422
    assert (await admin.post(f"{base}/2026-13/issue")).status_code == 422
    assert (await admin.get("/v1/agreements/nope/reviews/2026-Q4")).status_code == 404


async def test_the_previous_reviews_action_items_and_what_became_of_them(
    api: tuple[FastAPI, httpx.AsyncClient, MemoryKeys],
    agreement_id: str,
    db_session: AsyncSession,
) -> None:
    _, admin, _ = api
    base = f"/v1/agreements/{agreement_id}/reviews"
    empty = (await admin.get(f"{base}/2026-Q4")).json()["action_items"]
    assert (empty["previous_quarter"], empty["items"]) == ("2026-Q3", [])

    now = datetime(2026, 10, 2, 9, tzinfo=UTC)
    items = tuple(
        ActionItem(item_id=i, title=f"Do {i}", owner="SupportCo", due_date=date(2026, 11, 30))
        for i in ("scripts", "faq")
    )
    record = MeetingRecord(
        meeting_date=date(2026, 10, 1),
        attendees=(
            Attendee(name="Li Wei", party="client", role="Service owner"),
            Attendee(name="Dana Okafor", party="provider", role="Account manager"),
        ),
        action_items=items,
    )
    async with db_session.begin():
        stored = await get_agreement(db_session, agreement_id)
        assert stored is not None
        await meetings.put_record(db_session, stored.agreement, "2026-Q3", record, now, "admin")
        await meetings.close(db_session, agreement_id, "2026-Q3", now, "admin")

    pack = (await admin.get(f"{base}/2026-Q4")).json()["action_items"]
    assert [(i["item_id"], i["status"], i["meeting_version"]) for i in pack["items"]] == [
        ("scripts", "open", 1),
        ("faq", "open", 1),
    ]
    page = (await admin.get(f"{base}/2026-Q4.html?lang=en")).text
    assert "Do scripts" in page.split('id="actions"')[1]
