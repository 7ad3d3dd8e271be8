"""Every curl line of the README, docs/ and deploy/README.md answers 2xx on a live stack.

The stack is the one `make demo` runs (scripts/launcher: ingest, a metrics worker and the
API as processes on free loopback ports, the demo agreements in a database of its own, topics
under a prefix of its own). `$KEY` is an admin key created the way deploy/README.md says;
`$API_METRICS_TOKEN` is the API's scrape token. A documented command that would fail for a
reader (no `/v1`, no key) fails here.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scripts.launcher.stack import Stack, StackSettings
from tests.doc_commands import ROOT, curl_commands, documents, localized
from tests.integration.db_fixtures import fresh_database
from tests.integration.prom_server import free_port

METRICS_TOKEN = "docs_metrics_token_0123456789abcdef"
COMMANDS = [
    pytest.param(command, id=f"{path.relative_to(ROOT)}:{i}")
    for path in documents()
    for i, command in enumerate(curl_commands(path.read_text()))
]


def create_admin_key(env: dict[str, str]) -> str:
    """`python -m services.admin.api_keys create --role admin`, as deploy/README.md has it."""
    args = ["-m", "services.admin.api_keys", "create", "--role", "admin", "--name", "docs"]
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
async def docs_stack(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str, database_url: str
) -> AsyncIterator[tuple[Stack, dict[str, str]]]:
    tmp: Path = tmp_path_factory.mktemp("docs-stack")
    async with fresh_database(database_url) as url:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "KAFKA_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:12]}",
            "DATABASE_URL": url,
            "API_METRICS_TOKEN": METRICS_TOKEN,
        }
        settings = StackSettings(
            env=env,
            log_dir=tmp,
            data_dir=tmp,
            api_port=free_port(),
            ingest_port=free_port(),
            prometheus_port_base=free_port(),
            worker_env={"METRICS_BROKER_SESSION_TIMEOUT_SECONDS": "6"},
            up_timeout=120,
        )
        stack = Stack(settings, log=lambda _: None)
        try:
            await asyncio.to_thread(stack.prepare)
            await asyncio.to_thread(stack.start, require_workers=True)
            key = await asyncio.to_thread(create_admin_key, {**os.environ, **env})
            yield stack, {"KEY": key, "API_METRICS_TOKEN": METRICS_TOKEN}
        finally:
            await asyncio.to_thread(stack.stop)


@pytest.mark.parametrize("command", COMMANDS)
async def test_documented_curl_command_answers_2xx(
    docs_stack: tuple[Stack, dict[str, str]], command: str
) -> None:
    stack, variables = docs_stack
    api, worker = stack.api_url, stack.worker_url()
    replacements = {
        "http://api:8000": api,
        "http://127.0.0.1:8000": api,
        "http://localhost:8000": api,
        "localhost:8000": api,
        "http://worker:9108": worker,
        "http://127.0.0.1:9108": worker,
        "localhost:8001": stack.ingest_url,
        "<agreement>": "acme-helpdesk",
    }
    args = localized(command, replacements, variables)
    out = ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20"]
    done = await asyncio.to_thread(
        subprocess.run, ["curl", *out, *args], capture_output=True, text=True, check=False
    )
    assert done.stdout.startswith("2"), f"{command}\n-> curl {args}: {done.stdout} {done.stderr}"
