"""Prometheus and Alertmanager configuration checked by their own tools.

promtool (and amtool) come from Debian's packages, installed by `make promtool`
(scripts/ensure-promtool.sh) before pytest runs; the fixtures in conftest.py only locate
them. A failing check fails with the tool's output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prom_tools import run

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
ALERTMANAGER = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.local.yml"])
def test_prometheus_config_and_its_rule_files_are_valid(
    promtool: str, config: str, tmp_path: Path
) -> None:
    run(promtool, "check", "config", checkable_copy(PROMETHEUS / config, tmp_path))


def checkable_copy(config: Path, into: Path) -> Path:
    """`config` with its scrape token files pointing at a token written here and its rule
    files made absolute: promtool checks that a credentials file exists, and the real one
    is a deployment secret (or written by `make demo`)."""
    document: dict[str, Any] = yaml.safe_load(config.read_text())
    token = into / "api-metrics-token"
    token.write_text("a-token-for-promtool\n")
    document["rule_files"] = [str(config.parent / f) for f in document.get("rule_files", [])]
    for scrape in document.get("scrape_configs", []):
        if "credentials_file" in scrape.get("authorization", {}):
            scrape["authorization"]["credentials_file"] = str(token)
    copy = into / config.name
    copy.write_text(yaml.safe_dump(document))
    return copy


def test_rule_files_are_valid(promtool: str) -> None:
    rule_files = sorted((PROMETHEUS / "rules").glob("*.yml"))
    assert len(rule_files) >= 3
    run(promtool, "check", "rules", *rule_files)


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=[p.name for p in RULE_TESTS])
def test_rule_unit_tests_pass(promtool: str, test_file: Path) -> None:
    # promtool resolves rule_files relative to the test file
    run(promtool, "test", "rules", test_file)


def test_alertmanager_config_is_valid(amtool: str) -> None:
    run(amtool, "check-config", ALERTMANAGER)


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        ("alertname=SlawatchWorkerDown component=pipeline severity=page", "platform-pager"),
        (
            "alertname=SlawatchFiguresStale component=pipeline severity=ticket client=acme",
            "platform-tickets",
        ),
        (
            "alertname=SLAErrorBudgetBurnFast severity=page client=acme agreement=acme-other",
            "acme-pager",
        ),
        (
            "alertname=SLATargetAtRisk severity=warning client=acme agreement=acme-helpdesk",
            "acme-tickets",
        ),
        ("alertname=SLATargetBreached severity=ticket client=globex", "globex-tickets"),
        ("alertname=SLAErrorBudgetBurnFast severity=page client=initech", "service-desk-pager"),
        ("alertname=SLANoData severity=ticket client=initech", "service-desk-tickets"),
    ],
)
def test_alertmanager_routes(amtool: str, labels: str, receiver: str) -> None:
    out = run(amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER}", *labels.split())
    assert out.split("\n")[0].strip() == receiver, out
