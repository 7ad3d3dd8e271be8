"""Faust agents: decode, hand a batch of events to the pure engine, dead-letter refusals.

Agents stay thin: everything that decides a number lives in services/core/kpi. Events come
in batches (`take_events`): the engine stages each event, then writes every changed row
once, which saves changelog messages when events touch the same buckets, and the rows go
to the changelog in one go (services/metrics/table_store.py). Faust acknowledges a batch
when the agent asks for the next one, so the agent finishes a batch only once its rows reached
the producer (retried until they do), and holds a batch it leaves unfinished unacknowledged
(services/metrics/publishing.py): committed offsets never run ahead of the rows.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.contract.events import InvalidEvent, parse_event_json
from services.core.contract.topics import Family, family_of
from services.core.kpi.engine import Engine, Outcome
from services.metrics.app import Topology
from services.metrics.counting import OutcomeCounts
from services.metrics.deadletter import deadletter_record
from services.metrics.hold import AgreementWait
from services.metrics.instruments import Instruments
from services.metrics.publishing import BACKOFF, Backoff, hold_unacknowledged, publish_until_sent
from services.metrics.table_store import TableStore

log = logging.getLogger(__name__)
REJECTED = {
    Outcome.LATE: "late",
    Outcome.UNKNOWN_AGREEMENT: "unknown_agreement",
    Outcome.OUT_OF_RANGE: "out_of_range",
}
# An event the engine raised on: refused alone, so the rest of its batch still counts.
UNPROCESSABLE = "unprocessable"


def register_agents(
    topology: Topology,
    engines: dict[Family, Engine],
    instruments: Instruments,
    batch_max_events: int,
    batch_wait_seconds: float,
    hold: AgreementWait | None = None,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    backoff: Backoff = BACKOFF,
) -> None:
    """An agent per family; `hold` waits for agreements not known yet (services/metrics/
    hold.py), `sessions` is where the outcomes are counted (services/metrics/counting.py),
    `backoff` paces the retries of rows the producer refused."""
    hold = hold or AgreementWait({}, 0.0)
    for family, engine in engines.items():
        batching = (batch_max_events, batch_wait_seconds)
        guards = (hold, OutcomeCounts(sessions))
        _register(topology, family, engine, instruments, batching, guards, backoff)


def _register(
    topology: Topology,
    family: Family,
    engine: Engine,
    inst: Instruments,
    batching: tuple[int, float],
    guards: tuple[AgreementWait, OutcomeCounts],
    backoff: Backoff,
) -> None:
    hold, counts = guards
    deadletter = topology.deadletter
    store = engine.store
    assert isinstance(store, TableStore)

    async def reject(message: Any, reason: str, detail: str) -> None:
        inst.deadletters.labels(family.value, reason).inc()
        value = deadletter_record(
            reason, detail, message.topic, message.partition, message.offset, message.value
        )
        await deadletter.send(key=message.key, value=value, headers=[("reason", reason.encode())])

    def stage(message: Any) -> tuple[str, str] | None:
        """Apply one message to the staged rows; returns (reason, detail) if refused."""
        started = time.perf_counter()
        inst.processed[(message.topic, message.partition)] = message.offset
        try:
            parsed = parse_event_json(message.value or b"")
            if family_of(parsed.type) is not family:
                raise InvalidEvent(f"{parsed.type} does not belong on the {family} topic")
        except InvalidEvent as exc:
            inst.child(inst.events, family.value, "invalid").inc()
            counts.note(message, None, "invalid")
            return "invalid", exc.reason
        try:
            outcome = engine.stage(parsed, message.partition, message.offset)
        except Exception as exc:  # the engine raises only before it changed anything
            log.exception("%s event %s could not be processed", family, parsed.event_id)
            inst.child(inst.events, family.value, UNPROCESSABLE).inc()
            counts.note(message, parsed, UNPROCESSABLE)
            return UNPROCESSABLE, f"{type(exc).__name__}: {exc}"[:500]
        counts.note(message, parsed, outcome.value)
        inst.child(inst.events, family.value, outcome.value).inc()
        inst.child(inst.processing, family.value).observe(time.perf_counter() - started)
        if outcome in REJECTED:
            return REJECTED[outcome], f"{outcome.value}: {parsed.event_id}"
        return None

    async def apply(events: list[Any]) -> None:
        # Unacknowledged while it waits: no committed offset can pass a held event.
        await hold.until_known(event.message for event in events)
        refused = [(event.message, stage(event.message)) for event in events]
        # No await between staging and writing: the sink only ever sees whole batches.
        engine.write()
        sent = await publish_until_sent(store, family.value, inst, backoff)
        inst.state_writes.labels(family.value).inc(sent)
        inst.batch_events.labels(family.value).observe(len(events))
        inst.batch_done(family.value, time.time())
        for message, refusal in refused:
            if refusal is not None:
                await reject(message, *refusal)
        await counts.save()  # before the batch is acknowledged (services/metrics/counting.py)

    async def process(stream: Any) -> None:
        async for events in stream.take_events(*batching):
            try:
                await apply(events)
            except BaseException as exc:
                # Stopped mid-batch (cancelled), or a bug: take_events would still ack it.
                hold_unacknowledged(events)
                if isinstance(exc, Exception):
                    inst.child(inst.batch_failures, family.value).inc()
                raise

    topology.app.agent(topology.sources[family], name=f"kpi-{family.value}")(process)
