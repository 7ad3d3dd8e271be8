"""A metrics worker process for the benchmark, observed through its metrics and the API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.core.storage import repository
from services.core.storage.session import make_sessionmaker

ROOT = Path(__file__).parents[1]
PROMETHEUS_PORT = 9190


@dataclass(frozen=True)
class Timing:
    seconds: float
    cpu_seconds: float


class BenchWorker:
    """One metrics worker process; workers with the same `app_id` share the partitions."""

    def __init__(
        self,
        prefix: str,
        agreement_ids: list[str],
        bootstrap: str,
        database_url: str,
        *,
        app_id: str | None = None,
        index: int = 0,
        module: str = "services.metrics.worker",
        env: dict[str, str] | None = None,
        breakdowns: bool = True,
    ):
        self.module = module
        self.dir = Path(tempfile.mkdtemp(prefix="slawatch-bench-"))
        self.port = PROMETHEUS_PORT + index
        agreements = self.dir / "agreements.yaml"
        targets = {"low": 28800, "normal": 14400, "high": 3600, "urgent": 900}
        agreements.write_text(
            yaml.safe_dump(
                {
                    "agreements": [
                        {
                            "agreement_id": a,
                            "client": a.rsplit("-", 1)[-1],
                            "frt_target_seconds": targets,
                            "resolution_target_seconds": {k: v * 10 for k, v in targets.items()},
                            "teams": _teams(a),
                        }
                        for a in agreement_ids
                    ]
                }
            )
        )
        self.flush_interval = 0.5
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KAFKA_TOPIC_PREFIX": prefix,
            "DATABASE_URL": database_url,
            "METRICS_APP_ID": app_id or f"slawatch-{prefix}",
            "METRICS_AGREEMENTS_FILE": str(agreements),
            "METRICS_DATA_DIR": str(self.dir / "data"),
            "METRICS_FLUSH_INTERVAL_SECONDS": str(self.flush_interval),
            "METRICS_PROMETHEUS_PORT": str(self.port),
            "METRICS_BROKER_SESSION_TIMEOUT_SECONDS": "10",
            "METRICS_BREAKDOWNS": "on" if breakdowns else "off",
            **(env or {}),
        }
        self.engine = create_async_engine(database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.dir / "worker.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def metric_total(self, name: str) -> float:
        """Sum of the worker's samples named `name` over all labels; -1 if unreachable."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return -1.0
        return sum(
            s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == name
        )

    def processed(self) -> float:
        return self.metric_total("slawatch_worker_events_total")

    async def wait_ready(self, limit_seconds: float = 90) -> None:
        deadline = time.monotonic() + limit_seconds
        while self.processed() < 0:
            if time.monotonic() > deadline or (self.proc and self.proc.poll() is not None):
                raise RuntimeError(f"worker did not start; see {self.dir / 'worker.log'}")
            await asyncio.sleep(0.2)

    async def wait_until_processed(self, total: int, limit_seconds: float = 900) -> None:
        deadline = time.monotonic() + limit_seconds
        while (count := self.processed()) < total:
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker processed {count} of {total} events")
            await asyncio.sleep(1.0)

    async def stream_time(self, agreement_id: str) -> float | None:
        async with self.sessions() as session:
            return await repository.stream_time(session, agreement_id)

    def _status(self, field: str) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        """User plus system CPU time the worker process has used so far."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        return self._status("VmRSS")

    def peak_rss_bytes(self) -> int:
        return self._status("VmHWM")


def _teams(agreement_id: str) -> dict[str, list[str]]:
    """Two teams of the simulator's agents (services/simulator/scene.py); the rest unassigned."""
    agent = "agent-{:03d}@" + agreement_id
    return {
        "team-a": [agent.format(i) for i in range(1, 16)],
        "team-b": [agent.format(i) for i in range(16, 31)],
    }


async def bucket_rows(database_url: str, prefix: str) -> dict[str, tuple[int, int]]:
    """(rows, bytes of their aggregates) of the totals ("") and slice buckets of `prefix`."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT slice = '', count(*), sum(pg_column_size(data)) FROM kpi_buckets"
                    " WHERE agreement_id LIKE :pattern GROUP BY slice = ''"
                ),
                {"pattern": prefix + "-%"},
            )
            rows = {
                ("totals" if total else "slices"): (int(n), int(size)) for total, n, size in result
            }
    finally:
        await engine.dispose()
    return rows


async def time_to_process(
    workers: Sequence[BenchWorker], total: int, limit_seconds: float = 900
) -> Timing:
    """Wall and CPU seconds `workers` together take for `total` events, from the first one.

    Every poll makes a worker render all its series, which costs it CPU, so polls are a
    second apart: the start is extrapolated back and the end interpolated between the last
    two polls, at the rate measured between them.
    """
    deadline = time.monotonic() + limit_seconds
    first: tuple[float, float, float] | None = None
    previous: tuple[float, float] | None = None
    while True:
        counts = [w.processed() for w in workers]
        count = sum(max(c, 0) for c in counts)
        now, cpu = time.perf_counter(), sum(w.cpu_seconds() for w in workers)
        if first is None and count > 0:
            first = (now, count, cpu)
        if count >= total and first is not None and previous is not None:
            end = previous[0] + (now - previous[0]) * (total - previous[1]) / (count - previous[1])
            scale = total / max(total - first[1], 1)
            # CPU is read at the polls only: scale it to the events between them.
            cpu_scale = total / max(count - first[1], 1)
            return Timing((end - first[0]) * scale, (cpu - first[2]) * cpu_scale)
        if count >= total:
            raise RuntimeError("too few events to time; raise BENCH_EVENTS")
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers processed {count} of {total} events")
        if first is not None:
            previous = (now, count)
        await asyncio.sleep(1.0)
