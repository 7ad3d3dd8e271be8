"""The worker's own Prometheus metrics: what it consumed, rejected and saved.

KPI figures are exported by the API (merged over all partitions); the worker exports only
per-process pipeline health, so scaling workers never duplicates a KPI series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class Instruments:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.events = Counter(
            "slawatch_worker_events_total",
            "Events read from the family topics, by outcome.",
            ["family", "outcome"],
            registry=self.registry,
        )
        self.deadletters = Counter(
            "slawatch_worker_deadletters_total",
            "Messages sent to the dead-letter topic, by reason.",
            ["family", "reason"],
            registry=self.registry,
        )
        self.processing = Histogram(
            "slawatch_worker_processing_seconds",
            "Time to apply one event to the state tables.",
            ["family"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
            registry=self.registry,
        )
        self.flushes = Counter(
            "slawatch_worker_snapshot_writes_total",
            "Bucket rows written to PostgreSQL.",
            registry=self.registry,
        )
        self.flush_failures = Counter(
            "slawatch_worker_snapshot_failures_total",
            "Failed attempts to write state to PostgreSQL (retried on the next flush).",
            registry=self.registry,
        )
