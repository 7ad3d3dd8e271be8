"""The Faust adapter's ordering promises, without a broker (fakes in faust_fakes.py).

* A batch's rows are handed to the producer before the batch is acknowledged, also when the
  flush timer's publisher is sending them (services/metrics/table_store.py).
* The changelog receives each partition's writes in the order the table got them, buckets
  before entities before stream positions within a batch, so a restore replays the table.
* A refused event goes to the dead-letter topic with its reason, before its batch is
  acknowledged, and the rest of its batch counts.
* Rows the producer refuses are retried until sent (each once, in order), the worker unready
  meanwhile; a batch is acknowledged only after, and a worker stopped meanwhile leaves it
  unacknowledged (services/metrics/publishing.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types.tuples import Message as FaustMessage

from services.core.contract.topics import Family
from services.metrics.health import make_app
from services.metrics.publishing import hold_unacknowledged
from tests.component.faust_fakes import Entry, Raising, Worker, message

A = "globex-hotline"  # 24/7, lateness 1 h
DAY1, DAY2 = "2026-10-01", "2026-10-02"
RANK = {"b": 0, "v": 0, "e": 1, "s": 2}  # the write order of services/core/kpi/write_behind.py


def ticket(event_id: str, type_: str, at: str, ticket_id: str = "t1", **fields: Any) -> bytes:
    if type_ == "ticket.created":
        fields = {"customer_id": "c", "channel": "email", "priority": "low", **fields}
    elif type_ == "ticket.replied":
        fields = {"author": "agent", "agent_id": "ann", **fields}
    body = {"event_id": event_id, "type": type_, "occurred_at": at, "agreement_id": A}
    return json.dumps({**body, "ticket_id": ticket_id, **fields}).encode()


def at(day: str, time: str) -> str:
    return f"{day}T{time}:00Z"


def batch(*events: tuple[int, int, bytes]) -> list[Any]:
    return [message("tickets", p, offset, value) for p, offset, value in events]


def changelog(journal: list[Entry]) -> list[Entry]:
    return [e for e in journal if e[0] == "changelog"]


def assert_rows_sent_before_ack(journal: list[Entry], batches: list[list[Any]]) -> None:
    """Every row a batch wrote (it carries its event's partition and offset) precedes its ack."""
    for n, events in enumerate(batches):
        acked = journal.index(("ack", n))
        offsets = {(e.message.partition, e.message.offset) for e in events}
        sent = {(row["p"], row["o"]) for _, _, _, row in changelog(journal[:acked]) if row}
        later = {(row["p"], row["o"]) for _, _, _, row in changelog(journal[acked:]) if row}
        assert offsets <= sent, f"batch {n}: rows of {offsets - sent} not sent before its ack"
        assert not offsets & later, f"batch {n}: rows of {offsets & later} sent after its ack"


async def test_a_batchs_rows_reach_the_producer_before_the_batch_is_acknowledged() -> None:
    worker = Worker(Family.TICKETS)
    batches = [
        batch(
            (0, 0, ticket("c1", "ticket.created", at(DAY1, "10:00"))),
            (0, 1, ticket("r1", "ticket.replied", at(DAY1, "10:30"))),
            (1, 0, ticket("c2", "ticket.created", at(DAY1, "10:05"), "t2")),
        ),
        batch(
            (0, 2, ticket("c3", "ticket.created", at(DAY1, "11:00"), "t3")),
            (1, 1, ticket("r2", "ticket.replied", at(DAY1, "11:30"), "t2")),
        ),
    ]
    await worker.run(batches)
    assert [e for e in worker.journal if e[0] == "ack"] == [("ack", 0), ("ack", 1)]
    assert_rows_sent_before_ack(worker.journal, batches)


async def test_while_the_flush_publishes_a_batch_waits_for_its_rows_to_be_sent() -> None:
    worker = Worker(Family.TICKETS)
    # The flush timer's publisher is sending a row the broker is slow to take.
    worker.store["s|other|0"] = {"p": 0, "o": 0, "t": 0.0}
    worker.producer.held.add("s|other|0")
    flushing = asyncio.create_task(worker.store.publish())
    batches = [batch((0, 0, ticket("c1", "ticket.created", at(DAY1, "10:00"))))]
    agent = asyncio.create_task(worker.run(batches))
    for _ in range(1000):  # until the agent has written its rows (no clock involved)
        if len(worker.table.data) > 1:
            break
        await asyncio.sleep(0)
    assert len(worker.table.data) > 1, "the agent never wrote its batch"
    for _ in range(100):
        await asyncio.sleep(0)
    assert ("ack", 0) not in worker.journal  # its rows wait behind the held one
    worker.producer.gate.set()
    await asyncio.gather(flushing, agent)
    assert_rows_sent_before_ack(worker.journal, batches)


async def test_the_changelog_keeps_each_partitions_writes_in_order() -> None:
    worker = Worker(Family.TICKETS)
    await worker.run(
        [
            batch(
                (0, 0, ticket("c1", "ticket.created", at(DAY1, "10:00"))),
                (1, 0, ticket("c2", "ticket.created", at(DAY1, "10:01"), "t2")),
                (0, 1, ticket("r1", "ticket.replied", at(DAY1, "10:20"))),
                # A day later: the minute buckets of day 1 expire on partition 0.
                (0, 2, ticket("c3", "ticket.created", at(DAY2, "10:00"), "t3")),
            )
        ]
    )
    # The sink saved the rows: the expired ones are deleted, and the flush timer publishes
    # the deletions while the broker is slow, as the next batch arrives.
    released = worker.engine.mark_saved(worker.engine.pending_rows({0, 1}))
    assert released > 0
    deleted = [key for _, key, row in worker.store.outbox if row is None]
    worker.producer.held.add(deleted[0])
    flushing = asyncio.create_task(worker.store.publish())
    second = [
        batch(
            (0, 3, ticket("r3", "ticket.replied", at(DAY2, "10:30"), "t3")),
            (1, 1, ticket("r2", "ticket.replied", at(DAY1, "10:40"), "t2")),
        )
    ]
    agent = asyncio.create_task(worker.run(second))
    for _ in range(100):
        await asyncio.sleep(0)
    worker.producer.gate.set()
    await asyncio.gather(flushing, agent)

    sent = changelog(worker.journal)
    for partition in (0, 1):
        table_order = [k for kind, p, k in _of(worker.journal, "table") if p == partition]
        assert [k for _, p, k, _ in sent if p == partition] == table_order
        restored: dict[str, Any] = {}
        for _, p, key, row in sent:
            if p == partition and row is None:
                del restored[key]
            elif p == partition:
                restored[key] = row
        mine = {k: row for k, row in worker.table.data.items() if row["p"] == partition}
        assert restored == json.loads(json.dumps(mine))
    for offsets in ({(0, 0), (0, 1), (0, 2), (1, 0)}, {(0, 3), (1, 1)}):
        for partition in (0, 1):
            ranks = [RANK[key[0]] for _, p, key, row in sent if row and (p, row["o"]) in offsets]
            assert ranks == sorted(ranks), (partition, ranks)


def _of(journal: list[Entry], kind: str) -> list[Entry]:
    return [e for e in journal if e[0] == kind]


async def test_refused_events_go_to_the_dead_letter_topic_with_their_reason() -> None:
    worker = Worker(Family.TICKETS, engine_type=Raising)
    unknown = json.loads(ticket("u", "ticket.created", at(DAY1, "12:00"), "t9"))
    call = {
        "event_id": "call",
        "type": "call.offered",
        "occurred_at": at(DAY1, "12:00"),
        "agreement_id": A,
        "call_id": "k",
        "customer_id": "c",
        "queue": "q",
    }
    values = [
        ticket("ok", "ticket.created", at(DAY1, "12:00")),
        b"{not json",
        json.dumps(call).encode(),
        json.dumps({**unknown, "agreement_id": "nobody"}).encode(),
        ticket("late", "ticket.created", at(DAY1, "10:00"), "t2"),  # 2 h behind, same partition
        ticket("far", "ticket.created", "9999-12-31T23:59:59Z", "t3"),
        ticket("boom", "ticket.created", at(DAY1, "12:01"), "t4"),
        ticket("ok2", "ticket.created", at(DAY1, "12:02"), "t5"),
    ]
    events = [message("tickets", 0, n, v, key=f"k{n}".encode()) for n, v in enumerate(values)]
    await worker.run([events])

    letters = {e[2]["source"]["offset"]: e for e in _of(worker.journal, "deadletter")}
    want = {
        1: "invalid",
        2: "invalid",
        3: "unknown_agreement",
        4: "late",
        5: "out_of_range",
        6: "unprocessable",
    }
    assert {n: letter[2]["reason"] for n, letter in letters.items()} == want
    for n, (_, key, record, headers) in letters.items():
        assert key == f"k{n}".encode()
        assert headers == {"reason": want[n].encode()}
        assert record["source"] == {"topic": "tickets", "partition": 0, "offset": n}
        assert record["payload"] == values[n].decode()
    assert letters[2][2]["detail"] == "call.offered does not belong on the tickets topic"
    assert letters[4][2]["detail"] == "late: late"
    assert letters[6][2]["detail"] == "ArithmeticError: a bug"
    acked = worker.journal.index(("ack", 0))
    assert all(worker.journal.index(letter) < acked for letter in letters.values())
    assert {k for k in worker.table.data if k.startswith("e|")} == {f"e|{A}/t1", f"e|{A}/t5"}
    sample = worker.instruments.registry.get_sample_value
    assert sample("slawatch_worker_deadletters_total", {"family": "tickets", "reason": "late"})


async def _until(check: Callable[[], bool], turns: int = 10_000) -> None:
    """Let the other tasks run until `check()` holds; no clock (the fakes' retries wait 0 s)."""
    for _ in range(turns):
        if check():
            return
        await asyncio.sleep(0)
    pytest.fail("the condition never held")


def _failures(worker: Worker, metric: str = "slawatch_worker_publish_failures_total") -> float:
    value = worker.instruments.registry.get_sample_value(metric, {"family": "tickets"})
    return value or 0.0


def _readyz(worker: Worker) -> tuple[str, str]:
    answer: list[str] = []
    app = make_app(worker.instruments.registry, worker.instruments.progress, time.time)
    body = app({"PATH_INFO": "/readyz"}, lambda status, _headers: answer.append(status))
    return answer[0], b"".join(body).decode()


async def test_a_batch_whose_rows_could_not_be_sent_is_not_acknowledged() -> None:
    worker = Worker(Family.TICKETS)
    worker.producer.refuse = lambda n: True  # the broker is gone for good
    batches = [batch((0, 0, ticket("c1", "ticket.created", at(DAY1, "10:00"))))]
    agent = asyncio.create_task(worker.run(batches))
    await _until(lambda: _failures(worker) >= 3)  # retried, not raised
    assert ("closed", 0) not in worker.journal
    written = [key for kind, _, key in _of(worker.journal, "table")]
    agent.cancel()  # the worker stops while the broker is still gone
    with pytest.raises(asyncio.CancelledError):
        await agent
    await _until(lambda: ("closed", 0) in worker.journal)  # Faust's finally ran...
    assert ("ack", 0) not in worker.journal  # ...without committing the batch
    assert [key for _, key, _ in worker.store.outbox] == written  # no row dropped
    assert _failures(worker, "slawatch_worker_batch_failures_total") == 0  # a stop, not a bug


async def test_after_a_broker_outage_each_row_is_sent_once_in_order_then_the_batch_acked() -> None:
    worker = Worker(Family.TICKETS)
    worker.producer.refuse = lambda n: 2 <= n <= 5  # one row goes through, then four fail
    batches = [
        batch(
            (0, 0, ticket("c1", "ticket.created", at(DAY1, "10:00"))),
            (1, 0, ticket("c2", "ticket.created", at(DAY1, "10:05"), "t2")),
            (0, 1, ticket("r1", "ticket.replied", at(DAY1, "10:30"))),
        ),
        batch((1, 1, ticket("r2", "ticket.replied", at(DAY1, "11:30"), "t2"))),
    ]
    await worker.run(batches)

    assert _failures(worker) == 4
    sent = [(p, key) for _, p, key, _ in changelog(worker.journal)]
    assert sent == [(p, key) for _, p, key in _of(worker.journal, "table")]  # once, in order
    assert not worker.store.outbox
    assert [e for e in worker.journal if e[0] == "ack"] == [("ack", 0), ("ack", 1)]
    assert_rows_sent_before_ack(worker.journal, batches)
    assert _readyz(worker)[0] == "200 OK"


async def test_while_rows_cannot_be_sent_the_worker_is_not_ready() -> None:
    worker = Worker(Family.TICKETS)
    broker_up = False
    worker.producer.refuse = lambda n: not broker_up
    batches = [batch((0, 0, ticket("c1", "ticket.created", at(DAY1, "10:00"))))]
    agent = asyncio.create_task(worker.run(batches))
    await _until(lambda: _failures(worker) >= 2)
    status, body = _readyz(worker)
    assert status == "503 Service Unavailable"
    assert body.startswith("tickets: state rows not reaching the Kafka producer for ")
    assert worker.instruments.judge_progress(time.time())
    assert worker.instruments.registry.get_sample_value("slawatch_worker_ready") == 0
    assert ("ack", 0) not in worker.journal

    broker_up = True
    await agent
    assert _readyz(worker) == ("200 OK", "ready\n")
    assert worker.instruments.judge_progress(time.time()) == []
    assert worker.instruments.registry.get_sample_value("slawatch_worker_ready") == 1
    assert ("ack", 0) in worker.journal


def test_a_held_message_is_not_committed_by_fausts_own_acknowledgement() -> None:
    """The fake's references, checked on Faust's real Message: one per stream reading it
    (faust/transport/conductor.py increfs it), plus the one a held batch adds."""
    consumer: Any = None  # the base Message never reaches the consumer on its final ack
    released, held = (FaustMessage("t", 0, n, 0.0, 0, None, b"k", b"v", None) for n in (0, 1))
    for msg in (released, held):
        msg.incref()  # the one stream reading it
    hold_unacknowledged([SimpleNamespace(message=held)])
    assert released.ack(consumer)
    assert released.acked
    assert not held.ack(consumer)
    assert not held.acked
