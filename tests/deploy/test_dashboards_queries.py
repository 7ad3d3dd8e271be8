"""Every PromQL expression of the dashboards and rules parses (promtool check rules).

promtool has no offline "parse this query" command, so each expression becomes a recording
rule of a throwaway rule file; `promtool check rules` parses them all.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.grafana.queries import all_queries


def check_rules(promtool: str, path: Path, queries: list[tuple[str, str]]) -> str | None:
    """promtool's output when the expressions do not all parse, else None."""
    rules = [{"record": f"query_{i}", "expr": expr} for i, (_, expr) in enumerate(queries)]
    path.write_text(yaml.safe_dump({"groups": [{"name": "queries", "rules": rules}]}))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120
    )
    return None if done.returncode == 0 else done.stdout + done.stderr


def test_every_query_parses(promtool: str, tmp_path: Path) -> None:
    queries = all_queries()
    wheres = {where for where, _ in queries}
    assert any(w.startswith("overview.json") for w in wheres)
    assert any(w.startswith("slawatch-slo.rules.yml") for w in wheres)
    assert all(expr.strip() and "$" not in expr for _, expr in queries)
    if check_rules(promtool, tmp_path / "all.rules.yml", queries) is None:
        return
    failures = [
        f"{where}:\n{expr}\n{output}"
        for where, expr in queries
        if (output := check_rules(promtool, tmp_path / "one.rules.yml", [(where, expr)]))
    ]
    pytest.fail("queries that do not parse:\n\n" + "\n\n".join(failures))
