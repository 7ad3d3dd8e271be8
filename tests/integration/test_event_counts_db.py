"""Data-quality counts in the real PostgreSQL: counted once per message, whoever reads it.

Two `OutcomeCounts` stand for a worker and the one that takes its partition over and reads
some of the same offsets again; the marks keep every message counted once, as its first
reading saw it. The ingest agreement lookup reads the same agreements.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.core.contract.events import parse_event
from services.core.storage import agreement_changes as changes
from services.core.storage.event_counts import read_counts
from services.core.storage.session import make_sessionmaker
from services.ingest.agreements import KnownAgreement, stored_agreements
from services.metrics.counting import OutcomeCounts
from tests.integration.test_agreements_repo import NOW, demo

pytest_plugins = ["tests.integration.db_fixtures"]
DAY = (1_795_651_200.0, 1_795_737_600.0)  # 2026-11-26T00:00Z .. 2026-11-27T00:00Z


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    value: bytes
    timestamp: float = 1_795_690_000.0  # 2026-11-26T10:46:40Z


def event(agreement_id: str, n: int) -> dict[str, object]:
    return {
        "event_id": f"c-{n}",
        "type": "ticket.created",
        "occurred_at": f"2026-11-26T09:{n:02d}:00Z",
        "agreement_id": agreement_id,
        "ticket_id": f"t{n}",
        "customer_id": "c1",
        "channel": "email",
        "priority": "high",
    }


async def test_outcomes_are_counted_once_across_rereads_and_workers(
    db_engine: AsyncEngine, db_session: AsyncSession, agreement_id: str
) -> None:
    async with db_session.begin():
        await changes.put_agreement(db_session, demo(agreement_id), NOW)
    sessions = make_sessionmaker(db_engine)
    topic = f"t{uuid.uuid4().hex[:8]}.tickets.v1"
    outcomes = ["accepted", "duplicate", "late", "unknown_agreement", "accepted"]
    messages = [
        (Message(topic, 0, n, json.dumps(event(agreement_id, n)).encode()), outcome)
        for n, outcome in enumerate(outcomes)
    ]
    invalid = Message(topic, 1, 0, json.dumps({"agreement_id": agreement_id}).encode())
    ghost = Message(topic, 1, 1, json.dumps(event("nobody-stored-this", 9)).encode())

    first, second = OutcomeCounts(sessions), OutcomeCounts(sessions)
    for message, outcome in messages[:3]:
        first.note(message, parse_event(json.loads(message.value)), outcome)
    first.note(invalid, None, "invalid")
    first.note(ghost, parse_event(json.loads(ghost.value)), "unknown_agreement")
    assert await first.save()
    # The next owner reads offsets 1.. again: the engine now calls offset 1-2 replays.
    for message, outcome in messages[1:]:
        seen_again = "replayed" if message.offset < 3 else outcome
        second.note(message, parse_event(json.loads(message.value)), seen_again)
    first.note(messages[3][0], parse_event(json.loads(messages[3][0].value)), "unknown_agreement")
    results = await asyncio.gather(second.save(), first.save())

    assert results == [True, True]
    assert first.pending == second.pending == {}
    async with sessions() as session:
        counts = await read_counts(session, agreement_id, *DAY)
    assert counts == {"accepted": 2, "duplicate": 1, "late": 1, "invalid": 1, "unknown": 1}


async def test_ingest_reads_the_client_and_term_start_of_stored_agreements_only(
    db_engine: AsyncEngine, db_session: AsyncSession, agreement_id: str
) -> None:
    async with db_session.begin():
        stored, _ = await changes.put_agreement(db_session, demo(agreement_id), NOW)
    lookup = stored_agreements(make_sessionmaker(db_engine))

    known = await lookup({agreement_id, "nobody-stored-this"})

    first = stored.agreement.term.effective_from
    expected = datetime(first.year, first.month, first.day, tzinfo=stored.agreement.zone)
    assert known == {agreement_id: KnownAgreement(stored.agreement.client, expected)}
    assert known[agreement_id].term_start.astimezone(UTC) == expected.astimezone(UTC)
