"""`slawatch-backfill <zendesk connector> --format ticket-events` end to end: a two-page export
of Zendesk's incremental ticket events -> Kafka -> worker -> the hand-computed KPI figures.

The connector is configured through the API with lossy `comment_author_inferred` (the
export names comment authors by id only). Page 1 creates both tickets; their requesters are
needed on page 2 to tell the agents' replies from the customers'. Run twice, the backfill
publishes nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from services.api.main import create_app as create_api
from services.core.settings import ApiSettings, ConnectorsSettings, DatabaseSettings, KafkaSettings
from services.ingest.backfill.main import parse_args, run_backfill
from tests.auth import ADMIN, ADMIN_HEADERS
from tests.integration.stack import WorkerProcess, worker_env, write_agreements
from tests.integration.test_connectors_helpdesks import SECRET, figures_at
from tests.zendesk_export import ze_change, ze_comment, ze_create, ze_event, ze_page

CONNECTOR_SUFFIX = "zd-export"


@dataclass
class Backfill:
    api: httpx.AsyncClient
    worker: WorkerProcess
    agreement: str
    connector: str
    kafka: KafkaSettings
    database: DatabaseSettings
    connectors: ConnectorsSettings


@pytest.fixture
async def stack(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> AsyncIterator[Backfill]:
    """The API in process, a real worker, a 24/7 agreement of the test's own; no ingest (the
    backfill publishes straight to the family topics)."""
    agreements, mapping = write_agreements(tmp_path, topic_prefix)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    database = DatabaseSettings(database_url=migrated_database)
    connectors = ConnectorsSettings(
        secrets_key=SecretStr(Fernet.generate_key().decode()), config_cache_seconds=0
    )
    api = create_api(
        ApiSettings(agreements_file=agreements),
        database,
        kafka,
        refresh_interval_seconds=0.5,
        security=ADMIN,
        connectors=connectors,
    )
    env = worker_env(topic_prefix, agreements, migrated_database, kafka_bootstrap, tmp_path)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    async with api.router.lifespan_context(api):
        worker.start()
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api), base_url="http://a", headers=ADMIN_HEADERS
            ) as client:
                agreement = mapping["globex-hotline"]
                connector = f"{topic_prefix}-{CONNECTOR_SUFFIX}"
                yield Backfill(client, worker, agreement, connector, kafka, database, connectors)
        finally:
            worker.stop()


def at(hhmm: str) -> str:
    return f"2026-10-21T{hhmm}:00Z"


def export_pages() -> list[dict[str, Any]]:
    """Two tickets on 2026-10-21 (UTC), requesters 5501 and 5502, agents 9100 and 9101.

    T201 (high, email): created 10:00 (its description is no reply); requester 10:05 (a
      customer reply); 9100 10:20 -> FRT 1200 s; solved 10:50 -> resolution 3000 s; rated
      good 11:15 -> csat 1.0.
    T202 (normal, web): created 10:10; private note 10:25 and the system user's comment
      10:26 (no replies); 9101 10:40 -> FRT 1800 s; solved 11:10 by its assignee 9101 ->
      resolution 3600 s.
    FRT mean 1500 s, resolution mean 3300 s, stream time 11:15.
    """
    created_201 = ze_event(
        1, 201, at("10:00"), 5501,
        ze_create(5501, priority="high", assignee=9100),
        ze_comment(3001, 5501, at("10:00"), body="Printer on fire"),
        channel="email",
    )  # fmt: skip
    created_202 = ze_event(
        2, 202, at("10:10"), 5502, ze_create(5502), ze_comment(3002, 5502, at("10:10"))
    )
    page_1 = ze_page(
        created_201,
        created_202,
        ze_event(3, 201, at("10:05"), 5501, ze_comment(3003, 5501, at("10:05"))),
        ze_event(4, 201, at("10:20"), 9100, ze_comment(3004, 9100, at("10:20"))),
    )
    page_2 = ze_page(
        ze_event(5, 202, at("10:25"), 9101, ze_comment(3005, 9101, at("10:25"), public=False)),
        ze_event(6, 202, at("10:26"), -1, ze_comment(3006, -1, at("10:26"))),
        ze_event(
            7,
            202,
            at("10:40"),
            9101,
            ze_change("assignee_id", 9101, None),
            ze_comment(3007, 9101, at("10:40")),
        ),
        ze_event(8, 201, at("10:50"), 9100, ze_change("status", "solved", "open")),
        ze_event(9, 202, at("11:10"), 9101, ze_change("status", "solved", "open")),
        ze_event(10, 201, at("11:15"), 5501, ze_change("satisfaction_score", "good", "offered")),
        last=True,
    )
    return [page_1, page_2]


async def test_a_ticket_events_export_backfills_the_hand_computed_figures(
    stack: Backfill, tmp_path: Path
) -> None:
    body = {"tool": "zendesk", "secret": SECRET, "lossy": ["comment_author_inferred"]}
    url = f"/v1/agreements/{stack.agreement}/connectors/{stack.connector}"
    response = await stack.api.put(url, json=body)
    assert response.status_code == 201, response.text
    export = tmp_path / "ticket_events.jsonl"
    export.write_text("".join(json.dumps(page) + "\n" for page in export_pages()))
    argv = [
        stack.connector, str(export), "--format", "ticket-events",
        "--checkpoint", str(tmp_path / "cp.json"), "--batch-events", "2",
    ]  # fmt: skip
    settings = (stack.kafka, stack.database, stack.connectors)

    report = await run_backfill(parse_args(argv), *settings)
    # created x2, replies 10:05 / 10:20 / 10:40, resolved x2, the rating.
    assert (report.records, report.events, report.refused) == (10, 8, 0)
    again = await run_backfill(parse_args(argv), *settings)
    assert (again.events, again.files_skipped) == (0, [str(export)])

    day = await figures_at(
        stack.api,
        stack.agreement,
        at("11:15"),
        stack.worker,
        frt_mean_seconds=2,
        resolution_mean_seconds=2,
        csat=1,
    )
    assert day["tickets_created"] == {"value": 2.0, "n": 2}
    assert day["frt_mean_seconds"]["value"] == pytest.approx(1500.0)
    assert day["resolution_mean_seconds"]["value"] == pytest.approx(3300.0)
    assert day["csat"]["value"] == pytest.approx(1.0)
    letters = await stack.api.get(f"{url}/dead-letters")
    assert letters.json()["count"] == 0
