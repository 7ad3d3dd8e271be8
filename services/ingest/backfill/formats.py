"""The export formats the backfill reads, per connector: a reader and the records' mapping.

A connector's `map` takes what its live path receives; an export may hold records in
another shape (Zendesk's incremental exports are not its webhook payloads), so each format
names the mapping for its records, usually the connector's own.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.core.connectors.base import ConnectorSettings
from services.core.connectors.connect import ConnectConnector
from services.core.connectors.mapping_kit import obj
from services.core.connectors.zendesk.calls import map_call
from services.core.connectors.zendesk.ticket_events import map_ticket_event_record
from services.ingest.backfill.readers import ExportReader, JsonLinesReader, PagesReader

# (record, settings, state): `state` is the checkpoint's, for what one record tells the next.
State = MutableMapping[str, Any]
RecordMapper = Callable[[Any, ConnectorSettings, State], Sequence[dict[str, Any]]]


def _connect_record(
    record: Any, settings: ConnectorSettings, state: State
) -> Sequence[dict[str, Any]]:
    return ConnectConnector().map(record, settings)


def _zendesk_call(
    record: Any, settings: ConnectorSettings, state: State
) -> Sequence[dict[str, Any]]:
    """One record of Zendesk Talk's incremental calls export, mapped as the webhook maps it."""
    return map_call(obj(record, "call"), settings)


def _zendesk_ticket_event(
    record: Any, settings: ConnectorSettings, state: State
) -> Sequence[dict[str, Any]]:
    """One record of the incremental ticket events export; tickets' requesters in `state`."""
    return map_ticket_event_record(record, settings, state.setdefault("tickets", {}))


@dataclass(frozen=True)
class ExportFormat:
    """How to read one export format of one connector's tool and map its records."""

    connector: str
    name: str
    reader: ExportReader
    mapper: RecordMapper
    description: str


FORMATS: dict[str, dict[str, ExportFormat]] = {
    "connect": {
        "ctr-jsonl": ExportFormat(
            "connect",
            "ctr-jsonl",
            JsonLinesReader(),
            _connect_record,
            "contact records, one JSON object per line (Kinesis Firehose's S3 files too)",
        ),
    },
    "zendesk": {
        "calls": ExportFormat(
            "zendesk",
            "calls",
            PagesReader("calls"),
            _zendesk_call,
            "pages of Talk's incremental calls export, one JSON page per line",
        ),
        "ticket-events": ExportFormat(
            "zendesk",
            "ticket-events",
            PagesReader("ticket_events"),
            _zendesk_ticket_event,
            "pages of the incremental ticket events export (include=comment_events), one per line",
        ),
    },
}


def export_format(connector: str, name: str | None) -> ExportFormat:
    """The named format of `connector` (its first one when `name` is None)."""
    formats = FORMATS.get(connector)
    if not formats:
        raise KeyError(f"no export format for connector {connector!r}; known: {sorted(FORMATS)}")
    if name is None:
        return next(iter(formats.values()))
    if name not in formats:
        raise KeyError(f"connector {connector!r} reads formats {sorted(formats)}, not {name!r}")
    return formats[name]
