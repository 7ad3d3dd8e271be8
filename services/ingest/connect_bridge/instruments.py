"""The bridge's own Prometheus metrics, on its own registry and port.

The bridge has no HTTP server of its own, so `serve_metrics` starts prometheus_client's
(`CONNECT_BRIDGE_PROMETHEUS_PORT`). Records count in the same family as ingest's webhooks,
`slawatch_connector_payloads_total{connector_tool,outcome}` (the same `ConnectorInstruments`,
tool `connect`), so one query covers both paths; two gauges say whether the bridge keeps
up: the records of its topic it has not read yet, and when it last committed a batch.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from services.ingest.connectors.instruments import ConnectorInstruments, PayloadOutcome

TOOL = "connect"


class BridgeInstruments:
    """Counters and gauges of one bridge process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.connectors = ConnectorInstruments(registry)
        self.lag = Gauge(
            "slawatch_connect_bridge_lag_records",
            "Records of the contact-record topic not read yet (high watermark - position)",
            registry=registry,
        )
        self.last_commit = Gauge(
            "slawatch_connect_bridge_last_commit_timestamp_seconds",
            "Unix time the bridge last committed a batch's offsets (0: not yet)",
            registry=registry,
        )

    def committed(self, outcomes: Iterable[PayloadOutcome], at: float | None = None) -> None:
        """A batch is stored and its offsets committed: count its records' outcomes."""
        for outcome in outcomes:
            self.connectors.count(TOOL, outcome)
        self.last_commit.set(time.time() if at is None else at)

    def observe_lag(self, behind: Mapping[object, int]) -> None:
        """Records behind per partition (partitions whose high watermark is unknown left out)."""
        self.lag.set(sum(max(0, n) for n in behind.values()))


def serve_metrics(port: int, registry: CollectorRegistry) -> WSGIServer | None:
    """Start the `/metrics` server on `port` (0: none); returns the server to shut down."""
    if port <= 0:
        return None
    server, _thread = start_http_server(port, registry=registry)
    return server
