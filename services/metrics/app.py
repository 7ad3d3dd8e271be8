"""The metrics worker's Faust application: one app, its topics and its state tables.

Every family has its own state table, so one changelog partition only ever receives the
writes made for one source partition, in processing order (the recovery argument in
services/core/kpi/engine.py relies on it). Tables live in memory and are rebuilt from their
changelog on start or takeover; standby replicas are off because a takeover restores from
the changelog anyway and standbys would double the memory per worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust

from services.core.settings import KafkaSettings, MetricsSettings
from services.core.topics import Family, deadletter_topic, topic_name


@dataclass
class Topology:
    """The app with what agents and the sink need to reach."""

    app: faust.App
    sources: dict[Family, Any]
    tables: dict[Family, Any]
    deadletter: Any


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
        web_enabled=metrics.web_port > 0,
        web_port=max(metrics.web_port, 1),
        web_bind="127.0.0.1",
        value_serializer="raw",
        key_serializer="raw",
    )
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
