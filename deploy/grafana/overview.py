"""The wall board: every agreement and target of slawatch, worst status first."""

from __future__ import annotations

from deploy.grafana.panels import (
    Grid,
    Json,
    dashboard,
    stat,
    state_timeline,
    status_column,
    status_rank,
    table,
    thresholds,
    unit_column,
)

BY = "agreement, client, target, kpi"
COUNT_TARGETS = 'count(max by ({by}) (slawatch_sla_status{{status="{status}"}}) == 1) or vector(0)'
COUNT_PER_AGREEMENT = (
    'count by (agreement, client) (max by ({by}) (slawatch_sla_status{{status="{status}"}}) == 1)'
)


def build() -> Json:
    """Stats of targets per status, then agreements and targets sorted worst first."""
    g = Grid()
    for status, title, color, base in (
        ("breached", "Targets breached", "red", "green"),
        ("at_risk", "Targets at risk", "orange", "green"),
        ("no_data", "Targets without data", "text", "green"),
        ("met", "Targets met", "green", "blue"),
    ):
        expr = COUNT_TARGETS.format(by=BY, status=status)
        g.add(6, 4, stat(title, expr, steps=thresholds((base, None), (color, 1))))

    columns = {"agreement": "Agreement", "client": "Client", "Value #A": "Worst status"}
    columns |= {"Value #B": "Breached", "Value #C": "At risk", "Value #D": "Lowest budget left"}
    columns |= {"Value #E": "Figures behind"}
    agreements = table(
        "Agreements, worst status first",
        f"max by (agreement, client) (\n{status_rank(BY)}\n)",
        COUNT_PER_AGREEMENT.format(by=BY, status="breached"),
        COUNT_PER_AGREEMENT.format(by=BY, status="at_risk"),
        f"min by (agreement, client) (max by ({BY}) (slawatch_sla_error_budget_remaining_ratio))",
        "time() - max by (agreement, client) (slawatch_stream_time_seconds)",
        columns=columns,
        sort_by="Value #A",
        overrides=[
            status_column("Worst status"),
            unit_column("Lowest budget left", "percentunit"),
            unit_column("Figures behind", "s"),
        ],
    )
    g.add(24, 8, agreements)

    columns = {"agreement": "Agreement", "client": "Client", "target": "Target", "kpi": "KPI"}
    columns |= {"Value #A": "Status", "Value #B": "Target value", "Value #C": "Baseline"}
    columns |= {"Value #D": "Budget left"}
    targets = table(
        "Targets, worst status first",
        status_rank(BY),
        f"max by ({BY}) (slawatch_sla_target_value)",
        f"max by ({BY}) (slawatch_sla_baseline_value)",
        f"max by ({BY}) (slawatch_sla_error_budget_remaining_ratio)",
        columns=columns,
        sort_by="Value #A",
        overrides=[status_column("Status"), unit_column("Budget left", "percentunit")],
    )
    g.add(24, 10, targets)

    worst = f"max by (agreement) (\n{status_rank(BY)}\n)"
    g.add(24, 8, state_timeline("Worst status per agreement", worst, "{{agreement}}"))
    return dashboard(
        "slawatch-overview",
        "slawatch: overview",
        "Every agreement's worst target status (wall board).",
        g,
        refresh="30s",
        tags=["wallboard"],
    )
