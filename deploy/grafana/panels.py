"""Grafana panel builders shared by the slawatch dashboards (deploy/grafana/build.py).

Why: one place decides datasource, units, colours, status mapping and layout, so every
dashboard queries and looks the same way. The JSON under dashboards/ is output only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Json = dict[str, Any]

DATASOURCE: Json = {"type": "prometheus", "uid": "slawatch-prometheus"}
# status, rank (worst first), text, colour
STATUS_RANKS: tuple[tuple[str, int, str, str], ...] = (
    ("breached", 3, "Breached", "red"),
    ("at_risk", 2, "At risk", "orange"),
    ("no_data", 1, "No data", "text"),
    ("met", 0, "Met", "green"),
)
STATUS_MAPPINGS: list[Json] = [
    {
        "type": "value",
        "options": {
            str(rank): {"text": text, "color": color, "index": i}
            for i, (_, rank, text, color) in enumerate(STATUS_RANKS)
        },
    }
]


def status_rank(by: str, matchers: str = "") -> str:
    """Per `by` group: 3 breached, 2 at risk, 1 no data, 0 met (worst sorts first).

    `slawatch_sla_status` is 1 for the current status only, so exactly one leg matches.
    """
    sel = f"{matchers}, " if matchers else ""
    legs = [
        f'(max by ({by}) (slawatch_sla_status{{{sel}status="{status}"}}) == 1) * {rank}'
        for status, rank, _, _ in STATUS_RANKS
    ]
    return "\n  or\n".join(legs)


def query(expr: str, legend: str = "", *, instant: bool = False, table: bool = False) -> Json:
    """A Prometheus query of a panel; refIds are assigned by the panel."""
    return {
        "datasource": DATASOURCE,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "instant": instant or table,
        "range": not (instant or table),
        "format": "table" if table else "time_series",
    }


def _panel(kind: str, title: str, queries: Sequence[Json], description: str) -> Json:
    targets = [{**q, "refId": chr(ord("A") + i)} for i, q in enumerate(queries)]
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
    }


def thresholds(*steps: tuple[str, float | None]) -> Json:
    """Absolute thresholds; the first step's value is None (the base colour)."""
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in steps]}


def series_style(pattern: str, color: str, *, dashed: bool = False, width: int = 1) -> Json:
    """Override for every series whose name matches the regex `pattern`."""
    props: list[Json] = [
        {"id": "color", "value": {"mode": "fixed", "fixedColor": color}},
        {"id": "custom.lineWidth", "value": width},
    ]
    if dashed:
        props.append({"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}})
    return {"matcher": {"id": "byRegexp", "options": pattern}, "properties": props}


def timeseries(
    title: str,
    *queries: tuple[str, str],
    unit: str = "short",
    description: str = "",
    steps: Json | None = None,
    overrides: Iterable[Json] = (),
    stack: bool = False,
) -> Json:
    """A time series panel of (expr, legend) queries; `steps` are drawn as lines."""
    custom: Json = {
        "drawStyle": "line",
        "lineWidth": 1,
        "fillOpacity": 20 if stack else 0,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"mode": "normal" if stack else "none"},
        "thresholdsStyle": {"mode": "line" if steps else "off"},
    }
    panel = _panel("timeseries", title, [query(e, legend) for e, legend in queries], description)
    panel["fieldConfig"] = {
        "defaults": {
            "unit": unit,
            "custom": custom,
            "thresholds": steps or thresholds(("green", None)),
        },
        "overrides": list(overrides),
    }
    panel["options"] = {
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return panel


def stat(title: str, expr: str, *, steps: Json, description: str = "", unit: str = "short") -> Json:
    """A single number coloured by `steps`."""
    panel = _panel("stat", title, [query(expr, instant=True)], description)
    panel["fieldConfig"] = {"defaults": {"unit": unit, "thresholds": steps}, "overrides": []}
    panel["options"] = {
        "colorMode": "background",
        "graphMode": "none",
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
    }
    return panel


def table(
    title: str,
    *exprs: str,
    columns: dict[str, str],
    sort_by: str,
    description: str = "",
    overrides: Iterable[Json] = (),
) -> Json:
    """Instant queries merged into one row per label set; `columns` renames fields in order.

    The value of the n-th query is the field "Value #A", "Value #B", ...
    """
    panel = _panel("table", title, [query(e, table=True) for e in exprs], description)
    panel["fieldConfig"] = {"defaults": {"custom": {"align": "auto"}}, "overrides": list(overrides)}
    panel["options"] = {"showHeader": True, "cellHeight": "sm"}
    panel["transformations"] = [
        {"id": "merge", "options": {}},
        {
            "id": "organize",
            "options": {
                "excludeByName": {"Time": True},
                "indexByName": {name: i for i, name in enumerate(columns)},
                "renameByName": columns,
            },
        },
        {"id": "sortBy", "options": {"sort": [{"field": columns[sort_by], "desc": True}]}},
    ]
    return panel


def status_column(field: str) -> Json:
    """Override showing a status-rank column as coloured status text."""
    return {
        "matcher": {"id": "byName", "options": field},
        "properties": [
            {"id": "mappings", "value": STATUS_MAPPINGS},
            {"id": "custom.cellOptions", "value": {"type": "color-background"}},
        ],
    }


def unit_column(field: str, unit: str) -> Json:
    """Override giving one table column its unit."""
    return {
        "matcher": {"id": "byName", "options": field},
        "properties": [{"id": "unit", "value": unit}],
    }


def state_timeline(title: str, expr: str, legend: str, description: str = "") -> Json:
    """Status rank over time, one lane per series, coloured by STATUS_MAPPINGS."""
    panel = _panel("state-timeline", title, [query(expr, legend)], description)
    panel["fieldConfig"] = {"defaults": {"mappings": STATUS_MAPPINGS}, "overrides": []}
    panel["options"] = {"showValue": "never", "mergeValues": True, "rowHeight": 0.8}
    return panel


class Grid:
    """Places panels left to right on Grafana's 24-column grid and numbers them."""

    def __init__(self) -> None:
        self.panels: list[Json] = []
        self.x = self.y = self.row_h = 0

    def add(self, w: int, h: int, panel: Json) -> None:
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        panel["id"] = len(self.panels) + 1
        self.panels.append(panel)
        self.x, self.row_h = self.x + w, max(self.row_h, h)

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        self.add(24, 1, {"type": "row", "title": title, "collapsed": False, "panels": []})
        self.x, self.y, self.row_h = 0, self.y + 1, 0


def dashboard(uid: str, title: str, description: str, grid: Grid, **extra: Any) -> Json:
    """A complete dashboard; `extra` may set templating, tags, refresh, time."""
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["slawatch", *extra.pop("tags", [])],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "refresh": extra.pop("refresh", "1m"),
        "schemaVersion": 39,
        "time": extra.pop("time", {"from": "now-24h", "to": "now"}),
        "templating": {"list": extra.pop("variables", [])},
        "annotations": {"list": []},
        "links": [
            {"type": "dashboards", "tags": ["slawatch"], "asDropdown": True, "title": "slawatch"}
        ],
        "panels": grid.panels,
        **extra,
    }
