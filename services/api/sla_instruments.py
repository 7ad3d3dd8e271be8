"""Prometheus view of the SLA statuses in the figures cache (docs/metrics.md, "SLA status").

Read at scrape time, like the KPI collector, so a removed target or agreement disappears
from the next scrape. The dashboards and the burn-rate rules (deploy/) read these series.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.api.cache import FiguresCache
from services.core.agreements.sla import Status

TARGET_LABELS = ("agreement", "client", "target", "kpi")


def _gauge(name: str, doc: str, *extra: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=(*TARGET_LABELS, *extra))


class SlaCollector(Collector):
    """Status (one-hot), target, baseline, at-risk edge, objective, good ratios and error
    budget of every target the cache has judged."""

    def __init__(self, cache: FiguresCache) -> None:
        self.cache = cache

    def collect(self) -> Iterable[Metric]:
        status = _gauge(
            "slawatch_sla_status", "1 for the target's current status, else 0.", "status"
        )
        target = _gauge(
            "slawatch_sla_target_value",
            "The target in the KPI's base unit; `window` is its evaluation window.",
            "window",
        )
        baseline = _gauge("slawatch_sla_baseline_value", "The value before the agreement.")
        at_risk = _gauge(
            "slawatch_sla_at_risk_value",
            "Edge of the at-risk zone: the target moved by the at-risk band to the good side.",
        )
        objective = _gauge(
            "slawatch_sla_objective_ratio", "Share of items that must be good (attainment)."
        )
        good = _gauge(
            "slawatch_sla_good_ratio", "Share of good items in a rolling window.", "window"
        )
        budget = _gauge(
            "slawatch_sla_error_budget_remaining_ratio",
            "Error budget left over the target's window (below 0: overspent).",
        )
        for agreement_id, sla in sorted(self.cache.statuses.items()):
            info = self.cache.agreements.get(agreement_id)
            client = info.client if info is not None else ""
            for t in sla.targets:
                v, r = t.version, t.result
                labels = [agreement_id, client, v.target_id, v.kpi]
                for s in Status:
                    status.add_metric([*labels, s.value], 1.0 if r.status is s else 0.0)
                target.add_metric([*labels, v.window], v.target)
                at_risk.add_metric(labels, t.at_risk_value)
                if v.baseline is not None:
                    baseline.add_metric(labels, v.baseline)
                if r.error_budget_remaining is not None:
                    budget.add_metric(labels, r.error_budget_remaining)
                if not t.attainment:
                    continue
                objective.add_metric(labels, v.target)
                for window, figure in t.good_ratios.items():
                    if figure.n > 0 and figure.value is not None:  # no fake zero
                        good.add_metric([*labels, window], figure.value)
        yield from (status, target, baseline, at_risk, objective, good, budget)
