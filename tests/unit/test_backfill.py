"""The backfill without a broker: readers, checkpoints, and resuming after an interrupt."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.core.connectors.base import ConnectorSettings
from services.core.connectors.zendesk import ZendeskConnector
from services.core.contract.events import EventBase, parse_event
from services.ingest.backfill.checkpoint import Checkpoint, CheckpointMismatch, load, save
from services.ingest.backfill.formats import export_format
from services.ingest.backfill.readers import ExportUnreadable, JsonLinesReader, PagesReader
from services.ingest.backfill.runner import backfill
from services.ingest.connectors.stored import Refused
from services.ingest.publisher import PublishError
from tests.connect_records import abandoned, answered
from tests.helpdesk_payloads import zd_call, zd_calls_page, zd_comment, zd_created, zd_status
from tests.zendesk_export import ze_change, ze_comment, ze_create, ze_event, ze_page

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
SETTINGS = ConnectorSettings(
    agreement_id="acme-cn", tool="connect", namespace="connect:acme", pseudonym_key=b"k" * 32
)
FMT = export_format("connect", "ctr-jsonl")


def _records(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        start = T0 + timedelta(minutes=i)
        phone = f"+86138001380{i % 7:02d}"
        out.append(answered(f"c-{i}", phone, start) if i % 3 else abandoned(f"c-{i}", phone, start))
    return out


def _write_jsonl(path: Path, records: Sequence[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


class _DeadLetters:
    def __init__(self) -> None:
        self.refused: list[Refused] = []

    async def put(self, refused: list[Refused]) -> None:
        self.refused += refused


class _Publisher:
    """Records what was acknowledged; fails on the `fail_on`-th publish (1-based)."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.published: list[EventBase] = []
        self.calls = 0
        self._fail_on = fail_on

    async def publish(self, events: Sequence[EventBase]) -> None:
        self.calls += 1
        if self.calls == self._fail_on:
            raise PublishError("broker gone")
        self.published += events


