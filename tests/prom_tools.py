"""promtool, amtool and the Prometheus server for the tests: located, never installed here.

`make promtool` (a prerequisite of `make test` and `make test-unit`) installs them with
scripts/ensure-promtool.sh before pytest starts; a test that needs one and does not find
it fails saying so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL_HINT = "run `make promtool` (scripts/ensure-promtool.sh; installing needs root)"


def require_tool(name: str) -> str:
    """The path of the Prometheus tool `name` (promtool, amtool, prometheus); fails the
    test with how to install it when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}")
    return path


def run(*args: str | Path) -> str:
    """Run a tool; fail the test with its whole output unless it exits 0."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {done.returncode}:\n{output}")
    return output
