"""Problems found in the data, derived by pure functions from the report's own rows.

Each finding is a code with its numbers; the sentence is in the message catalogue. Order:
severity (high, medium, low), then the order of the targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.core.agreements.sla import classify
from services.core.kpi.figures import Figure
from services.core.reports.model import Breakdown, Finding, TargetRow, Trend, ValueKind

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def target_findings(rows: Sequence[TargetRow]) -> list[Finding]:
    """A breached target is a high finding, an at-risk one medium, one without data low."""
    found = []
    for row in rows:
        severity = {"breached": "high", "at_risk": "medium", "no_data": "low"}.get(row.status)
        if severity is None:
            continue
        found.append(
            Finding(
                code=f"target_{row.status}",
                severity=severity,
                target_id=row.target_id,
                kpi=row.kpi,
                kind=row.kind,
                values={"value": row.this_month.value, "n": row.this_month.n, "target": row.target},
            )
        )
    return found


def worst_day(trend: Trend, direction: str) -> Finding | None:
    """The day of the month with the worst value of a target's KPI (days with data only)."""
    days = [d for d in trend.daily if d.value is not None and d.n > 0]
    if not days:
        return None
    pick = max if direction == "at_most" else min
    day = pick(days, key=lambda d: d.value or 0.0)
    assert day.value is not None
    breached = classify(day.value, trend.target, direction, 0.0) == "breached"
    return Finding(
        code="worst_day",
        severity="medium" if breached else "low",
        target_id=trend.target_id,
        kpi=trend.kpi,
        kind=trend.kind,
        values={"day": day.day.isoformat(), "value": day.value, "n": day.n, "target": trend.target},
    )


def worst_slice(breakdown: Breakdown, target: float, kind: ValueKind) -> Finding | None:
    """The slice of a dimension that costs the most against its target (docs/reports.md,
    "Breakdowns"), when it costs anything: where the target is missed, and by whom."""
    costly = [s for s in breakdown.slices if s.cost > 0 and s.value is not None]
    if not costly:
        return None
    worst = costly[0]  # the slices are ranked costliest first
    return Finding(
        code="worst_slice",
        severity="low",
        target_id=breakdown.target_id,
        kpi=breakdown.kpi,
        kind=kind,
        values={
            "dimension": breakdown.dimension,
            "slice": worst.key,
            "value": worst.value,
            "n": worst.n,
            "target": target,
        },
    )


def fcr_provisional(figures: Mapping[str, Figure]) -> Finding | None:
    """Share of the month's FCR credits that a repeat contact may still withdraw."""
    provisional = figures.get("fcr_provisional")
    rate = figures.get("fcr_rate")
    if provisional is None or rate is None or rate.value is None or not provisional.n:
        return None
    credited = rate.value * rate.n
    if credited <= 0:
        return None
    share = min(1.0, provisional.n / credited)
    return Finding(
        code="fcr_provisional",
        severity="low",
        kind="ratio",
        values={"share": share, "provisional": provisional.n},
    )


def ordered(findings: Sequence[Finding | None]) -> tuple[Finding, ...]:
    """Findings by severity, stable within one severity."""
    present = [f for f in findings if f is not None]
    return tuple(sorted(present, key=lambda f: _SEVERITY_ORDER[f.severity]))
