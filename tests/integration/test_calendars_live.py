"""Shared calendars end to end: the API stores them, `load_holidays` loads mainland China's
2026 arrangement with one command, and a worker's agreements feed puts the new calendar into
the agreement it already measures, without a restart: FRT then changes exactly as worked out
by hand below.

The desk: Asia/Shanghai (UTC+8, no DST), Monday to Friday 09:00-12:00 and 13:00-18:00, 8 h a
day. China 2026 (State Council notice, as the `holidays` package has it): days off include
16-20 and 23 Feb (Spring Festival) and 1-7 Oct (Golden Week, 3-4 Oct being a weekend), make-up
working days Sat 14 Feb, Sun 20 Sep and Sat 10 Oct among others, worked with a normal day's
hours (`--hours`, default 09:00-12:00,13:00-18:00).

Ticket (created -> first agent reply), FRT with weekly hours only -> after the load:
- A: Fri 13 Feb 17:00 -> Sat 14 Feb 10:00. Before: Fri 17-18 = 1 h (Saturday closed).
  After: 1 h + make-up Saturday 09-10 = 2 h.
- B: Fri 13 Feb 16:00 -> Tue 24 Feb 10:00. Before: Fri 2 h + Mon 16 to Fri 20 Feb 5 x 8 h
  + Mon 23 Feb 8 h + Tue 09-10 1 h = 51 h. After: Fri 2 h + Sat 14 Feb 8 h + Tue 1 h = 11 h
  (16-20 and 23 Feb are holidays, 21-22 Feb a weekend).
- C: Wed 30 Sep 17:30 -> Thu 8 Oct 09:30. Before: 0.5 h + Thu 1, Fri 2, Mon 5, Tue 6, Wed 7
  Oct 5 x 8 h + 0.5 h = 41 h. After: 0.5 h + 0.5 h = 1 h (Golden Week closed).
- D: Sat 19 Sep 12:00 -> Mon 21 Sep 10:00. Before: Mon 09-10 = 1 h. After: make-up Sunday
  20 Sep 8 h + 1 h = 9 h.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import agreements_topic
from services.core.kpi.params import MeasurementParams
from services.core.settings import KafkaSettings
from services.metrics.agreements_feed import AgreementsFeed
from tests.engine_harness import Harness
from tests.integration.agreements_support import demo_body, read_topic, running_api
from tests.oracle import figures as oracle

pytest_plugins = ["tests.integration.db_fixtures"]
HOUR = 3_600.0
DEADLINE_SECONDS = 60
DESK = [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]
PLAIN_2026 = {"weekly_hours": {day: DESK for day in ("mon", "tue", "wed", "thu", "fri")}}
# ticket -> (created, first agent reply, period, FRT hours before the load, after it)
TICKETS = {
    "A": ("2026-02-13T17:00:00+08:00", "2026-02-14T10:00:00+08:00", "2026-02", 1, 2),
    "B": ("2026-02-13T16:00:00+08:00", "2026-02-24T10:00:00+08:00", "2026-02", 51, 11),
    "C": ("2026-09-30T17:30:00+08:00", "2026-10-08T09:30:00+08:00", "2026-10", 41, 1),
    "D": ("2026-09-19T12:00:00+08:00", "2026-09-21T10:00:00+08:00", "2026-09", 1, 9),
}


def events(agreement_id: str, name: str) -> list[EventBase]:
    created, replied, *_ = TICKETS[name]
    common = {"agreement_id": agreement_id, "ticket_id": name}
    return [
        parse_event(
            {
                **common,
                "event_id": f"{name}-c",
                "type": "ticket.created",
                "occurred_at": created,
                "customer_id": "c1",
                "channel": "email",
                "priority": "normal",
            }
        ),
        parse_event(
            {
                **common,
                "event_id": f"{name}-r",
                "type": "ticket.replied",
                "occurred_at": replied,
                "author": "agent",
                "agent_id": "a1",
            }
        ),
    ]


def frt_hours(params: MeasurementParams, name: str) -> float:
    """FRT of one ticket alone, from the engine; the oracle must say the same."""
    agreements = {params.agreement_id: params}
    harness = Harness(agreements)
    history = events(params.agreement_id, name)
    harness.publish(history)
    harness.consume()
    period = TICKETS[name][2]
    figure = harness.evaluate(params.agreement_id, period).figures["frt_mean_seconds"]
    stream_time = oracle.stream_time(history, params.agreement_id)
    assert stream_time is not None
    start, end = oracle.period_bounds(period, params.zone)
    want = oracle.batch_figures(history, agreements, params.agreement_id, start, end, stream_time)
    assert figure.value == pytest.approx(want["frt_mean_seconds"].value)
    assert figure.value is not None
    return figure.value / HOUR


async def until_changed(feed: AgreementsFeed, agreement_id: str, before: Any) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while feed.agreements[agreement_id].calendar == before:
        if time.monotonic() > deadline:
            pytest.fail(f"the feed never applied the loaded calendar in {DEADLINE_SECONDS}s")
        await asyncio.sleep(0.2)


@pytest.fixture
async def api(
    tmp_path: Path, migrated_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[tuple[httpx.AsyncClient, KafkaSettings]]:
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    async with running_api(migrated_database, kafka, tmp_path / "no-seed.yaml") as (_, http):
        yield http, kafka


async def load_holidays(calendar_id: str, database_url: str, kafka: KafkaSettings) -> str:
    """Run the one command, as an operator would, in its own process."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
    }
    command = ["-m", "services.admin.load_holidays", "--country", "CN", "--year", "2026"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        "--calendar",
        calendar_id,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), DEADLINE_SECONDS)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_cn_2026_loaded_with_one_command_changes_frt_as_worked_out(
    api: tuple[httpx.AsyncClient, KafkaSettings], agreement_id: str, migrated_database: str
) -> None:
    http, kafka = api
    calendar_id = f"cn-{agreement_id}"
    body = {"name": "CN desk", "years": {"2026": PLAIN_2026}}
    assert (await http.put(f"/v1/calendars/{calendar_id}", json=body)).status_code == 201
    agreement = {**demo_body(agreement_id), "timezone": "Asia/Shanghai"}
    agreement.pop("calendar")
    agreement["calendar_id"] = calendar_id
    assert (await http.put(f"/v1/agreements/{agreement_id}", json=agreement)).status_code == 201

    feed = AgreementsFeed(kafka, {})
    await feed.catch_up()
    before = feed.agreements[agreement_id]
    assert {name: frt_hours(before, name) for name in TICKETS} == {
        name: case[3] for name, case in TICKETS.items()
    }

    follower = asyncio.create_task(feed.follow())
    try:
        output = await load_holidays(calendar_id, migrated_database, kafka)
        assert "6 extra working days in 2026" in output
        await until_changed(feed, agreement_id, before.calendar)
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
    after = feed.agreements[agreement_id]
    assert {name: frt_hours(after, name) for name in TICKETS} == {
        name: case[4] for name, case in TICKETS.items()
    }
    # Editable afterwards: the API shows what the command stored.
    stored = (await http.get(f"/v1/calendars/{calendar_id}")).json()
    assert stored["version"] == 2
    assert "2026-10-07" in stored["calendar"]["years"]["2026"]["holidays"]
    assert "2026-10-10" in stored["calendar"]["years"]["2026"]["extra_working_days"]


