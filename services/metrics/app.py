"""The metrics worker's Faust application: one app, its topics and its state tables.

Every family has its own state table, so one changelog partition only ever receives the
writes made for one source partition, in processing order (the recovery argument in
services/core/kpi/engine.py relies on it). Tables live in memory and are rebuilt from their
changelog on start or takeover; standby replicas are off because a takeover restores from
the changelog anyway and standbys would double the memory per worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import faust
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP

from services.core.contract.topics import Family, deadletter_topic, topic_name
from services.core.settings import KafkaSettings, MetricsSettings

log = logging.getLogger(__name__)


@dataclass
class Topology:
    """The app with what agents and the sink need to reach."""

    app: faust.App
    sources: dict[Family, Any]
    tables: dict[Family, Any]
    deadletter: Any


def partitions_to_rewind(
    committed: Mapping[TP, int | None], is_source: Callable[[str], bool]
) -> list[TP]:
    """The source partitions without a committed offset, in a stable order."""
    return sorted(
        (
            tp
            for tp, offset in committed.items()
            if (offset is None or offset <= 0) and is_source(tp.topic)
        ),
        key=lambda tp: (tp.topic, tp.partition),
    )


class RewindingConsumer(aiokafka_driver.Consumer):
    """Faust's Kafka consumer whose "seek to committed" also rewinds never-committed partitions.

    Works around lost records in faust-streaming 0.15.3 with aiokafka 0.14.0. A fetch still in
    flight when a rebalance starts filters on Faust's live set of active partitions; the
    rebalance pauses every partition, the set becomes empty, and aiokafka takes an empty filter
    as "every partition". When the first records of the new assignment arrive, that fetch
    returns them and the positions move past them. Faust drops them (the flow is stopped) and
    counts on `perform_seek` to read them again from the committed offsets, but aiokafka's
    `seek_to_committed` leaves a partition without a committed offset where it is. A partition
    whose owner died before its first commit was then never processed by the survivor: after
    the takeover it "consumed nothing more" and its figures stayed incomplete.

    Such partitions (no committed offset, or 0) are reset to the beginning here, which is what
    `consumer_auto_offset_reset="earliest"` means for them. Records read again are replays,
    which the engine recognises by their offsets.
    """

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = await super().seek_to_committed()
        if self.app.conf.consumer_auto_offset_reset != "earliest":
            return committed
        # Only the topics the agents read and commit (not changelogs, not the leader topic).
        uncommitted = partitions_to_rewind(committed, self.app.topics.acks_enabled_for)
        if uncommitted:
            log.info(
                "no committed offset: reading from the beginning of %s",
                ", ".join(f"{tp.topic}[{tp.partition}]" for tp in uncommitted),
            )
            await self._thread.seek_to_beginning(
                *(aiokafka_driver.ensure_aiokafka_TP(tp) for tp in uncommitted)
            )
        return committed


class RewindingTransport(aiokafka_driver.Transport):
    """The aiokafka transport with `RewindingConsumer`."""

    Consumer = RewindingConsumer


WEB_BIND = "127.0.0.1"


def broker_url(bootstrap_servers: str) -> str:
    return ";".join(f"kafka://{host.strip()}" for host in bootstrap_servers.split(","))


def create_topology(kafka: KafkaSettings, metrics: MetricsSettings) -> Topology:
    app = faust.App(
        metrics.app_id,
        broker=broker_url(kafka.bootstrap_servers),
        store="memory://",
        datadir=str(metrics.data_dir),
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication_factor,
        table_standby_replicas=0,
        broker_session_timeout=metrics.broker_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, metrics.broker_session_timeout_seconds / 3),
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Faust's web server: off unless METRICS_WEB_PORT is set, then on loopback only and
        # without the views that read tables or their keys (raw events of tickets) or show
        # internals; what remains is Faust's index page. Our metrics have their own port.
        web_enabled=metrics.web_port > 0,
        web_port=max(metrics.web_port, 1),
        web_bind=WEB_BIND,
        web_tables_enabled=False,
        web_router_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        value_serializer="raw",
        key_serializer="raw",
    )
    # Before anything (topics, agents) builds on the default transport; see RewindingConsumer.
    app.transport = RewindingTransport(app.conf.broker_consumer, app)
    sources = {
        family: app.topic(
            topic_name(kafka.topic_prefix, family),
            partitions=kafka.partitions,
            key_serializer="raw",
            value_serializer="raw",
        )
        for family in Family
    }
    tables = {
        family: app.Table(
            f"state-{family.value}",
            partitions=kafka.partitions,  # keys and values are JSON, Faust's table default
        )
        for family in Family
    }
    deadletter = app.topic(
        deadletter_topic(kafka.topic_prefix),
        partitions=kafka.partitions,
        key_serializer="raw",
        value_serializer="raw",
    )
    return Topology(app=app, sources=sources, tables=tables, deadletter=deadletter)
