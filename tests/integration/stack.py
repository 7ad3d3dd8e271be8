"""Helpers to run real metrics workers and feed real topics in integration tests.

Each test gets agreements with ids of its own (written to a temporary agreements file),
topics under a prefix of its own and a consumer group of its own, so tests sharing the broker
and the database never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from aiokafka import AIOKafkaProducer

from services.core.contract.events import EventBase, event_to_json, parse_event
from services.core.contract.topics import event_key, family_of, topic_name
from services.core.messaging.admin import ensure_topics, event_topics

ROOT = Path(__file__).parents[2]
DEMO_AGREEMENTS = ROOT / "deploy/agreements/demo.yaml"


def write_agreements(tmp_path: Path, prefix: str) -> tuple[Path, dict[str, str]]:
    """A copy of the demo agreements with ids prefixed; returns (file, demo id -> test id)."""
    raw = yaml.safe_load(DEMO_AGREEMENTS.read_text())
    mapping = {}
    for agreement in raw["agreements"]:
        new_id = f"{prefix}-{agreement['agreement_id']}"
        mapping[agreement["agreement_id"]] = new_id
        agreement["agreement_id"] = new_id
    path = tmp_path / "agreements.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path, mapping


def renamed(events: Sequence[dict[str, Any]], mapping: dict[str, str]) -> list[EventBase]:
    return [
        parse_event({**e, "agreement_id": mapping.get(e["agreement_id"], e["agreement_id"])})
        for e in events
    ]


async def create_topics(bootstrap: str, prefix: str, partitions: int) -> None:
    await ensure_topics(bootstrap, event_topics(prefix), partitions, 1)


async def produce(bootstrap: str, prefix: str, events: Sequence[EventBase]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic_name(prefix, family_of(e.type)),
                key=event_key(e).encode(),
                value=event_to_json(e),
            )
            for e in events
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def produce_raw(bootstrap: str, topic: str, messages: Sequence[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, key=key, value=value)
    finally:
        await producer.stop()


class WorkerProcess:
    """One `python -m services.metrics.worker` process with test settings."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.metrics.worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def worker_env(
    prefix: str, agreements: Path, database_url: str, bootstrap: str, data_dir: Path
) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_PARTITIONS": "4",
        "DATABASE_URL": database_url,
        "METRICS_APP_ID": f"slawatch-{prefix}",
        "METRICS_AGREEMENTS_FILE": str(agreements),
        "METRICS_DATA_DIR": str(data_dir),
        "METRICS_FLUSH_INTERVAL_SECONDS": "0.5",
        "METRICS_SNAPSHOT_INTERVAL_SECONDS": "2",
        "METRICS_PROMETHEUS_PORT": "0",
        "METRICS_BROKER_SESSION_TIMEOUT_SECONDS": "6",
        "METRICS_AGREEMENT_WAIT_SECONDS": "30",
    }
