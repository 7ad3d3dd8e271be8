"""Entry point of the metrics worker: `python -m services.metrics.worker`.

Wires the Faust topology to the pure engines, the PostgreSQL sink and the snapshot timer.
Start more processes with the same `METRICS_APP_ID` to share the partitions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import faust

from services.core.contract.topics import Family
from services.core.kpi.engine import Engine
from services.core.kpi.params import MeasurementParams
from services.core.kpi.retention import Retention
from services.core.kpi.slices import Slicer
from services.core.messaging.admin import ensure_topics, event_topics
from services.core.settings import DatabaseSettings, KafkaSettings, MetricsSettings
from services.core.storage.kpi_reader import SqlKpiReader, agreement_kpis
from services.core.storage.repository import delete_snapshots_before, write_snapshots
from services.core.storage.session import make_engine, make_sessionmaker
from services.core.storage.ticket_breaches import delete_breaches_before
from services.metrics.agents import register_agents
from services.metrics.agreements_feed import AgreementsFeed, make_feed
from services.metrics.app import Topology, create_topology
from services.metrics.health import make_app, serve
from services.metrics.hold import AgreementWait
from services.metrics.instruments import Instruments
from services.metrics.observe import attach_histograms, update_gauges
from services.metrics.publishing import publish_once
from services.metrics.sink import flush
from services.metrics.table_store import TableStore

log = logging.getLogger(__name__)


@dataclass
class Worker:
    """Everything one worker process holds."""

    topology: Topology
    engines: dict[Family, Engine]
    agreements: dict[str, MeasurementParams]
    instruments: Instruments = field(default_factory=Instruments)
    owned: dict[Family, set[int]] = field(default_factory=dict)


def owned_partitions(topology: Topology, family: Family) -> set[int]:
    topic = topology.sources[family].get_topic_name()
    actives = topology.app.assignor.assigned_actives()
    return {tp.partition for tp in actives if tp.topic == topic}


def build_worker(
    kafka: KafkaSettings,
    metrics: MetricsSettings,
    database: DatabaseSettings,
    feed: AgreementsFeed | None = None,
) -> Worker:
    topology = create_topology(kafka, metrics)
    # Agreements change while the worker runs: the feed keeps this dict, which the engines
    # read, up to date from the agreements topic (services/metrics/agreements_feed.py).
    feed = feed or make_feed(kafka, metrics)
    agreements = feed.agreements
    stores = {family: TableStore(table) for family, table in topology.tables.items()}
    engines = {
        family: Engine(
            family,
            stores[family],
            agreements,
            Retention(
                lateness_seconds=metrics.allowed_lateness_seconds,
                max_ahead_seconds=metrics.max_ahead_seconds,
            ),
            clock=time.time,
            slicer=Slicer(metrics.breakdown_max_values) if metrics.breakdowns else None,
        )
        for family in Family
    }
    worker = Worker(topology, engines, agreements)
    sessions = make_sessionmaker(make_engine(database))
    worker.instruments.progress.stall_seconds = metrics.stall_seconds
    register_agents(
        topology,
        engines,
        worker.instruments,
        metrics.batch_max_events,
        metrics.batch_wait_seconds,
        AgreementWait(agreements, metrics.agreement_wait_seconds),
        sessions,
    )
    attach_histograms(engines, worker.instruments, feed.clients)
    app = topology.app
    app.task(feed.follow)

    for family, table in topology.tables.items():

        async def _on_recover(family: Family = family) -> None:
            owned = owned_partitions(topology, family)
            rows = engines[family].rebuild_index(owned)
            worker.owned[family] = owned
            log.info("%s: owns partitions %s, %d rows restored", family, sorted(owned), rows)

        table.on_recover(_on_recover)

    async def flush_state() -> None:
        for family, engine in engines.items():
            owned = owned_partitions(topology, family)
            await flush(engine, owned, sessions, worker.instruments)
            # Deletions of the expired rows `flush` saved; on failure they stay in the outbox
            # for the agent (which retries) or the next flush, and the worker is unready.
            await publish_once(stores[family], family.value, worker.instruments)
            topic = topology.sources[family].get_topic_name()
            highwater = {
                tp.partition: app.consumer.highwater(tp)
                for tp in app.assignor.assigned_actives()
                if tp.topic == topic
            }
            waiting = update_gauges(
                worker.instruments, family, topic, owned, highwater, worker.instruments.processed
            )
            worker.instruments.progress.lag_seen(family.value, waiting, time.time())
        worker.instruments.judge_progress(time.time())

    async def snapshot_figures() -> None:
        taken_at = (
            time.time() // metrics.snapshot_interval_seconds * metrics.snapshot_interval_seconds
        )
        try:
            async with sessions() as session, session.begin():
                for params in list(agreements.values()):  # the feed may change it meanwhile
                    kpis = await agreement_kpis(SqlKpiReader(session), params)
                    results = list(kpis.windows.values())
                    await write_snapshots(session, params.agreement_id, results, taken_at)
                retention_seconds = metrics.snapshot_retention_days * 86_400
                await delete_snapshots_before(session, taken_at - retention_seconds)
                # Breached tickets share the snapshots' retention (docs/reports.md).
                await delete_breaches_before(session, taken_at - retention_seconds)
        except Exception:
            worker.instruments.flush_failures.inc()
            log.exception(
                "snapshot of figures failed; next attempt in %ss", metrics.snapshot_interval_seconds
            )

    app.timer(interval=metrics.flush_interval_seconds)(flush_state)
    app.timer(interval=metrics.snapshot_interval_seconds, on_leader=True)(snapshot_figures)
    return worker


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    kafka, metrics, database = KafkaSettings(), MetricsSettings(), DatabaseSettings()
    asyncio.run(
        ensure_topics(
            kafka.bootstrap_servers,
            event_topics(kafka.topic_prefix),
            kafka.partitions,
            kafka.replication_factor,
        )
    )
    # Read every agreement before Faust starts, so that no event of a known agreement is
    # dead-lettered as unknown while the worker starts.
    feed = make_feed(kafka, metrics)
    asyncio.run(feed.catch_up())
    worker = build_worker(kafka, metrics, database, feed)
    if metrics.prometheus_port:
        # /metrics, and /readyz: 503 while the worker cannot make progress.
        inst = worker.instruments
        app = make_app(inst.registry, inst.progress, time.time)
        serve(app, metrics.prometheus_bind, metrics.prometheus_port)
    faust.Worker(worker.topology.app, loglevel="INFO").execute_from_commandline()


if __name__ == "__main__":
    main()