def test_json_lines_reader_resumes_at_a_byte_offset_and_reads_back_to_back_values(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ctr.jsonl"
    path.write_text('{"a": 1}{"a": 2}\n\n{"a": 3}\n')
    units = list(JsonLinesReader().units(path, 0))
    assert [u.records for u in units] == [[{"a": 1}, {"a": 2}], [{"a": 3}]]
    assert units[-1].end == path.stat().st_size
    assert [u.records for u in JsonLinesReader().units(path, units[0].end)] == [[{"a": 3}]]
    path.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(ExportUnreadable, match="byte 9"):
        list(JsonLinesReader().units(path, 0))


def test_pages_reader_counts_pages_and_resumes_after_one(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    pages = [{"calls": [{"id": 1}, {"id": 2}], "next_page": "x"}, {"calls": [{"id": 3}]}]
    _write_jsonl(path, pages)
    reader = PagesReader("calls")
    assert reader.total(path) == 2
    assert [u.records for u in reader.units(path, 1)] == [[{"id": 3}]]
    _write_jsonl(path, [{"tickets": []}])
    with pytest.raises(ExportUnreadable, match="'calls'"):
        list(reader.units(path, 0))


def test_a_checkpoint_of_another_agreement_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cp.json"
    save(Checkpoint("other", "connect", "ctr-jsonl", {"/x": 3}), path)
    assert load(path, "other", "connect", "ctr-jsonl").positions == {"/x": 3}
    with pytest.raises(CheckpointMismatch):
        load(path, "acme-cn", "connect", "ctr-jsonl")


async def test_run_twice_publishes_once(tmp_path: Path) -> None:
    export = _write_jsonl(tmp_path / "ctr.jsonl", _records(30))
    cp_path = tmp_path / "cp.json"
    sink = _DeadLetters()
    first = _Publisher()
    cp = load(cp_path, "acme-cn", "connect", "ctr-jsonl")
    report = await backfill([export], FMT, SETTINGS, first, sink, cp, cp_path, batch_events=7)
    assert report.records == 30
    assert report.events == len(first.published) == 80
    again = _Publisher()
    cp = load(cp_path, "acme-cn", "connect", "ctr-jsonl")
    report = await backfill([export], FMT, SETTINGS, again, sink, cp, cp_path, batch_events=7)
    assert again.published == []
    assert report.files_skipped == [str(export)]


async def test_an_interrupted_run_resumes_after_the_last_acknowledged_batch(tmp_path: Path) -> None:
    export = _write_jsonl(tmp_path / "ctr.jsonl", _records(30))
    cp_path = tmp_path / "cp.json"
    sink = _DeadLetters()
    broken = _Publisher(fail_on=4)
    cp = load(cp_path, "acme-cn", "connect", "ctr-jsonl")
    with pytest.raises(PublishError):
        await backfill([export], FMT, SETTINGS, broken, sink, cp, cp_path, batch_events=7)
    acknowledged = {e.event_id for e in broken.published}
    assert 0 < len(acknowledged) < 80
    resumed = _Publisher()
    cp = load(cp_path, "acme-cn", "connect", "ctr-jsonl")
    await backfill([export], FMT, SETTINGS, resumed, sink, cp, cp_path, batch_events=7)
    again = {e.event_id for e in resumed.published}
    # Nothing acknowledged is published again; everything is published once in all.
    assert not acknowledged & again
    assert len(acknowledged | again) == 80


async def test_unmappable_records_go_to_the_dead_letters_and_the_rest_is_published(
    tmp_path: Path,
) -> None:
    records: list[Any] = [
        *_records(3),
        {"Channel": "VOICE"},
        answered("c-9", "+86138", T0, hold=None),
    ]
    export = _write_jsonl(tmp_path / "ctr.jsonl", records)
    sink = _DeadLetters()
    publisher = _Publisher()
    cp = Checkpoint("acme-cn", "connect", "ctr-jsonl")
    report = await backfill([export], FMT, SETTINGS, publisher, sink, cp, None)
    assert report.refused == 2
    assert report.events == len(publisher.published) == 8
    assert [r.reason.split()[0] for r in sink.refused] == [
        "ContactId",
        "Agent.CustomerHoldDuration",
    ]
    assert json.loads(sink.refused[0].raw) == {"Channel": "VOICE"}


async def test_zendesk_calls_pages_go_through_the_zendesk_mapping_and_resume_by_page(
    tmp_path: Path,
) -> None:
    zendesk = ConnectorSettings(
        agreement_id="acme-cn",
        tool="zendesk",
        namespace="zd:acme",
        lossy=frozenset({"call_resolved_assumed"}),
    )
    pages = [
        zd_calls_page(zd_call(1, "2026-10-05T09:00:00Z"), zd_call(2, "2026-10-05T09:05:00Z")),
        zd_calls_page(zd_call(3, "2026-10-05T09:10:00Z", status="abandoned_in_queue")),
    ]
    export = _write_jsonl(tmp_path / "calls.jsonl", pages)
    fmt = export_format("zendesk", "calls")
    cp_path = tmp_path / "cp.json"
    cp = load(cp_path, "acme-cn", "zendesk", "calls")
    cp.advance(export, 1)  # as if the first page had been published before an interrupt
    publisher = _Publisher()
    sink = _DeadLetters()
    report = await backfill([export], fmt, zendesk, publisher, sink, cp, cp_path)
    assert report.records == 1
    assert [e.event_id for e in publisher.published] == [
        "zd:acme:call:3:offered",
        "zd:acme:call:3:abandoned",
    ]
    assert {e.source for e in publisher.published} == {"backfill:zendesk"}
    assert load(cp_path, "acme-cn", "zendesk", "calls").is_done(export)


def _ticket_pages() -> list[dict[str, Any]]:
    """Two pages: ticket 42 is created on the first, replied to and solved on the second."""
    at = "2026-10-05T09:{:02d}:00Z".format
    created = ze_event(
        1, 42, at(0), 5501, ze_create(5501, assignee=9100), ze_comment(10, 5501, at(0))
    )
    return [
        ze_page(created, ze_event(2, 42, at(5), 9100, ze_comment(11, 9100, at(5)))),
        ze_page(
            ze_event(3, 42, at(9), 5501, ze_comment(12, 5501, at(9))),
            ze_event(4, 42, at(20), 9100, ze_change("status", "solved", "open")),
            last=True,
        ),
    ]  # fmt: skip


ZENDESK = ConnectorSettings(
    agreement_id="acme-cn",
    tool="zendesk",
    namespace="zd:acme",
    lossy=frozenset({"comment_author_inferred"}),
    agent_roles=frozenset({"agent"}),
)


async def test_zendesk_ticket_events_resume_with_the_requesters_and_publish_once(
    tmp_path: Path,
) -> None:
    export = _write_jsonl(tmp_path / "ticket_events.jsonl", _ticket_pages())
    fmt = export_format("zendesk", "ticket-events")
    cp_path = tmp_path / "cp.json"
    sink = _DeadLetters()
    broken = _Publisher(fail_on=2)  # page 1 acknowledged, page 2 lost with the broker
    cp = load(cp_path, "acme-cn", "zendesk", "ticket-events")
    with pytest.raises(PublishError):
        await backfill([export], fmt, ZENDESK, broken, sink, cp, cp_path, batch_events=1)
    saved = load(cp_path, "acme-cn", "zendesk", "ticket-events")
    assert saved.start_of(export) == 1
    facts = {"requester": "5501", "assignee": "9100", "created_at": "2026-10-05T09:00:00Z"}
    assert saved.state == {"tickets": {"42": facts}}
    resumed = _Publisher()
    await backfill([export], fmt, ZENDESK, resumed, sink, saved, cp_path, batch_events=1)
    assert [(e.type, getattr(e, "author", None)) for e in broken.published + resumed.published] == [
        ("ticket.created", None),
        ("ticket.replied", "agent"),
        ("ticket.replied", "customer"),  # the requester, known only from page 1's checkpoint
        ("ticket.resolved", None),
    ]
    assert sink.refused == []
    # Solved, not closed: it may reopen, so the ticket's facts stay in the checkpoint.
    assert set(load(cp_path, "acme-cn", "zendesk", "ticket-events").state["tickets"]) == {"42"}
    again = _Publisher()
    cp = load(cp_path, "acme-cn", "zendesk", "ticket-events")
    report = await backfill([export], fmt, ZENDESK, again, sink, cp, cp_path)
    assert (again.published, report.files_skipped) == ([], [str(export)])


async def test_zendesk_ticket_events_get_the_ids_the_webhooks_give_the_same_facts(
    tmp_path: Path,
) -> None:
    export = _write_jsonl(tmp_path / "ticket_events.jsonl", _ticket_pages())
    fmt = export_format("zendesk", "ticket-events")
    publisher = _Publisher()
    cp = Checkpoint("acme-cn", "zendesk", "ticket-events")
    await backfill([export], fmt, ZENDESK, publisher, _DeadLetters(), cp, None)
    at = "2026-10-05T09:{:02d}:00Z".format
    live = [
        zd_created(42, at(0)),
        zd_comment(42, at(0), at(5), 11, "9100", staff=True),
        zd_comment(42, at(0), at(9), 12, "5501", staff=False),
        zd_status(42, at(0), at(20), "open", "solved", event_id="a-webhook-uuid"),
    ]
    webhook = [e for p in live for e in ZendeskConnector().map(p, ZENDESK)]
    assert [e.event_id for e in publisher.published] == [e["event_id"] for e in webhook]
    backfilled = [e.model_dump(mode="json", exclude={"source"}) for e in publisher.published]
    assert backfilled == [
        parse_event(e).model_dump(mode="json", exclude={"source"}) for e in webhook
    ]
