"""The demo's knobs, read from the environment (the same names `make demo` always took).

DEMO_SECONDS              run N seconds, print the 24 h KPIs of every agreement, stop;
                          exit 0 when every agreement has figures, 1 when none has, 2 when
                          only some have (unset: run until Ctrl-C)
DEMO_WORKERS (1)          metrics workers; worker i gets METRICS_PROMETHEUS_PORT=9108+i,
                          METRICS_DATA_DIR=.run/faust-i (set METRICS_PROMETHEUS_PORT to move
                          the base); Faust's own web server stays off (docs/security.md)
DEMO_RATE (30)            tickets (and calls) per minute per agreement
DEMO_BACKFILL_HOURS (2)   history simulated at start, so figures show at once (only
                          with DEMO_REPORT_HISTORY=0)
DEMO_REPORT_HISTORY (1)   1: first simulate everything since the start of last month at
                          DEMO_HISTORY_RATE (0.05) tickets and calls per minute, then issue
                          last month's report (docs/reports.md) and print its URLs; 0: skip
DEMO_REPORT_WAIT (300)    seconds the report job may wait for that history to be counted
DEMO_SEED                 simulator seed (default: a fresh one, logged)
DEMO_TABLE_WAIT (30)      seconds the final table may wait for figures to appear
AUTH_BOOTSTRAP_ADMIN_TOKEN  the demo's admin API key (default: a fresh one, printed); the
                          API, ingest, simulator and final table all use it (docs/security.md)
API_METRICS_TOKEN         the API's /metrics scrape token (default: a fresh one, written to
                          .run/api-metrics-token for deploy/prometheus/prometheus.local.yml)
API_PORT (8000), INGEST_PORT (8001); KAFKA_PORT, POSTGRES_PORT select the ports of the local
servers; KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL select external ones (scripts/infra/README.md);
SLAWATCH_RUN (.run) holds the logs and the workers' state.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scripts.launcher.processes import ROOT


class ConfigError(ValueError):
    """A demo setting that cannot work; the message says which and why."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or int(raw) < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}, not '{raw}'")
    return int(raw)


@dataclass(frozen=True)
class DemoConfig:
    seconds: int | None
    workers: int
    rate: str
    backfill_hours: str
    report_history: bool
    history_rate: str
    report_wait: str
    seed: int | None
    table_wait: str
    api_port: int
    ingest_port: int
    prometheus_port_base: int
    admin_token: str
    metrics_token: str
    report_interval: str
    run_dir: Path

    @property
    def ports(self) -> list[int]:
        workers = range(self.prometheus_port_base, self.prometheus_port_base + self.workers)
        return [self.api_port, self.ingest_port, *workers]

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> DemoConfig:
        seconds = env.get("DEMO_SECONDS") or None
        if seconds is not None and not seconds.isdigit():
            raise ConfigError(f"DEMO_SECONDS must be a number of seconds, not '{seconds}'")
        seed = env.get("DEMO_SEED") or None
        if seed is not None and not seed.lstrip("-").isdigit():
            raise ConfigError(f"DEMO_SEED must be a whole number, not '{seed}'")
        return cls(
            seconds=None if seconds is None else int(seconds),
            workers=_int(env, "DEMO_WORKERS", 1, 1),
            rate=env.get("DEMO_RATE") or "30",
            backfill_hours=env.get("DEMO_BACKFILL_HOURS") or "2",
            report_history=(env.get("DEMO_REPORT_HISTORY") or "1") == "1",
            history_rate=env.get("DEMO_HISTORY_RATE") or "0.05",
            report_wait=env.get("DEMO_REPORT_WAIT") or "300",
            seed=None if seed is None else int(seed),
            table_wait=env.get("DEMO_TABLE_WAIT") or "30",
            api_port=_int(env, "API_PORT", 8000, 1),
            ingest_port=_int(env, "INGEST_PORT", 8001, 1),
            prometheus_port_base=_int(env, "METRICS_PROMETHEUS_PORT", 9108, 1),
            # One admin key for the whole demo, accepted without a stored key; passed in the
            # environment, so it stays out of the process list.
            admin_token=env.get("AUTH_BOOTSTRAP_ADMIN_TOKEN")
            or f"sw_demo_{secrets.token_urlsafe(24)}",
            metrics_token=env.get("API_METRICS_TOKEN") or secrets.token_urlsafe(32),
            # The demo issues last month's report itself once the history is in; the API's
            # own report job comes later, for late data.
            report_interval=env.get("REPORT_SCHEDULE_INTERVAL_SECONDS") or "900",
            run_dir=Path(env.get("SLAWATCH_RUN") or ROOT / ".run"),
        )
