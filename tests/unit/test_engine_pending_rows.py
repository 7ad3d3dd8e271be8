"""The engine's typed rows and its side of a flush: what to save, and what was saved.

The rows keep their short keys (they are what the changelog holds) and match the types of
services/core/kpi/rows.py; the sink learns what to save from `Engine.pending_rows` and
reports it through `Engine.mark_saved`, never by reading keys or the engine's sets.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from services.core.contract.events import EventBase, parse_event
from services.core.contract.topics import Family, family_of
from services.core.kpi import keys, rows
from services.core.kpi.engine import Engine
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from services.core.kpi.slices import Slicer
from tests.engine_harness import partition_of
from tests.histories import generate, parsed

ROOT = Path(__file__).parents[2]
PARAMS = load_measurement_params(ROOT / "deploy/agreements/demo.yaml")
A = "globex-hotline"  # 24/7
ROW_TYPES: dict[str, Any] = {
    "e": rows.EntityRow,
    "b": rows.BucketRow,
    "s": rows.PositionRow,
    "v": rows.ValuesRow,
}
_n = iter(range(10**6))


def ev(type_: str, at: str, **fields: Any) -> EventBase:
    return parse_event(
        {"event_id": f"e{next(_n)}", "type": type_, "occurred_at": at, "agreement_id": A, **fields}
    )


def created(at: str, ticket: str) -> EventBase:
    fields = {"ticket_id": ticket, "customer_id": "c", "channel": "email", "priority": "low"}
    return ev("ticket.created", at, **fields)


def reply(at: str, ticket: str) -> EventBase:
    return ev("ticket.replied", at, ticket_id=ticket, author="agent", agent_id="ann")


def tickets_engine() -> Engine:
    return Engine(Family.TICKETS, {}, PARAMS, Retention(), slicer=Slicer())


def test_every_row_the_engine_writes_has_the_keys_of_its_type() -> None:
    engines = {f: Engine(f, {}, PARAMS, Retention(), slicer=Slicer()) for f in Family}
    offsets: dict[tuple[Family, int], int] = {}
    for event in parsed(generate(11)):
        family, partition = family_of(event.type), partition_of(event)
        offset = offsets[(family, partition)] = offsets.get((family, partition), -1) + 1
        engines[family].process(event, partition, offset)
    seen = set()
    for engine in engines.values():
        for key, row in engine.store.items():
            kind = ROW_TYPES[key[0]]
            assert kind.__required_keys__ <= row.keys() <= set(kind.__annotations__), (key, row)
            json.dumps(row)  # what the changelog carries: plain JSON, short keys
            seen.add(key[0])
    assert seen == set(ROW_TYPES)


def test_pending_rows_are_the_owned_partitions_changes_typed() -> None:
    engine = tickets_engine()
    engine.process(created("2026-10-01T10:00:00Z", "t1"), 0, 0)
    engine.process(reply("2026-10-01T10:30:00Z", "t1"), 0, 1)
    engine.process(created("2026-10-01T11:00:00Z", "t2"), 1, 0)

    pending = engine.pending_rows({0})
    assert {b.partition for b in pending.buckets} == {0}
    hours = {(b.granularity, b.start, b.slice) for b in pending.buckets if b.granularity == "hour"}
    ten = created("2026-10-01T10:00:00Z", "x").occurred_at_epoch
    assert {("hour", ten, ""), ("hour", ten, "agent=ann"), ("hour", ten, "priority=low")} <= hours
    assert [(p.agreement_id, p.partition, p.watermark) for p in pending.positions] == [
        (A, 0, reply("2026-10-01T10:30:00Z", "x").occurred_at_epoch)
    ]
    (ticket,) = pending.tickets
    assert (ticket.agreement_id, ticket.ticket_id, ticket.breaches) == (A, "t1", [])
    assert [e["k"] for e in ticket.events] == ["ticket.created", "ticket.replied"]
    assert {t.ticket_id for t in engine.pending_rows().tickets} == {"t1", "t2"}

    engine.mark_saved(pending)
    # Rows of partitions this worker does not own count as saved: their owner saves them.
    assert engine.pending_rows().empty


def test_a_row_changed_while_it_was_being_saved_stays_pending() -> None:
    engine = tickets_engine()
    engine.process(created("2026-10-01T10:00:00Z", "t1"), 0, 0)
    saving = engine.pending_rows({0})
    engine.process(reply("2026-10-01T10:30:00Z", "t1"), 0, 1)  # while the flush awaits
    engine.mark_saved(saving)

    again = engine.pending_rows({0})
    assert [t.ticket_id for t in again.tickets] == ["t1"]
    assert [e["k"] for e in again.tickets[0].events] == ["ticket.created", "ticket.replied"]
    assert {b.slice for b in again.buckets} >= {"agent=ann"}
    engine.mark_saved(again)
    assert engine.pending_rows({0}).empty


def minute_buckets(engine: Engine) -> list[str]:
    return [k for k in engine.store if keys.is_bucket(k) and keys.parse_bucket(k)[2] == "minute"]


def test_an_expired_bucket_leaves_the_store_only_once_an_owner_saved_it() -> None:
    engine = tickets_engine()
    engine.process(created("2026-10-01T10:00:00Z", "t1"), 0, 0)
    engine.process(created("2026-10-02T10:00:00Z", "t2"), 0, 1)  # minute buckets of t1 expire
    assert minute_buckets(engine)

    assert engine.mark_saved(engine.pending_rows({1})) == 0  # saved by another partition's owner
    assert len(minute_buckets(engine)) == 2
    assert engine.mark_saved(engine.pending_rows({0})) == 1
    assert len(minute_buckets(engine)) == 1  # t2's own minute bucket stays


def test_the_sink_and_the_table_store_read_no_row_key_and_no_engine_set() -> None:
    for path in ("services/metrics/sink.py", "services/metrics/table_store.py"):
        tree = ast.parse((ROOT / path).read_text())
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "services.core.kpi"
            for alias in node.names
        }
        assert "keys" not in imported, path
        attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not attributes & {"dirty", "expired", "release", "startswith"}, path
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        assert not {s for s in strings if isinstance(s, str) and s.endswith("|")}, path
