"""One agreement: its targets, error budgets, burn rates, and every KPI against target
and baseline over time (template variables `agreement` and `window`)."""

from __future__ import annotations

from deploy.grafana.panels import (
    DATASOURCE,
    Grid,
    Json,
    dashboard,
    series_style,
    state_timeline,
    status_column,
    status_rank,
    table,
    thresholds,
    timeseries,
    unit_column,
)
from services.core.kpi.figure_table import SPECS, Unit, metric_name

AGR = 'agreement="$agreement"'
GRAFANA_UNITS = {
    Unit.RATIO: "percentunit",
    Unit.SECONDS: "s",
    Unit.COUNT: "short",
    Unit.SCORE: "none",
}
WINDOWS = ("30d", "7d", "24h", "1h", "month", "quarter")
# Figures (the `kpi` label of targets) per row, in panel order; metric names and units come
# from the figure table (services/core/kpi/figure_table.py).
FIGURE_ROWS: dict[str, list[str]] = {
    "Tickets": [
        "frt_attainment",
        "frt_p90_seconds",
        "frt_p50_seconds",
        "frt_mean_seconds",
        "resolution_attainment",
        "resolution_p90_seconds",
        "resolution_p50_seconds",
        "resolution_mean_seconds",
        "tickets_created",
    ],
    "Calls": [
        "service_level",
        "abandonment_rate",
        "asa_seconds",
        "aht_mean_seconds",
        "aht_p50_seconds",
        "aht_p90_seconds",
        "calls_short_abandoned",
    ],
    "First-contact resolution and satisfaction": [
        "fcr_rate",
        "fcr_tickets_rate",
        "fcr_calls_rate",
        "fcr_provisional",
        "csat",
        "csat_mean_score",
    ],
}
HISTOGRAMS = (
    ("First response p90 by priority", "slawatch_first_response_seconds", "priority"),
    ("Resolution p90 by priority", "slawatch_resolution_seconds", "priority"),
    ("Handle time p90", "slawatch_handle_seconds", ""),
    ("Answer wait p90", "slawatch_answer_wait_seconds", ""),
)
BURN = (
    "(1 - max by (target, kpi, window) "
    f'(slawatch_sla_good_ratio{{{AGR}, window=~"5m|1h|6h|24h|3d"}}))\n'
    "/ on (target, kpi) group_left ()\n"
    f"(1 - (max by (target, kpi) (slawatch_sla_objective_ratio{{{AGR}}}) < 1))"
)
TARGET_STYLES = [
    series_style("^target", "red", dashed=True),
    series_style("^baseline", "text", dashed=True),
    series_style("^at-risk edge", "orange", dashed=True),
    series_style("^at risk", "orange", width=4),
    series_style("^breached", "red", width=4),
]


def kpi_panel(kpi: str, metric: str, unit: str) -> Json:
    """The figure over $window with its targets, baselines and at-risk edges (dashed), and
    thick orange/red while a target on it is at risk/breached."""
    value = f'max({metric}{{{AGR}, window="$window"}})'
    status = f'max(slawatch_sla_status{{{AGR}, kpi="{kpi}", status="STATUS"}}) == 1'
    return timeseries(
        kpi,
        (value, "value ($window)"),
        (f'max by (target) (slawatch_sla_target_value{{{AGR}, kpi="{kpi}"}})', "target {{target}}"),
        (
            f'max by (target) (slawatch_sla_baseline_value{{{AGR}, kpi="{kpi}"}})',
            "baseline {{target}}",
        ),
        (
            f'max by (target) (slawatch_sla_at_risk_value{{{AGR}, kpi="{kpi}"}})',
            "at-risk edge {{target}}",
        ),
        (f"{value} and on () ({status.replace('STATUS', 'at_risk')})", "at risk"),
        (f"{value} and on () ({status.replace('STATUS', 'breached')})", "breached"),
        unit=unit,
        description=f"`{metric}` over $window against the targets on `{kpi}`.",
        overrides=TARGET_STYLES,
    )


def variables() -> list[Json]:
    """`agreement` from the exported series, `window` of the figures (default 30d)."""
    agreements = "label_values(slawatch_kpi_samples, agreement)"
    return [
        {
            "name": "agreement",
            "label": "Agreement",
            "type": "query",
            "datasource": DATASOURCE,
            "definition": agreements,
            "query": {"query": agreements, "refId": "agreement"},
            "refresh": 2,
            "sort": 1,
        },
        {
            "name": "window",
            "label": "Window",
            "type": "custom",
            "query": ",".join(WINDOWS),
            "current": {"text": WINDOWS[0], "value": WINDOWS[0]},
            "options": [{"text": w, "value": w, "selected": w == WINDOWS[0]} for w in WINDOWS],
        },
    ]


def build() -> Json:
    g = Grid()
    g.row("Targets")
    columns = {"target": "Target", "kpi": "KPI", "Value #A": "Status", "Value #B": "Target value"}
    columns |= {"Value #C": "Baseline", "Value #D": "Budget left"}
    targets = table(
        "Targets",
        status_rank("target, kpi", AGR),
        f"max by (target, kpi) (slawatch_sla_target_value{{{AGR}}})",
        f"max by (target, kpi) (slawatch_sla_baseline_value{{{AGR}}})",
        f"max by (target, kpi) (slawatch_sla_error_budget_remaining_ratio{{{AGR}}})",
        columns=columns,
        sort_by="Value #A",
        overrides=[status_column("Status"), unit_column("Budget left", "percentunit")],
    )
    g.add(14, 8, targets)
    budget = (f"max by (target) (slawatch_sla_error_budget_remaining_ratio{{{AGR}}})", "{{target}}")
    steps = thresholds(("red", None), ("orange", 0), ("green", 0.25))
    g.add(10, 8, timeseries("Error budget remaining", budget, unit="percentunit", steps=steps))
    steps = thresholds(("green", None), ("yellow", 1), ("orange", 6), ("red", 14.4))
    about = "Alerts: 14.4 (1h & 5m), 6 (6h & 30m), 3 (24h & 1h), 1 (3d & 6h)."
    burn = timeseries("Burn rate", (BURN, "{{target}} {{window}}"), steps=steps, description=about)
    g.add(12, 8, burn)
    g.add(12, 8, state_timeline("Status over time", status_rank("target", AGR), "{{target}}"))
    for row, figures in FIGURE_ROWS.items():
        g.row(row)
        for kpi in figures:
            g.add(8, 7, kpi_panel(kpi, metric_name(kpi), GRAFANA_UNITS[SPECS[kpi].unit]))
    g.row("Observed by the workers (items of the last hour, not the SLA windows)")
    for title, metric, label in HISTOGRAMS:
        by = f"le, {label}" if label else "le"
        expr = f"histogram_quantile(0.9, sum by ({by}) (rate({metric}_bucket{{{AGR}}}[1h])))"
        g.add(6, 7, timeseries(title, (expr, f"{{{{{label}}}}}" if label else "p90"), unit="s"))
    return dashboard(
        "slawatch-agreement",
        "slawatch: agreement",
        "One agreement's KPIs against targets and baselines.",
        g,
        variables=variables(),
        time={"from": "now-7d", "to": "now"},
    )
