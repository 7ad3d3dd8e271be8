"""The agreement routes over the real PostgreSQL and Kafka: stored, versioned, published."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.core.agreements.model import Agreement, targets_at
from services.core.contract.topics import agreements_topic
from services.core.messaging.agreement_topic import decode_params
from services.core.settings import KafkaSettings
from tests.integration.agreements_support import demo_body, read_topic, running_api

pytest_plugins = ["tests.integration.db_fixtures"]


@pytest.fixture
async def client(
    tmp_path: Path, migrated_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    async with running_api(migrated_database, kafka, tmp_path / "no-seed.yaml") as (_, http):
        yield http


async def test_put_stores_the_agreement_and_get_returns_it(
    client: httpx.AsyncClient, agreement_id: str
) -> None:
    body = demo_body(agreement_id, index=1)  # globex: not renewing, ends 2027-01-31

    created = await client.put(f"/v1/agreements/{agreement_id}", json=body)
    again = await client.put(f"/v1/agreements/{agreement_id}", json=body)
    got = (await client.get(f"/v1/agreements/{agreement_id}")).json()
    listed = (await client.get("/v1/agreements")).json()

    assert created.status_code == 201
    assert created.headers["location"] == f"/v1/agreements/{agreement_id}"
    assert again.status_code == 200
    assert got == again.json() | {"status": got["status"]}
    assert got["version"] == 1  # the same document again is not a change
    assert got["agreement"]["parties"] == body["parties"]
    assert got["agreement"]["frt_target_seconds"] == {
        "low": 7200,
        "normal": 3600,
        "high": 1800,
        "urgent": 600,
    }
    assert [t["target_id"] for t in got["current_targets"]] == [
        "abandonment",
        "aht",
        "csat",
        "frt-attainment",
        "service-level",
    ]
    [item] = [a for a in listed if a["agreement_id"] == agreement_id]
    assert item == {
        "agreement_id": agreement_id,
        "name": "Globex 24/7 hotline",
        "client": "globex",
        "provider": "supportco",
        "status": got["status"],
        "timezone": "America/New_York",
    }
    today = datetime.now(UTC).date().isoformat()
    assert got["status"] == ("expiring" if today < "2027-02-01" else "expired")


async def test_a_target_change_is_a_new_version_and_reaches_the_topic(
    client: httpx.AsyncClient, agreement_id: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    url = f"/v1/agreements/{agreement_id}"
    assert (await client.put(url, json=demo_body(agreement_id))).status_code == 201
    change = {"effective_from": "2026-07-01T00:00:00+02:00", "target": 0.95, "at_risk_band": 0.01}

    patched = await client.patch(f"{url}/targets/frt-attainment", json=change)
    repeated = await client.patch(f"{url}/targets/frt-attainment", json=change)
    conflict = await client.patch(f"{url}/targets/frt-attainment", json={**change, "target": 0.5})
    document = Agreement.model_validate((await client.get(url)).json()["agreement"])

    assert patched.status_code == repeated.status_code == 200
    history = patched.json()
    assert [(v["effective_from"], v["target"]) for v in history["versions"]] == [
        ("2025-12-31T23:00:00Z", 0.9),
        ("2026-06-30T22:00:00Z", 0.95),
    ]
    assert history["current"]["target"] == 0.95
    assert repeated.json() == history
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["type"] == "urn:slawatch:problem:target-conflict"

    def frt_at(instant: str) -> float:
        at = datetime.fromisoformat(instant)
        return next(t.target for t in targets_at(document, at) if t.target_id == "frt-attainment")

    assert frt_at("2026-06-30T21:59:59Z") == 0.9  # the old version still holds before
    assert frt_at("2026-06-30T22:00:00Z") == 0.95

    messages = await read_topic(kafka_bootstrap, agreements_topic(topic_prefix))
    mine = [(value, headers) for key, value, headers in messages if key == agreement_id]
    last, headers = mine[-1]
    assert Agreement.model_validate(last) == document
    assert headers["version"] == "2"


async def test_dated_clock_target_changes_are_stored_and_reach_the_workers(
    client: httpx.AsyncClient, agreement_id: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    url = f"/v1/agreements/{agreement_id}"
    urgent = {"low": 7200, "normal": 3600, "high": 1800, "urgent": 300}
    change = {"effective_from": "2026-10-15T00:00:00-04:00", "frt_target_seconds": urgent}
    earlier = {**change, "effective_from": "2026-10-01T00:00:00Z"}
    body = demo_body(agreement_id, index=1)

    unsorted = await client.put(url, json={**body, "clock_target_changes": [change, earlier]})
    created = await client.put(url, json={**body, "clock_target_changes": [change]})
    got = (await client.get(url)).json()["agreement"]["clock_target_changes"]

    assert unsorted.status_code == 422
    assert "oldest first" in unsorted.text
    assert created.status_code == 201, created.text
    assert got == [
        {
            "effective_from": "2026-10-15T04:00:00Z",
            "frt_target_seconds": urgent,
            "resolution_target_seconds": None,
        }
    ]
    messages = await read_topic(kafka_bootstrap, agreements_topic(topic_prefix))
    last = [value for key, value, _ in messages if key == agreement_id][-1]
    params, _ = decode_params(json.dumps(last).encode())
    at = datetime(2026, 10, 15, 4, tzinfo=UTC).timestamp()
    assert params.clock_target("frt_target_seconds", "urgent", at - 1) == 600
    assert params.clock_target("frt_target_seconds", "urgent", at) == 300


async def test_measures_are_listed_read_and_replaced(
    client: httpx.AsyncClient, agreement_id: str
) -> None:
    url = f"/v1/agreements/{agreement_id}"
    await client.put(url, json=demo_body(agreement_id))
    measure = {"measure_id": "coaching", "kind": "training", "title": "Coaching", "owner": "TL"}

    created = await client.put(f"{url}/measures/coaching", json=measure)
    done = {**measure, "status": "done", "actual_start": "2026-10-01", "actual_end": "2026-11-01"}
    replaced = await client.put(f"{url}/measures/coaching", json=done)
    one = await client.get(f"{url}/measures/coaching")
    listed = await client.get(f"{url}/measures")

    assert (created.status_code, replaced.status_code) == (201, 200)
    assert one.json()["status"] == "done"
    assert [m["measure_id"] for m in listed.json()] == [
        "chat-routing",
        "coaching",
        "kb-returns",
        "triage-training",
    ]
    assert (await client.get(url)).json()["version"] == 3


async def test_errors_are_problems_and_delete_publishes_a_tombstone(
    client: httpx.AsyncClient, agreement_id: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    url = f"/v1/agreements/{agreement_id}"
    body = demo_body(agreement_id)
    bad_kpi = {**body, "targets": [{**body["targets"][0], "kpi": "happiness"}]}
    cases = [
        (await client.get(url), 404, "unknown-agreement"),
        (await client.put(url, json={**body, "agreement_id": "other"}), 422, "invalid-agreement"),
        (await client.put(url, json=bad_kpi), 422, "invalid-request"),
        (await client.put(f"{url}/measures/m", json={}), 422, "invalid-request"),
    ]
    await client.put(url, json=body)
    patch = {"effective_from": "2027-01-01T00:00:00Z", "target": 0.5}
    cases += [
        (await client.patch(f"{url}/targets/nope", json=patch), 404, "unknown-target"),
        (await client.patch(f"{url}/targets/csat", json={"target": 0.5}), 422, "invalid-request"),
        (
            await client.patch(f"{url}/targets/csat", json={**patch, "target": 7}),
            422,
            "invalid-agreement",
        ),
        (await client.get(f"{url}/measures/nope"), 404, "unknown-measure"),
        (await client.delete(url), 204, None),
        (await client.delete(url), 404, "unknown-agreement"),
    ]

    for response, status, kind in cases:
        assert response.status_code == status, response.text
        if kind is not None:
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == f"urn:slawatch:problem:{kind}"
    assert "happiness" in cases[2][0].text
    messages = await read_topic(kafka_bootstrap, agreements_topic(topic_prefix))
    assert [value is None for key, value, _ in messages if key == agreement_id][-1]


async def test_openapi_documents_the_agreement_routes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    put = schema["paths"]["/v1/agreements/{agreement_id}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["examples"]["acme"]["value"]
    assert set(put["responses"]["409"]["content"]) == {"application/problem+json"}
    patch = schema["paths"]["/v1/agreements/{agreement_id}/targets/{target_id}"]["patch"]
    assert patch["responses"]["404"]["content"]
    assert schema["components"]["schemas"]["TargetPatch"]["examples"]
