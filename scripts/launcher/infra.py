"""Kafka and PostgreSQL through scripts/infra: start what is not running, stop only that.

The services find the broker and the database through `KAFKA_BOOTSTRAP_SERVERS` and
`DATABASE_URL`. When those are unset, the scripts run a local broker and server on
`KAFKA_PORT` and `POSTGRES_PORT`; `service_env` then names those ports, so a stack on other
ports than the defaults (two checkouts on one machine) reaches its own servers.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping

from scripts.launcher.processes import ROOT, StartupError

SERVICES = ("kafka", "postgres")


def _script(
    service: str, *args: str, env: Mapping[str, str], capture: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run scripts/infra/SERVICE.sh ARGS; with `capture`, stdout is returned, stderr dropped.

    Output of `start` is never captured: the servers it leaves running inherit its stdout,
    and a pipe would stay open for as long as they run."""
    return subprocess.run(
        [str(ROOT / "scripts" / "infra" / f"{service}.sh"), *args],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.DEVNULL if capture else None,
        text=True,
        check=False,
    )


def service_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` as the infra scripts serve them."""
    env = os.environ if env is None else env
    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{env.get('KAFKA_PORT', '19092')}"
    database = env.get("DATABASE_URL")
    if not database:
        done = _script("postgres", "url", env=env, capture=True)
        database = done.stdout.strip()
        if done.returncode != 0 or not database:
            raise StartupError("scripts/infra/postgres.sh url failed")
    return {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DATABASE_URL": database}


class Infra:
    """Starts Kafka and PostgreSQL when they are not running; `down` stops only those."""

    def __init__(self, log: Callable[[str], None], env: Mapping[str, str] | None = None) -> None:
        self.log = log
        self.env = dict(os.environ if env is None else env)
        self.started: list[str] = []

    def up(self) -> None:
        for service in SERVICES:
            if _script(service, "status", env=self.env, capture=True).returncode == 0:
                self.log(f"{service} is already running; it will be left running")
                continue
            self.started.append(service)  # before start: a half-started service is stopped too
            if _script(service, "start", env=self.env).returncode != 0:
                raise StartupError(f"scripts/infra/{service}.sh start failed")

    def down(self) -> None:
        for service in reversed(self.started):
            if _script(service, "stop", env=self.env).returncode != 0:
                self.log(f"WARNING: stopping {service} failed")
        self.started.clear()
