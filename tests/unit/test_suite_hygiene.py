"""The test suite's own rules, checked on its source so they cannot quietly erode:

- waits poll an observable condition through tests/polling.py (`eventually`), never a
  hand-written deadline loop, and no fixed sleep decides an outcome;
- fixtures shared by several modules are in conftest files; no module registers plugins;
- no test installs anything: `make promtool` does, before pytest (tests only locate tools);
- the checks of deploy files live in tests/deploy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
THIS = Path(__file__).resolve()
POLLING = TESTS / "polling.py"

# Sleeps that simulate something slow (they are the behaviour under test), not waits.
SIMULATED_DELAYS = {
    "component/ingest_fakes.py": "a publisher that never answers",
    "component/test_slow_bodies.py": "a client sending a byte now and then",
    "integration/test_sla_status_outbox.py": "a broker acknowledging late",
    "unit/test_worker_hold_and_counts.py": "a fake clock ticking",
    "component/test_launcher.py": "child processes that run for a minute unless stopped",
}
DEADLINE_LOOP = re.compile(r"\b(?:monotonic|time)\(\)\s*[<>]|[<>]=?\s*deadline\b")
# `asyncio.sleep(0)` only yields to other tasks: it waits for nothing.
SLEEP = re.compile(r"\b(?:asyncio|time)\.sleep\((?!0\))")
INSTALLER = re.compile(r"""["'][\w/.-]*ensure-[\w-]+\.sh["']|["']apt-get["']""")


def sources() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if p.resolve() not in (THIS, POLLING))


def offending(pattern: re.Pattern[str], paths: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(TESTS)}:{n}: {line.strip()}"
        for path in paths
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]


def test_waits_use_the_polling_helper_not_a_deadline_loop() -> None:
    found = offending(DEADLINE_LOOP, sources())
    assert not found, "use tests.polling.eventually:\n" + "\n".join(found)


def test_no_fixed_sleep_outside_the_helper_and_simulated_delays() -> None:
    paths = [p for p in sources() if str(p.relative_to(TESTS)) not in SIMULATED_DELAYS]
    found = offending(SLEEP, paths)
    assert not found, (
        "wait for an observable condition with tests.polling.eventually (or, for a sleep\n"
        "that simulates a slow peer, add the file to SIMULATED_DELAYS with why):\n"
        + "\n".join(found)
    )


def test_plugins_and_shared_fixtures_are_registered_by_conftest_files_only() -> None:
    registering = offending(re.compile(r"^pytest_plugins\s*="), sources())
    assert not registering, "put shared fixtures in a conftest.py:\n" + "\n".join(registering)
    importing_fixtures = offending(re.compile(r"^from tests\.\S+ import .*# noqa: F401"), sources())
    assert not importing_fixtures, "fixtures imported by hand:\n" + "\n".join(importing_fixtures)


def test_no_test_installs_a_tool() -> None:
    found = offending(INSTALLER, sources())
    assert not found, "install in a Makefile prerequisite instead:\n" + "\n".join(found)


@pytest.mark.parametrize("target", ["test", "test-unit", "test-rules"])
def test_make_installs_promtool_before_the_tests_that_need_it(target: str) -> None:
    rule = re.search(rf"^{re.escape(target)}:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert rule is not None
    prerequisites = rule.group(1).split("##")[0].split()
    assert "promtool" in prerequisites


def test_deploy_file_checks_are_in_their_own_folder() -> None:
    deploy_readers = [
        path.relative_to(TESTS)
        for path in (TESTS / "unit").glob("test_*.py")
        if re.search(r"ROOT / \"deploy\"|\"Dockerfile\"", path.read_text())
    ]
    assert not deploy_readers, f"move these to tests/deploy: {deploy_readers}"
    assert (TESTS / "deploy" / "__init__.py").exists()
    assert (TESTS / "deploy" / "test_deploy_manifests.py").exists()
