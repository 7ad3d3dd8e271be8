"""What the Kafka bridge does with one message, without Kafka: decode, map, validate.

A Kinesis-to-Kafka bridge writes each Kinesis record as one Kafka message: a contact record
as JSON (some bridges batch a JSON array). Each record is mapped on its own, so one bad
record becomes one dead letter (its raw JSON and the reason) and never holds back the rest
of the message. Events are validated against the v1 contract here, as ingest would: the
bridge publishes straight to the family topics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from services.core.connectors.base import ConnectorSettings, MappingRefused
from services.core.connectors.connect.connector import ConnectConnector
from services.core.connectors.connect.mapping import map_record
from services.core.connectors.connect.record import read_record
from services.core.contract.events import EventBase, InvalidEvent, parse_event
from services.ingest.connectors.instruments import PayloadOutcome
from services.ingest.connectors.stored import Refused


@dataclass
class MappedMessage:
    """The events of a message, in record order, the records refused, and each record's
    outcome (what the bridge counts once the batch is stored)."""

    events: list[EventBase] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    outcomes: list[PayloadOutcome] = field(default_factory=list)


def map_message(
    value: bytes | None, settings: ConnectorSettings, source: str = "connect-bridge"
) -> MappedMessage:
    """Map one Kafka message holding a contact record (or a JSON array of them); events
    without a `source` get `source` (connectors leave it to the path that received them)."""
    out = MappedMessage()
    raw = value or b""
    try:
        payload = json.loads(raw)
        records = ConnectConnector().split(payload)
    except (ValueError, MappingRefused) as exc:
        reason = exc.reason if isinstance(exc, MappingRefused) else "not valid JSON"
        out.refused.append(Refused(raw, reason))
        out.outcomes.append(PayloadOutcome.DEAD_LETTER)
        return out
    for record in records:
        record_raw = raw if len(records) == 1 else json.dumps(record).encode()
        try:
            mapped = map_record(read_record(record), settings)
            events = [parse_event({"source": source, **e}) for e in mapped]
        except MappingRefused as exc:
            out.refused.append(Refused(record_raw, exc.reason))
            out.outcomes.append(PayloadOutcome.DEAD_LETTER)
        except InvalidEvent as exc:
            out.refused.append(
                Refused(record_raw, f"mapped event breaks the contract: {exc.reason}")
            )
            out.outcomes.append(PayloadOutcome.DEAD_LETTER)
        else:
            out.events.extend(events)
            out.outcomes.append(PayloadOutcome.PUBLISHED if events else PayloadOutcome.IGNORED)
    return out
