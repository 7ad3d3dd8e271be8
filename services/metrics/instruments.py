"""The worker's own Prometheus metrics: what it consumed, rejected and saved.

KPI figures are exported by the API (merged over all partitions); the worker exports only
per-process pipeline health, so scaling workers never duplicates a KPI series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.core.kpi.facts import Fact, FactKind
from services.metrics.health import Progress

TICKET_BUCKETS = (
    60,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    14400,
    28800,
    86400,
    172800,
    259200,
    432000,
    604800,
)
CALL_BUCKETS = (5, 10, 20, 30, 60, 120, 300, 600, 900, 1800)


@dataclass
class Instruments:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    # Last offset processed per (topic, partition), for the lag gauge.
    processed: dict[tuple[str, int], int] = field(default_factory=dict)
    lag_series: set[tuple[str, str]] = field(default_factory=set)
    progress: Progress = field(default_factory=Progress)
    _children: dict[tuple[int, tuple[str, ...]], Any] = field(default_factory=dict)

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
            "Time to apply one event to its batch's staged state (excludes the batch write).",
            ["family"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
            registry=self.registry,
        )
        self.batch_events = Histogram(
            "slawatch_worker_batch_events",
            "Events per batch an agent applied before writing its state rows.",
            ["family"],
            buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
            registry=self.registry,
        )
        self.state_writes = Counter(
            "slawatch_worker_state_writes_total",
            "State rows written (changelog messages), after batching.",
            ["family"],
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
        self.lag = Gauge(
            "slawatch_worker_consumer_lag",
            "Messages not yet processed, per owned source partition.",
            ["topic", "partition"],
            registry=self.registry,
        )
        self.owned = Gauge(
            "slawatch_worker_owned_partitions",
            "Source partitions this process owns.",
            ["family"],
            registry=self.registry,
        )
        self.up = Gauge(
            "slawatch_worker_up", "Always 1 while the worker runs.", registry=self.registry
        )
        self.up.set(1)
        self.ready = Gauge(
            "slawatch_worker_ready",
            "1 while the worker makes progress (no events waiting without a batch done, "
            "state rows reaching the producer, flushes succeeding, see /readyz); 0 otherwise.",
            registry=self.registry,
        )
        self.ready.set(1)
        self.batch_failures = Counter(
            "slawatch_worker_batch_failures_total",
            "Batches an agent raised on (the agent restarts; the batch stays unacknowledged).",
            ["family"],
            registry=self.registry,
        )
        self.publish_failures = Counter(
            "slawatch_worker_publish_failures_total",
            "Failed attempts to hand state rows to the Kafka producer (retried with backoff; "
            "the batch waits unacknowledged).",
            ["family"],
            registry=self.registry,
        )
        self.last_batch = Gauge(
            "slawatch_worker_last_batch_timestamp_seconds",
            "Wall-clock time an agent last finished a batch.",
            ["family"],
            registry=self.registry,
        )
        ticket_labels = ["agreement", "client", "priority"]
        self.first_response = Histogram(
            "slawatch_first_response_seconds",
            "First response times (ticket clock) when first counted.",
            ticket_labels,
            buckets=TICKET_BUCKETS,
            registry=self.registry,
        )
        self.resolution = Histogram(
            "slawatch_resolution_seconds",
            "Resolution times (ticket clock) when first counted.",
            ticket_labels,
            buckets=TICKET_BUCKETS,
            registry=self.registry,
        )
        self.handle = Histogram(
            "slawatch_handle_seconds",
            "Handle time (talk + hold + wrap) of completed calls.",
            ["agreement", "client"],
            buckets=TICKET_BUCKETS[:8],
            registry=self.registry,
        )
        self.answer_wait = Histogram(
            "slawatch_answer_wait_seconds",
            "Wait from offer to answer of answered calls.",
            ["agreement", "client"],
            buckets=CALL_BUCKETS,
            registry=self.registry,
        )

    def batch_done(self, family: str, now: float) -> None:
        self.progress.batch_done(family)
        self.child(self.last_batch, family).set(now)

    def judge_progress(self, now: float) -> list[str]:
        """Problems that keep the worker from being ready; also sets `slawatch_worker_ready`."""
        problems = self.progress.problems(now)
        self.ready.set(0 if problems else 1)
        return problems

    def child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, cached: the event path calls it several times per event.

        Only for series never removed (the lag series are removed, and not cached)."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def observe_fact(self, agreement: str, client: str, priority: str, fact: Fact) -> None:
        """Record a newly counted item in its distribution (corrections are not undone)."""
        if fact.kind is FactKind.FIRST_RESPONSE:
            self.child(self.first_response, agreement, client, priority).observe(fact.value)
        elif fact.kind is FactKind.RESOLUTION:
            self.child(self.resolution, agreement, client, priority).observe(fact.value)
        elif fact.kind is FactKind.HANDLED_CALL:
            self.child(self.handle, agreement, client).observe(fact.value)
        elif fact.kind is FactKind.CALL_OUTCOME and fact.flag and not fact.short:
            self.child(self.answer_wait, agreement, client).observe(fact.value)

    def forget_partitions(self, topic: str, owned: set[int]) -> None:
        """Drop lag series of partitions this process no longer owns (no stale series)."""
        for labels in [lb for lb in self.lag_series if lb[0] == topic]:
            if int(labels[1]) not in owned:
                self.lag.remove(*labels)
                self.lag_series.discard(labels)

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        labels = (topic, str(partition))
        self.lag.labels(*labels).set(lag)
        self.lag_series.add(labels)
