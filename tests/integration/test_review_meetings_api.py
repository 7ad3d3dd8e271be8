"""The review meeting record over the API and the real PostgreSQL: draft, close, versions,
action item -> measure in one call, roles, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.auth.access import Role
from services.core.meetings import service
from services.core.settings import KafkaSettings, ReportSettings
from tests.auth import MemoryKeys, bearer
from tests.integration.agreements_support import running_api
from tests.integration.report_support import write_seed

Api = tuple[FastAPI, httpx.AsyncClient, MemoryKeys]


@pytest.fixture
async def api(
    tmp_path: Path, migrated_database: str, kafka_bootstrap: str, agreement_id: str
) -> AsyncIterator[Api]:
    keys = MemoryKeys()
    seed = write_seed(tmp_path / "a.yaml", agreement_id)
    async with running_api(
        migrated_database,
        KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{agreement_id}"),
        seed,
        lookup_key=keys.lookup,
        report_settings=ReportSettings(schedule_enabled=False, mail_mode="off"),
    ) as (app, client):
        yield app, client, keys


def record(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meeting_date": "2026-10-08",
        "attendees": [
            {"name": "Li Wei", "party": "client", "organisation": "ACME", "role": "Owner"},
            {"name": "Dana Okafor", "party": "provider", "role": "Account manager"},
        ],
        "decisions": ["Renew the agreement for one year."],
        "action_items": [
            {
                "item_id": "call-scripts",
                "title": "New call scripts for returns",
                "owner": "Dana Okafor",
                "due_date": "2026-11-30",
                "targets": ["aht", "fcr"],
            },
            {
                "item_id": "survey-wording",
                "title": "Shorter CSAT survey",
                "owner": "Li Wei",
                "due_date": "2026-12-15",
                "targets": ["csat"],
                "status": "done",
                "note": "Agreed wording in the meeting.",
            },
        ],
    }
    return {**body, **changes}


async def test_a_record_is_drafted_closed_and_versioned_and_closed_versions_never_change(
    api: Api, agreement_id: str, db_session: AsyncSession
) -> None:
    _, admin, keys = api
    viewer = bearer(keys.issue(Role.VIEWER, "acme"))
    stranger = bearer(keys.issue(Role.VIEWER, "globex"))
    url = f"/v1/agreements/{agreement_id}/reviews/2026-Q4/meeting"

    assert (await admin.get(url)).status_code == 404
    assert (await admin.put(url, json=record(), headers=viewer)).status_code == 403
    first = await admin.put(url, json=record(decisions=[]))
    assert (first.status_code, first.json()["version"], first.json()["state"]) == (201, 1, "draft")
    assert (await admin.get(url, headers=viewer)).status_code == 404  # drafts: admins only
    edited = await admin.put(url, json=record())
    assert (edited.status_code, edited.json()["version"]) == (200, 1)  # a draft: in place
    assert (await admin.post(f"{url}/close", headers=viewer)).status_code == 403

    closed = await admin.post(f"{url}/close")
    assert (closed.json()["version"], closed.json()["state"]) == (1, "closed")
    v1 = (await admin.get(url, headers=viewer)).json()
    assert (v1["record"]["meeting_date"], v1["record"]["decisions"]) == (
        "2026-10-08",
        record()["decisions"],
    )
    organisations = [a["organisation"] for a in v1["record"]["attendees"]]
    assert organisations == ["ACME", "SupportCo Ltd"]  # the agreement's provider party
    assert v1["record"]["action_items"][0]["measure_id"] is None
    assert (await admin.get(url, headers=stranger)).status_code == 404

    amended = record(decisions=["Renew the agreement for one year.", "Meet monthly."])
    second = await admin.put(url, json=amended)
    assert (second.status_code, second.json()["version"], second.json()["state"]) == (
        200,
        2,
        "closed",
    )
    again = await admin.put(url, json=amended)
    assert again.json()["version"] == 2  # nothing changed, no version
    assert (await admin.get(f"{url}/versions/1", headers=viewer)).json() == v1
    listed = (await admin.get(f"{url}/versions", headers=viewer)).json()["versions"]
    assert [v["version"] for v in listed] == [1, 2]
    assert listed[1]["record"]["decisions"][1] == "Meet monthly."
    assert (await admin.get(f"{url}/versions/3")).status_code == 404

    with pytest.raises(DBAPIError, match="closed and cannot change"):
        await db_session.execute(
            text("UPDATE review_meetings SET content = '{}' WHERE agreement_id = :a"),
            {"a": agreement_id},
        )
    await db_session.rollback()
    assert (await admin.get(f"{url}/versions/1")).json() == v1


async def test_an_action_item_becomes_a_measure_in_one_call_and_feeds_the_next_pack(
    api: Api, agreement_id: str, db_session: AsyncSession
) -> None:
    _, admin, keys = api
    viewer = bearer(keys.issue(Role.VIEWER, "acme"))
    url = f"/v1/agreements/{agreement_id}/reviews/2026-Q3/meeting"
    await admin.put(url, json=record())
    await admin.post(f"{url}/close")
    to_measure = f"{url}/action-items/call-scripts/measure"

    assert (await admin.post(to_measure, headers=viewer)).status_code == 403
    made = await admin.post(to_measure, json={"kind": "process_change"})
    assert made.status_code == 201
    measure = made.json()["measure"]
    assert (measure["measure_id"], measure["kind"], measure["planned_end"]) == (
        "call-scripts",
        "process_change",
        "2026-11-30",
    )
    assert measure["kpis"] == ["aht_mean_seconds", "fcr_rate"]
    assert measure["action_item"] == {"quarter": "2026-Q3", "item_id": "call-scripts"}
    assert (made.json()["meeting"]["version"], made.json()["meeting"]["state"]) == (2, "closed")
    stored = await admin.get(f"/v1/agreements/{agreement_id}/measures/call-scripts")
    assert stored.json() == measure
    items = (await admin.get(url, headers=viewer)).json()["record"]["action_items"]
    assert [i["measure_id"] for i in items] == ["call-scripts", None]
    old = (await admin.get(f"{url}/versions/1")).json()["record"]["action_items"]
    assert old[0]["measure_id"] is None

    twice = await admin.post(to_measure)
    assert (twice.status_code, twice.json()["type"]) == (
        409,
        "urn:slawatch:problem:item-has-measure",
    )
    clash = await admin.post(
        f"{url}/action-items/survey-wording/measure", json={"measure_id": "kb-returns"}
    )
    assert (clash.status_code, clash.json()["type"]) == (409, "urn:slawatch:problem:measure-exists")
    missing = await admin.post(f"{url}/action-items/nope/measure")
    assert (missing.status_code, missing.json()["type"]) == (
        404,
        "urn:slawatch:problem:unknown-action-item",
    )
    bad_dates = await admin.post(
        f"{url}/action-items/survey-wording/measure", json={"planned_start": "2027-01-01"}
    )
    assert (bad_dates.status_code, bad_dates.json()["type"]) == (
        422,
        "urn:slawatch:problem:invalid-measure",
    )

    states = await service.previous_action_items(db_session, agreement_id, "2026-Q4")
    assert [(s.item_id, s.status, s.measure_id, s.measure_status) for s in states] == [
        ("call-scripts", "open", "call-scripts", "planned"),
        ("survey-wording", "done", None, None),
    ]


async def test_bad_input_is_refused_with_a_reason(api: Api, agreement_id: str) -> None:
    _, admin, _ = api
    base = f"/v1/agreements/{agreement_id}/reviews"
    url = f"{base}/2026-Q4/meeting"

    async def refused(response: httpx.Response, status: int, kind: str) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"] == f"urn:slawatch:problem:{kind}"
        assert response.json()["detail"]

    await refused(await admin.put(f"{base}/2026-Q5/meeting", json=record()), 422, "invalid-request")
    await refused(await admin.post(f"{url}/close"), 404, "unknown-meeting")
    items = record()["action_items"]
    unknown_target = [{**items[0], "targets": ["aht", "nps"]}]
    await refused(
        await admin.put(url, json=record(action_items=unknown_target)), 422, "unknown-target"
    )
    await refused(
        await admin.put(url, json=record(action_items=[items[0], items[0]])),
        422,
        "invalid-request",
    )
    bad_status = [{**items[0], "status": "maybe"}]
    await refused(
        await admin.put(url, json=record(action_items=bad_status)), 422, "invalid-request"
    )
    await refused(
        await admin.put(
            f"/v1/agreements/nope-{agreement_id}/reviews/2026-Q4/meeting", json=record()
        ),
        404,
        "unknown-agreement",
    )

    one_party = record(attendees=record()["attendees"][:1])
    assert (await admin.put(url, json=one_party)).status_code == 201
    await refused(await admin.post(f"{url}/close"), 422, "meeting-incomplete")
    assert (await admin.put(url, json=record())).status_code == 200
    assert (await admin.post(f"{url}/action-items/call-scripts/measure")).status_code == 201
    relinked = [{**items[0], "measure_id": "other"}, items[1]]
    await refused(await admin.put(url, json=record(action_items=relinked)), 422, "invalid-meeting")
    await refused(await admin.put(url, json=record(action_items=items[1:])), 422, "linked-item")
    kept = await admin.put(url, json=record(action_items=[{**items[0], "status": "dropped"}]))
    assert kept.json()["record"]["action_items"][0]["measure_id"] == "call-scripts"
