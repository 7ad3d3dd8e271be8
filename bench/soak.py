"""`make soak`: one metrics worker under sustained simulated traffic; is its memory bounded?

The simulator's ticket, call and survey lifecycles are published at SOAK_RATE events per
second for SOAK_SECONDS (loopback only), event time running ahead of the wall clock as fast
as the rate makes it, so tickets open, close and expire as they would over weeks. The
worker's RSS is sampled every SOAK_SAMPLE_SECONDS together with how far it got (events and
event time). Bounded means: after the warm-up (the first half), RSS grows by less than
SOAK_MAX_GROWTH_MB per minute. Memory follows event time, not wall time (docs/architecture.md,
"Bounded memory"): live density (SOAK_AGREEMENTS=20 SOAK_TICKETS_PER_MINUTE=6
SOAK_CALLS_PER_MINUTE=6) grows for the 7 days of event time an FCR horizon lasts, which a
soak of minutes never reaches. SOAK_TRACE=1 runs the worker under tracemalloc
(bench/traced_worker.py) and keeps its reports of what grew; SOAK_TRIM_PROBE=1 records RSS
before and after malloc_trim (memory the allocator holds but Python freed). Writes
bench/results/soak.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from bench.worker import PROMETHEUS_PORT, BenchWorker
from services.core.contract.events import EventBase, event_to_json, parse_event
from services.core.contract.topics import event_key, family_of, topic_name
from services.core.messaging.admin import ensure_topics, event_topics
from services.core.settings import DEFAULT_DATABASE_URL
from services.simulator.model import TrafficModel
from services.simulator.scene import Rates

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results" / os.environ.get("SOAK_RESULT", "soak.json")
SECONDS = float(os.environ.get("SOAK_SECONDS", "240"))
RATE = int(os.environ.get("SOAK_RATE", "400"))
AGREEMENTS = int(os.environ.get("SOAK_AGREEMENTS", "1"))
SAMPLE_SECONDS = float(os.environ.get("SOAK_SAMPLE_SECONDS", "5"))
MAX_GROWTH_MB_PER_MINUTE = float(os.environ.get("SOAK_MAX_GROWTH_MB", "5"))
# Per agreement, in event time: lower rates make event time (and retention) run faster.
# The defaults make about 1,300 events per day of event time, so that at SOAK_RATE the
# worker passes every retention horizon (31 days for hour buckets) within the run.
TICKETS_PER_MINUTE = float(os.environ.get("SOAK_TICKETS_PER_MINUTE", "0.1"))
CALLS_PER_MINUTE = float(os.environ.get("SOAK_CALLS_PER_MINUTE", "0.1"))
# SOAK_TRACE=1: tracemalloc reports; SOAK_TRIM_PROBE=1: RSS before/after malloc_trim.
PROBED = os.environ.get("SOAK_TRACE") == "1" or os.environ.get("SOAK_TRIM_PROBE") == "1"
MB = 1024 * 1024


def say(message: str) -> None:
    print(f"[soak] {message}", flush=True)


class Traffic:
    """The simulator's events, an hour of event time at a time, from 90 days ago on."""

    def __init__(self, agreement_ids: list[str], rng: random.Random) -> None:
        self.agreement_ids = agreement_ids
        self.start = self.t = time.time() - 90 * 86_400
        rates = Rates(tickets_per_minute=TICKETS_PER_MINUTE, calls_per_minute=CALLS_PER_MINUTE)
        self.model = TrafficModel(agreement_ids, rng, self.t, rates)
        self.pending: list[EventBase] = []

    def take(self, count: int) -> list[EventBase]:
        while len(self.pending) < count:
            hour = self.model.events_between(self.t, self.t + 3600)
            self.pending += [parse_event(e) for e in hour]
            self.t += 3600
        taken, self.pending = self.pending[:count], self.pending[count:]
        return taken


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def growth_mb_per_minute(samples: list[dict[str, float]]) -> float:
    """Least-squares slope of RSS over the samples after the warm-up (first half)."""
    tail = samples[len(samples) // 2 :]
    if len(tail) < 2:
        return 0.0
    xs, ys = [s["seconds"] for s in tail], [s["rss_bytes"] / MB for s in tail]
    return statistics.linear_regression(xs, ys).slope * 60


async def drive(worker: BenchWorker, bootstrap: str, prefix: str, traffic: Traffic) -> list[Any]:
    """Publish RATE events a second for SECONDS; the RSS samples taken meanwhile."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10)
    await producer.start()
    samples: list[dict[str, float]] = []
    started = time.monotonic()
    published = 0
    next_sample = started
    try:
        while (elapsed := time.monotonic() - started) < SECONDS:
            futures = [
                await producer.send(
                    topic_name(prefix, family_of(e.type)),
                    event_to_json(e),
                    key=event_key(e).encode(),
                )
                for e in traffic.take(RATE)
            ]
            await asyncio.gather(*futures)
            published += len(futures)
            if time.monotonic() >= next_sample:
                processed = worker.processed()
                # How far the worker got in event time (its stream time in PostgreSQL).
                reached = await worker.stream_time(traffic.agreement_ids[0])
                samples.append(
                    {
                        "seconds": round(elapsed, 1),
                        "rss_bytes": worker.rss_bytes(),
                        "published": published,
                        "processed": processed,
                        "stream_time": reached or traffic.start,
                    }
                )
                say(
                    f"{elapsed:5.0f}s rss {worker.rss_bytes() / MB:6.1f} MB, "
                    f"processed {processed:.0f} of {published}"
                )
                next_sample += SAMPLE_SECONDS
            await asyncio.sleep(max(0.0, started + (published / RATE) - time.monotonic()))
    finally:
        await producer.stop()
    return samples


async def main() -> dict[str, Any]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    prefix = f"soak{int(time.time())}"
    agreement_ids = [f"{prefix}-a{i:02d}" for i in range(AGREEMENTS)]
    await ensure_topics(bootstrap, event_topics(prefix), 6, 1)
    trace_file = Path(tempfile.mkdtemp(prefix="slawatch-soak-")) / "trace.jsonl"
    worker = BenchWorker(
        prefix,
        agreement_ids,
        bootstrap,
        database_url,
        module="bench.traced_worker" if PROBED else "services.metrics.worker",
        env={"SOAK_TRACE_FILE": str(trace_file)},
        index=free_port() - PROMETHEUS_PORT,  # never another worker's metrics
    )
    worker.start()
    try:
        await worker.wait_ready()
        say(f"worker ready; {RATE} events/s for {SECONDS:.0f}s")
        samples = await drive(worker, bootstrap, prefix, Traffic(agreement_ids, random.Random(7)))
        peak = worker.peak_rss_bytes()
    finally:
        worker.stop()
    growth = growth_mb_per_minute(samples)
    traces = trace_file.read_text().splitlines() if trace_file.is_file() else []
    result = {
        "seconds": SECONDS,
        "rate_events_per_second": RATE,
        "agreements": AGREEMENTS,
        "rss_start_mb": round(samples[0]["rss_bytes"] / MB, 1) if samples else None,
        "rss_end_mb": round(samples[-1]["rss_bytes"] / MB, 1) if samples else None,
        "rss_peak_mb": round(peak / MB, 1),
        "growth_after_warmup_mb_per_minute": round(growth, 2),
        "bounded": growth < MAX_GROWTH_MB_PER_MINUTE,
        # Event time the worker went through (not merely published): retention is in event time.
        "processed_event_days": (
            round((samples[-1]["stream_time"] - samples[0]["stream_time"]) / 86_400, 1)
            if samples
            else 0
        ),
        "samples": samples,
        "trace": [json.loads(line) for line in traces[-2:]],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def run() -> None:
    result = asyncio.run(main())
    print(json.dumps({k: v for k, v in result.items() if k not in ("samples", "trace")}, indent=2))
    print(f"written to {RESULTS.relative_to(ROOT)}")
    if not result["bounded"]:
        raise SystemExit("memory kept growing after the warm-up")


if __name__ == "__main__":
    run()