async def test_calendar_routes_store_version_publish_and_refuse(
    api: tuple[httpx.AsyncClient, KafkaSettings], agreement_id: str
) -> None:
    http, kafka = api
    calendar_id = f"desk-{agreement_id}"
    path = f"/v1/calendars/{calendar_id}"
    body = {"name": "Desk", "years": {"2026": PLAIN_2026}}

    assert (await http.get(path)).json()["type"] == "urn:slawatch:problem:unknown-calendar"
    first = await http.put(path, json=body)
    again = await http.put(path, json=body)  # the same document is no change
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["version"] == 1
    eve = {"2026-09-30": [DESK[0], {"start": "13:00", "end": "15:00"}]}
    changed = {"name": "Desk", "years": {"2026": {**PLAIN_2026, "special_hours": eve}}}
    assert (await http.put(path, json=changed)).json()["version"] == 2
    listed = [
        c for c in (await http.get("/v1/calendars")).json() if c["calendar_id"] == calendar_id
    ]
    assert listed == [{"calendar_id": calendar_id, "name": "Desk", "years": [2026], "version": 2}]

    stray = {"name": "Desk", "years": {"2027": {**PLAIN_2026, "holidays": ["2026-12-25"]}}}
    refused = await http.put(path, json=stray)
    assert refused.status_code == 422
    assert "the 2027 version has dates in [2026]" in refused.text

    agreement = {**demo_body(agreement_id), "calendar_id": "nobody-stored-this"}
    agreement.pop("calendar")
    refused = await http.put(f"/v1/agreements/{agreement_id}", json=agreement)
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:slawatch:problem:unknown-calendar"

    messages = await read_topic(kafka.bootstrap_servers, agreements_topic(kafka.topic_prefix))
    published = [
        (h["version"], v["name"]) for k, v, h in messages if k == f"calendar:{calendar_id}"
    ]
    assert published == [("1", "Desk"), ("1", "Desk"), ("2", "Desk")]
