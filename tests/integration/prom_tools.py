"""promtool/amtool for the integration tests: found or installed by scripts/ensure-promtool.sh."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def ensure_promtool() -> str:
    """Path of promtool; installs Debian's prometheus packages when missing (root only)."""
    script = ROOT / "scripts" / "ensure-promtool.sh"
    done = subprocess.run([str(script)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"scripts/ensure-promtool.sh failed:\n{done.stderr}")
    return done.stdout.strip()


def run(*args: str | Path) -> str:
    """Run a tool; fail the test with its whole output unless it exits 0."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {done.returncode}:\n{output}")
    return output
