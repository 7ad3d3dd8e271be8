"""The backfill loop: read units, map their records, publish, then move the checkpoint.

Publishing waits for the broker's acknowledgement (acks=all) before the checkpoint moves past
the units published, so an interrupt at any point re-reads at most the unacknowledged batch;
the events it publishes again carry the same ids, which the engine drops. A record that
cannot be mapped goes to the connector's dead letters with the reason (the API shows them)
and the backfill goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.core.connectors.base import ConnectorSettings, MappingRefused
from services.core.contract.events import EventBase, InvalidEvent, parse_event
from services.ingest.backfill.checkpoint import Checkpoint, save
from services.ingest.backfill.formats import ExportFormat
from services.ingest.connectors.stored import DeadLetterSink, Refused
from services.ingest.publisher import EventPublisher

Progress = Callable[[Path, int, int], None]


@dataclass
class BackfillReport:
    """What one run did (counts of this run only; a resumed run counts from its start)."""

    records: int = 0
    events: int = 0
    refused: int = 0
    files_skipped: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    events: list[EventBase] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


async def backfill(
    files: Sequence[Path],
    fmt: ExportFormat,
    settings: ConnectorSettings,
    publisher: EventPublisher,
    dead_letters: DeadLetterSink,
    checkpoint: Checkpoint,
    checkpoint_path: Path | None,
    progress: Progress | None = None,
    batch_events: int = 1000,
) -> BackfillReport:
    """Publish the events of `files` from where `checkpoint` stands; return the counts."""
    report = BackfillReport()
    for path in files:
        if checkpoint.is_done(path):
            report.files_skipped.append(str(path))
            continue
        total = fmt.reader.total(path)
        pending = _Pending()
        for unit in fmt.reader.units(path, checkpoint.start_of(path)):
            for record in unit.records:
                report.records += 1
                _map_into(pending, record, fmt, settings, checkpoint)
            if len(pending.events) >= batch_events:
                await _flush(pending, publisher, dead_letters, settings, report)
                checkpoint.advance(path, unit.end)
                save(checkpoint, checkpoint_path)
            if progress is not None:
                progress(path, unit.end, total)
        await _flush(pending, publisher, dead_letters, settings, report)
        checkpoint.advance(path, total)
        checkpoint.finish(path)
        save(checkpoint, checkpoint_path)
    return report


def _map_into(
    pending: _Pending,
    record: object,
    fmt: ExportFormat,
    settings: ConnectorSettings,
    checkpoint: Checkpoint,
) -> None:
    try:
        source = f"backfill:{fmt.connector}"
        mapped = fmt.mapper(record, settings, checkpoint.state)
        events = [parse_event({"source": source, **e}) for e in mapped]
    except MappingRefused as exc:
        pending.refused.append(Refused(_raw(record), exc.reason))
    except InvalidEvent as exc:
        reason = f"mapped event breaks the contract: {exc.reason}"
        pending.refused.append(Refused(_raw(record), reason))
    else:
        pending.events += events


async def _flush(
    pending: _Pending,
    publisher: EventPublisher,
    dead_letters: DeadLetterSink,
    settings: ConnectorSettings,
    report: BackfillReport,
) -> None:
    if pending.events:
        await publisher.publish(pending.events)
    if pending.refused:
        await dead_letters.put(pending.refused)
    report.events += len(pending.events)
    report.refused += len(pending.refused)
    pending.events, pending.refused = [], []


def _raw(record: object) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()
