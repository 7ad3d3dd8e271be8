"""Pipeline health: throughput, dead letters, lag, latency, snapshots, freshness."""

from __future__ import annotations

from deploy.grafana.panels import (
    Grid,
    Json,
    dashboard,
    series_style,
    stat,
    thresholds,
    timeseries,
)

EVENTS = "rate(slawatch_worker_events_total{sel}[$__rate_interval])"
LATENCY = (
    "histogram_quantile({q}, sum by (le, family) "
    "(rate(slawatch_worker_processing_seconds_bucket[$__rate_interval])))"
)


def build() -> Json:
    """Worker metrics are per process: sum over processes, max for per-partition gauges."""
    g = Grid()
    g.row("Throughput")
    by_outcome = (f"sum by (outcome) ({EVENTS.format(sel='')})", "{{outcome}}")
    g.add(12, 8, timeseries("Events/s by outcome", by_outcome, unit="ops", stack=True))
    accepted = EVENTS.format(sel='{outcome="accepted"}')
    by_family = (f"sum by (family) ({accepted})", "{{family}}")
    g.add(12, 8, timeseries("Accepted events/s by family", by_family, unit="ops"))
    dead = (
        "sum by (family, reason) (rate(slawatch_worker_deadletters_total[$__rate_interval]))",
        "{{family}} {{reason}}",
    )
    red_above = thresholds(("green", None), ("red", 0.1))
    g.add(12, 8, timeseries("Dead letters/s by reason", dead, unit="ops", steps=red_above))
    p50 = (LATENCY.format(q=0.5), "p50 {{family}}")
    p99 = (LATENCY.format(q=0.99), "p99 {{family}}")
    g.add(12, 8, timeseries("Processing time per event", p50, p99, unit="s"))
    # What a batch saves: events per batch, and state rows (changelog messages) per event.
    batch = (
        "sum by (family) (rate(slawatch_worker_batch_events_sum[$__rate_interval]))"
        " / sum by (family) (rate(slawatch_worker_batch_events_count[$__rate_interval]))",
        "{{family}}",
    )
    g.add(12, 8, timeseries("Events per batch", batch))
    rows = (
        "sum by (family) (rate(slawatch_worker_state_writes_total[$__rate_interval]))"
        f" / sum by (family) ({EVENTS.format(sel='')})",
        "{{family}}",
    )
    g.add(12, 8, timeseries("State rows written per event", rows))

    g.row("Kafka")
    lag = ("max by (topic, partition) (slawatch_worker_consumer_lag)", "{{topic}}[{{partition}}]")
    orange_above = thresholds(("green", None), ("orange", 10000))
    g.add(12, 8, timeseries("Consumer lag per partition", lag, steps=orange_above))
    owned = (
        "sum by (instance, family) (slawatch_worker_owned_partitions)",
        "{{instance}} {{family}}",
    )
    g.add(6, 8, timeseries("Owned partitions per worker", owned))
    up = thresholds(("red", None), ("green", 1))
    g.add(6, 8, stat("Workers up", "count(slawatch_worker_up) or vector(0)", steps=up))

    g.row("Snapshots and freshness")
    writes = (
        "sum by (instance) (rate(slawatch_worker_snapshot_writes_total[$__rate_interval]))",
        "writes {{instance}}",
    )
    failures = (
        "sum by (instance) (rate(slawatch_worker_snapshot_failures_total[$__rate_interval]))",
        "failures {{instance}}",
    )
    red_failures = [series_style("^failures", "red", width=2)]
    snapshots = timeseries(
        "Snapshot writes and failures/s", writes, failures, unit="ops", overrides=red_failures
    )
    g.add(12, 8, snapshots)
    behind = ("time() - max by (agreement) (slawatch_stream_time_seconds)", "{{agreement}}")
    stale = thresholds(("green", None), ("orange", 900))
    g.add(12, 8, timeseries("Stream time behind the clock", behind, unit="s", steps=stale))
    return dashboard(
        "slawatch-pipeline",
        "slawatch: pipeline",
        "Metrics workers: throughput, dead letters, lag, snapshots, freshness.",
        g,
        time={"from": "now-6h", "to": "now"},
    )
