"""The services of one slawatch stack: migrations, agreements, ingest, workers, API, simulator.

Start order: migrations and agreements first (the services read both), then ingest, the
metrics workers and the API, each waited for on its health endpoint. Stop order: the
simulator first (its last batch still lands), then the API and the workers, ingest last
(nothing posts to it any more).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from scripts.launcher.processes import Process, StartupError, run_step, stop_all

DEMO_AGREEMENTS = Path("deploy/agreements/demo.yaml")


@dataclass(frozen=True)
class StackSettings:
    """Where one stack listens and what its processes get.

    `env` goes to every process (broker, database, topic prefix, keys); `api_env` and
    `worker_env` only to the API and to each worker.
    """

    env: dict[str, str]
    log_dir: Path
    data_dir: Path
    agreements: Path = DEMO_AGREEMENTS
    api_port: int = 8000
    ingest_port: int = 8001
    prometheus_port_base: int = 9108
    workers: int = 1
    api_env: dict[str, str] = field(default_factory=dict)
    worker_env: dict[str, str] = field(default_factory=dict)
    own_session: bool = False
    up_timeout: float = 60.0
    stop_timeout: float = 15.0


class Stack:
    """Starts the services of `settings` and stops every one it started (a context manager)."""

    def __init__(self, settings: StackSettings, log: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.log = log
        self.processes: list[Process] = []

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.ingest_port}"

    def worker_url(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.settings.prometheus_port_base + index}"

    def step(self, name: str, args: Sequence[str]) -> None:
        """Run one command to completion (log `<log_dir>/<name>.log`)."""
        run_step(name, args, self.settings.env, self.settings.log_dir / f"{name}.log")

    def prepare(self) -> None:
        """Apply the migrations and load the agreements into PostgreSQL and Kafka."""
        self.log("applying database migrations")
        self.step("migrate", ["-m", "services.core.storage.migrate"])
        agreements = self.settings.agreements
        self.log(f"loading the agreements of {agreements} into PostgreSQL and Kafka")
        self.step("agreements", ["-m", "services.admin.sync_agreements", "--file", str(agreements)])

    def spawn(self, name: str, args: Sequence[str], env: dict[str, str] | None = None) -> Process:
        s = self.settings
        process = Process(
            name,
            args,
            {**s.env, **(env or {})},
            s.log_dir / f"{name}.log",
            own_session=s.own_session,
            append_log=False,
            stop_timeout=s.stop_timeout,
        )
        process.start()
        self.processes.append(process)
        self.log(f"started {name} (pid {process.pid}), log {process.log_path}")
        return process

    def start(self, require_workers: bool = False) -> None:
        """Start ingest, the workers and the API; return once they answer.

        A worker that still runs but does not answer in time is only warned about (a loaded
        machine may take longer to join the group), unless `require_workers`."""
        s = self.settings
        ingest = self.spawn(
            "ingest", ["-m", "services.ingest.main"], {"INGEST_PORT": str(s.ingest_port)}
        )
        workers = [
            self.spawn(
                f"metrics-{i}",
                ["-m", "services.metrics.worker"],
                {
                    "METRICS_WEB_PORT": "0",
                    "METRICS_PROMETHEUS_PORT": str(s.prometheus_port_base + i),
                    "METRICS_DATA_DIR": str(s.data_dir / f"faust-{i}"),
                    **s.worker_env,
                },
            )
            for i in range(s.workers)
        ]
        api = self.spawn(
            "api", ["-m", "services.api.main"], {"API_PORT": str(s.api_port), **s.api_env}
        )
        ingest.wait_http(f"{self.ingest_url}/healthz", s.up_timeout)
        for i, worker in enumerate(workers):
            try:
                worker.wait_http(f"{self.worker_url(i)}/metrics", s.up_timeout)
            except StartupError:
                if require_workers or not worker.alive():
                    raise
                self.log(f"WARNING: {worker.name} does not answer yet; going on (it still runs)")
        api.wait_http(f"{self.api_url}/healthz", s.up_timeout)
        api.wait_http(f"{self.api_url}/readyz", s.up_timeout)

    def start_simulator(self, args: Sequence[str]) -> Process:
        return self.spawn("simulator", ["-m", "services.simulator.main", *args])

    def check_alive(self) -> None:
        """Raise `StartupError` with its log tail when a started process has exited."""
        for process in self.processes:
            if not process.alive():
                raise process.failure(f"(pid {process.pid}) exited unexpectedly")

    def stop(self) -> None:
        def named(*prefixes: str) -> list[Process]:
            return [p for p in self.processes if p.name.startswith(prefixes)]

        stop_all(named("simulator"), self.log)
        stop_all(named("api", "metrics-"), self.log)
        stop_all(named("ingest"), self.log)
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
