"""Fixtures of the deploy-file checks: the Prometheus tools, located (not installed).

`make promtool` installs them before pytest runs (a prerequisite of `make test`).
"""

from __future__ import annotations

import shutil

import pytest

from tests.prom_tools import require_tool


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        pytest.skip("amtool not installed (WITH_AMTOOL=0); structure checked by unit tests")
    return path
