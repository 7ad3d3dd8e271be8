"""Pure parts of the worker's agreement hold, outcome counting and dead-letter replay."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from services.core.contract.event_range import OCCURRED_AT_FLOOR, EventTimeRange
from services.core.kpi.engine import Outcome
from services.core.storage.models import EVENT_OUTCOMES
from services.metrics.agents import UNPROCESSABLE
from services.metrics.counting import OUTCOME_OF, tally
from services.metrics.deadletter import deadletter_record
from services.metrics.hold import AgreementWait, claimed_agreement, unknown_agreements
from services.metrics.replay_dead_letters import Selection, decode


@dataclass
class Msg:
    key: bytes | None
    value: bytes | None


def event_json(agreement: str) -> bytes:
    return json.dumps({"agreement_id": agreement, "event_id": "e"}).encode()


def test_the_agreement_comes_from_the_key_when_known_else_from_the_value() -> None:
    known = {"acme"}
    assert claimed_agreement(b"acme/T-1", b"not json", known) == "acme"
    assert claimed_agreement(b"new/T-1", event_json("new"), known) == "new"
    assert claimed_agreement(b"a/b/T-1", event_json("a/b"), known) == "a/b"
    assert claimed_agreement(None, b"[1]", known) is None
    assert claimed_agreement(b"x", b"\xff", known) is None
    messages = [Msg(b"acme/1", None), Msg(b"new/1", event_json("new")), Msg(None, b"{}")]
    assert unknown_agreements(messages, known) == {"new"}


async def test_a_batch_waits_until_its_agreement_arrives() -> None:
    agreements: dict[str, object] = {}
    wait = AgreementWait(agreements, wait_seconds=30)

    async def arrive() -> None:
        await asyncio.sleep(0.3)
        agreements["new"] = object()

    arrival = asyncio.create_task(arrive())
    given_up = await asyncio.wait_for(wait.until_known([Msg(b"new/1", event_json("new"))]), 10)
    await arrival
    assert given_up == set()
    assert wait.given_up == {}


async def test_an_agreement_that_never_comes_is_given_up_once_then_not_waited_for() -> None:
    now = [0.0]
    wait = AgreementWait({}, wait_seconds=0.2, clock=lambda: now[0])
    message = Msg(b"ghost/1", event_json("ghost"))

    async def tick() -> None:
        while True:
            await asyncio.sleep(0.01)
            now[0] += 0.05

    ticker = asyncio.create_task(tick())
    try:
        assert await asyncio.wait_for(wait.until_known([message]), 10) == {"ghost"}
        waited_until = now[0]
        assert await wait.until_known([message]) == {"ghost"}
        assert now[0] - waited_until < 0.2  # no second wait for an id already given up
    finally:
        ticker.cancel()


def test_tally_counts_only_messages_above_the_mark_and_moves_it() -> None:
    tp = ("slawatch.tickets.v1", 0)
    pending = {
        tp: [
            (4, "acme", 3600.0, "accepted"),
            (5, "acme", 3600.0, "late"),
            (6, "acme", 7200.0, "accepted"),
        ],
        ("slawatch.calls.v1", 1): [(0, "acme", 0.0, "duplicate")],
    }
    counts, marks = tally(pending, {tp: 4})
    assert counts == {
        ("acme", 3600.0, "late"): 1,
        ("acme", 7200.0, "accepted"): 1,
        ("acme", 0.0, "duplicate"): 1,
    }
    assert marks == {tp: 6, ("slawatch.calls.v1", 1): 0}
    # Read again after a crash: nothing is counted twice, the mark never moves back.
    again, marks_again = tally(pending, marks)
    assert again == {}
    assert marks_again == marks


def test_a_dead_letter_decodes_and_selects_by_reason_agreement_and_time() -> None:
    payload = event_json("acme")
    record = deadletter_record("late", "late: e", "p.tickets.v1", 2, 17, payload)
    letter = decode(record, 1_700_000_000_000)
    assert (letter.reason, letter.source_topic, letter.agreement_id) == (
        "late",
        "p.tickets.v1",
        "acme",
    )
    assert letter.payload == payload
    assert Selection().matches(letter)
    assert Selection(reasons=frozenset({"late", "invalid"})).matches(letter)
    assert not Selection(reasons=frozenset({"unknown_agreement"})).matches(letter)
    assert not Selection(agreements=frozenset({"other"})).matches(letter)
    assert Selection(since=1_700_000_000.0, until=1_700_000_001.0).matches(letter)
    assert not Selection(until=1_700_000_000.0).matches(letter)
    binary = decode(deadletter_record("invalid", "x", "t", 0, 0, b"\xff\x00"), 0)
    assert (binary.payload, binary.agreement_id) == (b"\xff\x00", None)


@pytest.mark.parametrize(
    ("occurred_at", "term_start", "refused"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), False),
        (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), False),
        (datetime(2024, 12, 30, 23, 59, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), True),
        (OCCURRED_AT_FLOOR, None, False),
        (OCCURRED_AT_FLOOR - timedelta(seconds=1), None, True),
        (datetime(1, 1, 1, tzinfo=UTC), datetime(2000, 3, 1, tzinfo=UTC), True),
        (datetime(2026, 12, 2, 0, 5, tzinfo=UTC), None, False),
        (datetime(2026, 12, 2, 0, 5, 1, tzinfo=UTC), None, True),
        (datetime(9999, 12, 31, tzinfo=UTC), None, True),
    ],
)
def test_event_time_range(
    occurred_at: datetime, term_start: datetime | None, refused: bool
) -> None:
    received = datetime(2026, 12, 2, tzinfo=UTC)
    reason = EventTimeRange().refusal(occurred_at, received, term_start)
    assert (reason is not None) == refused


def test_every_outcome_of_a_message_is_one_of_the_counted_outcomes() -> None:
    # The database refuses any other outcome: a missing mapping would stall the counts.
    outcomes = {o.value for o in Outcome} | {UNPROCESSABLE, "invalid"}
    assert {OUTCOME_OF[o] for o in outcomes} <= set(EVENT_OUTCOMES)
    assert OUTCOME_OF["out_of_range"] == OUTCOME_OF[UNPROCESSABLE] == "invalid"
