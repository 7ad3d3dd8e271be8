"""A real Prometheus server and an API served by uvicorn, for live tests on loopback.

Prometheus is Debian's `prometheus` package (`make promtool` installs it with promtool).
It runs with a generated config that scrapes the given targets every second and loads the
committed rule files, storage in a temporary directory, and is always killed by the context
manager that started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI

from tests.polling import eventually
from tests.prom_tools import ROOT, require_tool

RULES = ROOT / "deploy" / "prometheus" / "rules"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prometheus_binary() -> str:
    # Debian's `prometheus` package ships the server beside promtool: `make promtool`.
    return require_tool("prometheus")


def _scrape_config(job: str, targets: list[str], token: Path | None) -> dict[str, Any]:
    config: dict[str, Any] = {"job_name": job, "static_configs": [{"targets": targets}]}
    if token is not None:  # as deploy/prometheus/prometheus.yml scrapes the API
        config["authorization"] = {"type": "Bearer", "credentials_file": str(token)}
    return config


@contextlib.contextmanager
def prometheus(
    tmp: Path, jobs: dict[str, list[str]], tokens: dict[str, Path] | None = None
) -> Iterator[PrometheusApi]:
    """Prometheus on a free loopback port scraping `jobs` (job name -> host:port) every 1 s;
    `tokens` names, per job, a file holding the bearer token to send."""
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES / "*.rules.yml")],
        "scrape_configs": [
            _scrape_config(job, targets, (tokens or {}).get(job)) for job, targets in jobs.items()
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            prometheus_binary(),
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield PrometheusApi(f"http://127.0.0.1:{port}", tmp / "prometheus.log")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


class PrometheusApi:
    """The HTTP API of one server."""

    def __init__(self, url: str, log_path: Path) -> None:
        self.url, self.log_path = url, log_path

    async def query(self, http: httpx.AsyncClient, expr: str) -> dict[str, Any]:
        """The JSON answer of an instant query at now (`status` is `success` or `error`)."""
        response = await http.get(f"{self.url}/api/v1/query", params={"query": expr})
        return dict(response.json())

    async def wait_targets_up(self, http: httpx.AsyncClient, count: int, seconds: float) -> None:
        async def health() -> list[str]:
            body = (await http.get(f"{self.url}/api/v1/targets")).json()
            return [t["health"] for t in body["data"]["activeTargets"]]

        await eventually(
            health,
            until=lambda states: states.count("up") == count,
            timeout=seconds,
            interval=0.5,
            message=lambda: "targets not up:\n" + self.log_path.read_text(errors="replace")[-3000:],
            ignoring=(httpx.TransportError,),  # the server may not listen yet
        )


@contextlib.asynccontextmanager
async def served(app: FastAPI, port: int) -> AsyncIterator[None]:
    """`app` served by uvicorn on 127.0.0.1:`port` in this event loop (lifespan included)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())

    def started() -> bool:
        if task.done() and not server.started:
            task.result()  # raises what stopped the server
            pytest.fail("uvicorn stopped before it started")
        return bool(server.started)

    try:
        await eventually(started, interval=0.05, message="uvicorn did not start")
        yield
    finally:
        server.should_exit = True
        await task
