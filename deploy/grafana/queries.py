"""Every PromQL expression slawatch ships: Grafana panels and variables, Prometheus rules.

Why a module: tests parse every expression with promtool, check metric names against
docs/metrics.md, and a live test can run the same expressions against a real Prometheus.
Grafana variables are replaced by values (`variables`, else the dashboard's current value)
so each expression is plain PromQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = ROOT / "deploy" / "grafana" / "dashboards"
RULE_DIR = ROOT / "deploy" / "prometheus" / "rules"
METRICS_DOC = ROOT / "docs" / "metrics.md"
BUILTINS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1d"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$", re.S)
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or"}
_KEYWORDS |= {"unless", "bool", "offset", "inf", "nan", "atan2"}


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """Replace Grafana variables (`$x`, `${x}`, `[[x]]`) by `values` or built-in intervals."""

    def value(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g)
        return BUILTINS.get(name, values.get(name, ""))

    return _VARIABLE.sub(value, expr)


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def dashboard_queries(
    path: Path, variables: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """(where, expr) of every panel target and query variable of one dashboard."""
    board = json.loads(path.read_text())
    values: dict[str, str] = {}
    found: list[tuple[str, str]] = []
    for var in board.get("templating", {}).get("list", []):
        values[var["name"]] = str(var.get("current", {}).get("value", ""))
        query = var.get("query")
        text = query.get("query", "") if isinstance(query, dict) else ""
        if var.get("type") == "query" and (match := _LABEL_VALUES.match(text)):
            found.append((f"{path.name}: variable ${var['name']}", match.group(1)))
    values |= dict(variables or {})
    for panel in _panels(board.get("panels", [])):
        for target in panel.get("targets", []):
            where = f"{path.name}: {panel['title']} ({target['refId']})"
            found.append((where, target["expr"]))
    return [(where, substitute(expr, values)) for where, expr in found]


def rule_queries(path: Path) -> list[tuple[str, str]]:
    """(where, expr) of every recording and alerting rule of one rule file."""
    found = []
    for group in yaml.safe_load(path.read_text())["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            found.append((f"{path.name}: {group['name']}: {name}", str(rule["expr"])))
    return found


def all_queries(variables: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(where, expr) of every dashboard panel, dashboard variable and Prometheus rule."""
    found: list[tuple[str, str]] = []
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        found += dashboard_queries(path, variables)
    for path in sorted(RULE_DIR.glob("*.yml")):
        found += rule_queries(path)
    return found


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (not functions, keywords, labels or durations)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", "{}", text)
    text = re.sub(r"\[[^\]]*\]", "[]", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = re.findall(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()", text)
    return {n for n in names if n.lower() not in _KEYWORDS}


def documented_metrics(doc: Path = METRICS_DOC) -> set[str]:
    """Series names of docs/metrics.md, histograms with their _bucket/_sum/_count."""
    names: set[str] = set()
    histogram_section = False
    for line in doc.read_text().splitlines():
        if line.startswith("#"):
            histogram_section = "histogram" in line.lower()
        last = ""
        for token in re.findall(r"`([^`]+)`", line):
            token = token.split("{")[0].strip()
            if token.startswith("slawatch_"):
                last = token
            elif token.startswith("_") and last:  # `_p50_seconds` after a full name
                keep = last.split("_")[: -len(token.strip("_").split("_"))]
                token = "_".join(keep) + token
            else:
                continue
            names.add(token)
            if histogram_section or "histogram" in line:
                names |= {token + suffix for suffix in ("_bucket", "_sum", "_count")}
    return names
