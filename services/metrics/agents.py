"""Faust agents: decode, hand the event to the pure engine, dead-letter what it refuses.

Agents stay thin: everything that decides a number lives in services/core/kpi.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from services.core.events import InvalidEvent, parse_event_json
from services.core.kpi.engine import Engine, Outcome
from services.core.topics import Family, family_of
from services.metrics.app import Topology
from services.metrics.deadletter import deadletter_record
from services.metrics.instruments import Instruments

log = logging.getLogger(__name__)
REJECTED = {Outcome.LATE: "late", Outcome.UNKNOWN_AGREEMENT: "unknown_agreement"}


def register_agents(
    topology: Topology, engines: dict[Family, Engine], instruments: Instruments
) -> None:
    for family, engine in engines.items():
        _register(topology, family, engine, instruments)


def _register(topology: Topology, family: Family, engine: Engine, inst: Instruments) -> None:
    deadletter = topology.deadletter

    async def reject(message: Any, reason: str, detail: str) -> None:
        inst.deadletters.labels(family.value, reason).inc()
        value = deadletter_record(
            reason, detail, message.topic, message.partition, message.offset, message.value
        )
        await deadletter.send(key=message.key, value=value, headers=[("reason", reason.encode())])

    async def process(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            started = time.perf_counter()
            try:
                parsed = parse_event_json(message.value or b"")
                if family_of(parsed.type) is not family:
                    raise InvalidEvent(f"{parsed.type} does not belong on the {family} topic")
            except InvalidEvent as exc:
                inst.processed[(message.topic, message.partition)] = message.offset
                inst.events.labels(family.value, "invalid").inc()
                await reject(message, "invalid", exc.reason)
                continue
            outcome = engine.process(parsed, message.partition, message.offset)
            inst.processed[(message.topic, message.partition)] = message.offset
            inst.events.labels(family.value, outcome.value).inc()
            inst.processing.labels(family.value).observe(time.perf_counter() - started)
            if outcome in REJECTED:
                await reject(message, REJECTED[outcome], f"{outcome.value}: {parsed.event_id}")

    topology.app.agent(topology.sources[family], name=f"kpi-{family.value}")(process)
