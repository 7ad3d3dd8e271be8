"""`slawatch-connector-replay`: re-derive a connector's events from its raw payloads.

Why: a mapping that was wrong, or missed a field, is corrected through the API; the raw
topic still holds what the tool sent (CONNECTORS_RAW_RETENTION_DAYS), so the history is
mapped again with the current configuration and published through the same validation and
screening as the webhook. Idempotent: event ids are derived from the facts, so an event
published before is the same event again and the workers count it once. The event time
range is judged against each payload's original receipt time, not the replay's.

    slawatch-connector-replay --connector acme-zammad --from 2026-10-01T00:00:00Z
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer

from services.core.connectors.registry import connector_for
from services.core.connectors.secret_box import SecretBox
from services.core.contract.event_range import EventTimeRange
from services.core.settings import (
    ConnectorsSettings,
    DatabaseSettings,
    IngestSettings,
    KafkaSettings,
)
from services.core.storage.session import make_engine, make_sessionmaker
from services.ingest.agreements import KnownAgreement, stored_agreements
from services.ingest.batch import DUPLICATE_IN_BATCH, validate_indexed
from services.ingest.connectors.configs import ActiveConnector, stored_connectors
from services.ingest.connectors.derive import derive
from services.ingest.connectors.discovery import register_ingest_connectors
from services.ingest.connectors.raw import raw_topic
from services.ingest.connectors.webhook import connector_principal
from services.ingest.inputs import screen_events
from services.ingest.publisher import EventPublisher, KafkaEventPublisher
from services.ingest.screening import screen

log = logging.getLogger(__name__)


@dataclass
class ReplayResult:
    """What a replay did: payloads read, events published, and refusals by reason."""

    payloads: int = 0
    events: int = 0
    refused: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, object]:
        return {"payloads": self.payloads, "events": self.events, "refused": dict(self.refused)}


async def _raw_records(
    bootstrap: str, topic: str, connector_id: str, since: datetime, until: datetime
) -> list[tuple[datetime, bytes]]:
    """(receipt time, body) of the connector's raw payloads received in [since, until)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tps = sorted(consumer.assignment(), key=lambda tp: tp.partition)
        if not tps:
            return []
        ends = await consumer.end_offsets(tps)
        starts = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
        found: list[tuple[datetime, bytes]] = []
        key = connector_id.encode()
        for tp in tps:
            start = starts[tp]
            if start is None or start.offset >= ends[tp]:
                continue
            consumer.seek(tp, start.offset)
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                for record in batch.get(tp, []):
                    at = datetime.fromtimestamp(record.timestamp / 1000, tz=UTC)
                    if record.key == key and record.value is not None and since <= at < until:
                        found.append((at, record.value))
        return sorted(found, key=lambda item: item[0])
    finally:
        await consumer.stop()


async def replay(
    connector_id: str,
    since: datetime,
    until: datetime,
    *,
    kafka: KafkaSettings,
    database: DatabaseSettings,
    connectors: ConnectorsSettings,
    ingest: IngestSettings | None = None,
    publisher: EventPublisher | None = None,
    dry_run: bool = False,
) -> ReplayResult:
    """Map the connector's raw payloads of [since, until) again and publish the events."""
    register_ingest_connectors()
    settings = ingest or IngestSettings()
    window = EventTimeRange(settings.max_future_seconds, settings.max_days_before_term)
    engine = make_engine(database)
    sessions = make_sessionmaker(engine)
    sink = publisher or KafkaEventPublisher(kafka.bootstrap_servers, kafka.topic_prefix)
    result = ReplayResult()
    try:
        active = await stored_connectors(sessions, lambda: SecretBox(connectors.secrets_key))(
            connector_id
        )
        if active is None:
            raise SystemExit(f"no connector {connector_id!r}")
        known = await stored_agreements(sessions)({active.agreement_id})
        if active.agreement_id not in known:
            raise SystemExit(f"the connector's agreement {active.agreement_id!r} is gone")
        records = await _raw_records(
            kafka.bootstrap_servers, raw_topic(kafka.topic_prefix), connector_id, since, until
        )
        if not dry_run:
            await sink.start()
        try:
            for received_at, body in records:
                result.payloads += 1
                await _replay_one(active, body, received_at, known, window, sink, result, dry_run)
        finally:
            if not dry_run:
                await sink.stop()
    finally:
        await engine.dispose()
    return result


async def _replay_one(
    active: ActiveConnector,
    body: bytes,
    received_at: datetime,
    known: dict[str, KnownAgreement],
    window: EventTimeRange,
    sink: EventPublisher,
    result: ReplayResult,
    dry_run: bool,
) -> None:
    derived = derive(connector_for(active.tool), active, body)
    if derived.refusal is not None:
        result.refused[derived.refusal[:200]] += 1
        return
    valid, rejected = validate_indexed(derived.items)
    valid, screened_out = screen_events(valid)
    principal = connector_principal(active, known[active.agreement_id].client)
    screened = screen(valid, rejected + screened_out, principal, known, received_at, window)
    for refusal in screened.rejected:
        if not refusal.reason.startswith(DUPLICATE_IN_BATCH):
            result.refused[refusal.reason[:200]] += 1
    if screened.accepted and not dry_run:
        await sink.publish(screened.accepted)
    result.events += len(screened.accepted)


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give an offset, e.g. 2026-10-01T00:00:00Z")
    return moment


def run() -> None:
    """Command-line entry point (settings from the environment, as the services read them)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connector", required=True, help="the connector id")
    parser.add_argument(
        "--from", dest="since", type=_instant, default=datetime(2000, 1, 1, tzinfo=UTC)
    )
    parser.add_argument("--to", dest="until", type=_instant, default=None, help="exclusive")
    parser.add_argument("--dry-run", action="store_true", help="map and count, publish nothing")
    args = parser.parse_args()
    result = asyncio.run(
        replay(
            args.connector,
            args.since,
            args.until or datetime.now(UTC),
            kafka=KafkaSettings(),
            database=DatabaseSettings(),
            connectors=ConnectorsSettings(),
            dry_run=args.dry_run,
        )
    )
    print(json.dumps(result.summary(), ensure_ascii=False))


if __name__ == "__main__":
    run()
