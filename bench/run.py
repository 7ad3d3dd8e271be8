"""`make bench`: one metrics worker against a bare aiokafka consumer, on the same topics;
then a month's report, and connector ingest next to plain v1 ingest (bench/connectors.py).

Everything runs in one process tree on this machine, so the ratio worker / bare consumer
is what to compare across machines; absolute rates depend on the cores. Writes
bench/results/latest.json and prints a summary.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import connectors as connectors_bench
from bench import connectors_ctr, load
from bench import report as report_bench
from bench.worker import BenchWorker, Timing, bucket_rows, time_to_process
from services.core.messaging.admin import ensure_topics, event_topics
from services.core.settings import DEFAULT_DATABASE_URL

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
EVENTS = int(os.environ.get("BENCH_EVENTS", "60000"))
AGREEMENTS = int(os.environ.get("BENCH_AGREEMENTS", "20"))
OPEN_TICKETS = int(os.environ.get("BENCH_OPEN_TICKETS", "20000"))
PROBES = int(os.environ.get("BENCH_PROBES", "30"))
SCALE_WORKERS = int(os.environ.get("BENCH_SCALE_WORKERS", "2"))
PARTITIONS = 6


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


async def main() -> dict[str, Any]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    prefix = f"bench{int(time.time())}"
    agreement_ids = [f"{prefix}-a{i:02d}" for i in range(AGREEMENTS)]
    rng = random.Random(20261126)
    events = load.realistic_events(agreement_ids, EVENTS, rng)
    say(f"{len(events)} events generated for {AGREEMENTS} agreements")
    await ensure_topics(bootstrap, event_topics(prefix), PARTITIONS, 1)

    publish_seconds = await load.publish(bootstrap, prefix, events)
    say(f"published in {publish_seconds:.1f}s")
    # The bare read lasts about a second, so one run is noisy: take the median of three.
    bare_runs = [await load.bare_consume(bootstrap, prefix, len(events)) for _ in range(3)]
    bare_seconds = statistics.median(bare_runs)
    say(f"bare consumer read them in {', '.join(f'{s:.2f}s' for s in bare_runs)}")
    floor_seconds = await load.faust_floor(prefix, len(events))
    say(f"a stateless Faust app read and parsed them in {floor_seconds:.2f}s")

    probe_agreement = f"{prefix}-probe"
    memory_agreement = f"{prefix}-memory"
    all_agreements = [*agreement_ids, probe_agreement, memory_agreement]
    worker = BenchWorker(prefix, all_agreements, bootstrap, database_url)
    worker.start()
    try:
        await worker.wait_ready()
        # The events are already on the topics: the worker starts with a full backlog.
        say("worker ready")
        timing = await time_to_process([worker], len(events))
        worker_seconds, worker_cpu = timing.seconds, timing.cpu_seconds
        rss_after_events = worker.rss_bytes()
        say(f"worker processed them in {worker_seconds:.1f}s")
        batches = worker.metric_total("slawatch_worker_batch_events_count")
        writes = worker.metric_total("slawatch_worker_state_writes_total")
        latencies = await load.probe_latency(bootstrap, prefix, probe_agreement, worker, PROBES)
        say("latency probes done")
        rss_before = worker.rss_bytes()
        opened = load.open_tickets(memory_agreement, OPEN_TICKETS)
        await load.publish(bootstrap, prefix, opened)
        await worker.wait_until_processed(len(events) + PROBES + len(opened))
        rss_after = worker.rss_bytes()
        peak = worker.peak_rss_bytes()
    finally:
        worker.stop()

    scale_out = await measure_scale_out(prefix, all_agreements, bootstrap, database_url, events)
    stored = await bucket_rows(database_url, prefix)
    off = await measure_breakdowns_off(prefix, agreement_ids, bootstrap, database_url, events)

    bare_rate = len(events) / bare_seconds
    worker_rate = len(events) / worker_seconds
    floor_rate = len(events) / floor_seconds
    result = {
        "machine": {"cpus": os.cpu_count()},
        "events": len(events),
        "agreements": AGREEMENTS,
        "partitions": PARTITIONS,
        "publish_events_per_second": round(len(events) / publish_seconds),
        "bare_consumer_events_per_second": round(bare_rate),
        "worker_events_per_second": round(worker_rate),
        "worker_to_bare_ratio": round(worker_rate / bare_rate, 4),
        # A Faust app reading and parsing the same events with no state: Faust's own cost.
        "faust_floor_events_per_second": round(floor_rate),
        "faust_floor_to_bare_ratio": round(floor_rate / bare_rate, 4),
        "worker_to_faust_floor_ratio": round(worker_rate / floor_rate, 4),
        # What bounds the worker: how many events share a batch, and how many state rows
        # (changelog messages) each event costs after batching.
        # CPU the worker used per event: unlike the rate, barely moved by other load.
        # SCALE_WORKERS workers of one consumer group on a copy of the same events, after the
        # single worker; on this machine they share two cores with the broker and PostgreSQL.
        "scale_out": {
            "workers": SCALE_WORKERS,
            "events_per_second": round(len(events) / scale_out.seconds) if scale_out else None,
            "speedup_vs_one_worker": (
                round(len(events) / scale_out.seconds / worker_rate, 2) if scale_out else None
            ),
        },
        # The same single-worker run with METRICS_BREAKDOWNS=off on a copy of the events: what
        # the breakdowns (docs/kpis.md, "Breakdowns") cost in throughput, CPU and memory.
        "breakdowns": breakdowns_cost(len(events), timing, rss_after_events, writes, off, stored),
        "worker_cpu_ms_per_event": round(worker_cpu * 1000 / len(events), 3),
        "worker_events_per_batch": round(len(events) / max(batches, 1), 1),
        "worker_state_writes_per_event": round(writes / len(events), 2),
        "latency_seconds": {
            "p50": round(statistics.median(latencies), 3),
            "p99": round(load.percentile(latencies, 0.99), 3),
            "probes": len(latencies),
            "flush_interval_seconds": worker.flush_interval,
        },
        "memory": {
            "open_tickets_added": len(opened),
            "rss_bytes_per_100k_open_tickets": round((rss_after - rss_before) / len(opened) * 1e5),
            "peak_rss_bytes": peak,
        },
    }
    # One month's report of 100k tickets and 100k calls: figures + JSON, HTML, PDF.
    result["monthly_report"] = await report_bench.measure(database_url)
    say(f"monthly report: {result['monthly_report']}")
    # Amazon Connect contact records through the bridge, next to plain v1 publishing.
    result["connectors_ctr"] = await connectors_ctr.measure(bootstrap, prefix)
    say(f"connect contact records: {result['connectors_ctr']}")
    # Tool webhooks through a connector (generic, Zammad mapping) next to plain v1 posts.
    result["connector_ingest"] = await connectors_bench.measure(bootstrap, f"{prefix}c")
    say(f"connector ingest: {result['connector_ingest']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


async def measure_scale_out(
    prefix: str, agreement_ids: list[str], bootstrap: str, database_url: str, events: list[Any]
) -> Timing | None:
    """Time SCALE_WORKERS workers of one consumer group on a copy of the events.

    The copy goes to topics of its own, so the group reads exactly the events the single
    worker read, and nothing else runs meanwhile.
    """
    if SCALE_WORKERS < 2:
        return None
    copy = f"{prefix}x"
    await ensure_topics(bootstrap, event_topics(copy), PARTITIONS, 1)
    await load.publish(bootstrap, copy, events)
    group = [
        BenchWorker(
            copy,
            agreement_ids,
            bootstrap,
            database_url,
            app_id=f"slawatch-{copy}-{SCALE_WORKERS}",
            index=i + 1,
        )
        for i in range(SCALE_WORKERS)
    ]
    for member in group:
        member.start()
    try:
        for member in group:
            await member.wait_ready()
        timing = await time_to_process(group, len(events))
        say(f"{SCALE_WORKERS} workers processed them in {timing.seconds:.1f}s")
        return timing
    finally:
        for member in group:
            member.stop()


@dataclass(frozen=True)
class OffRun:
    timing: Timing
    rss_bytes: int
    writes: float


async def measure_breakdowns_off(
    prefix: str, agreement_ids: list[str], bootstrap: str, database_url: str, events: list[Any]
) -> OffRun:
    """One worker with METRICS_BREAKDOWNS=off on a copy of the events, in topics of its own."""
    copy = f"{prefix}o"
    await ensure_topics(bootstrap, event_topics(copy), PARTITIONS, 1)
    await load.publish(bootstrap, copy, events)
    worker = BenchWorker(copy, agreement_ids, bootstrap, database_url, breakdowns=False)
    worker.start()
    try:
        await worker.wait_ready()
        timing = await time_to_process([worker], len(events))
        say(f"worker without breakdowns processed them in {timing.seconds:.1f}s")
        return OffRun(
            timing, worker.rss_bytes(), worker.metric_total("slawatch_worker_state_writes_total")
        )
    finally:
        worker.stop()


def breakdowns_cost(
    events: int,
    on: Timing,
    on_rss: int,
    on_writes: float,
    off: OffRun,
    stored: dict[str, tuple[int, int]],
) -> dict[str, Any]:
    """The figures with breakdowns on next to off, and the ratios that state the cost."""
    slices, totals = stored.get("slices", (0, 0)), stored.get("totals", (0, 0))

    def figures(timing: Timing, rss: int, writes: float) -> dict[str, Any]:
        return {
            "events_per_second": round(events / timing.seconds),
            "cpu_ms_per_event": round(timing.cpu_seconds * 1000 / events, 3),
            "state_writes_per_event": round(writes / events, 2),
            "rss_bytes_after_events": rss,
        }

    return {
        "on": figures(on, on_rss, on_writes),
        "off": figures(off.timing, off.rss_bytes, off.writes),
        "throughput_on_to_off": round(off.timing.seconds / on.seconds, 3),
        "cpu_per_event_on_to_off": round(on.cpu_seconds / max(off.timing.cpu_seconds, 1e-9), 3),
        "rss_on_minus_off_bytes": on_rss - off.rss_bytes,
        "bucket_rows": {"totals": totals[0], "slices": slices[0]},
        "bytes_per_slice_bucket": round(slices[1] / slices[0]) if slices[0] else None,
    }


def run() -> None:
    result = asyncio.run(main())
    print(json.dumps(result, indent=2))
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    run()
