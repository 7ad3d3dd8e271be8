"""Prometheus view of the figures cache, read at scrape time.

A custom collector (not Gauges set in the refresh loop) so that series of agreements or
windows that vanish disappear from the scrape instead of freezing at their last value. Each
app has its own registry, so tests and several apps in one process never share series.
Calendar periods are labelled `month`/`quarter`, not `2026-10`, so a series keeps its
identity across period boundaries (its value restarts with the period, as the figure does).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.api.cache import FiguresCache
from services.api.sla_instruments import SlaCollector
from services.core.kpi.figure_table import metric_name
from services.core.kpi.windows import ROLLING_WINDOWS

KPI_LABELS = ("agreement", "client", "window", "kpi")
FIGURE_LABELS = ("agreement", "client", "window")


def window_label(window: str) -> str:
    """`1h`.. for rolling windows, `month` or `quarter` for calendar periods."""
    if window in ROLLING_WINDOWS:
        return window
    return "quarter" if "Q" in window else "month"


class KpiCollector(Collector):
    """Exports every cached figure: its value (when defined) and its sample count n."""

    def __init__(self, cache: FiguresCache) -> None:
        self.cache = cache

    def collect(self) -> Iterable[Metric]:
        values: dict[str, GaugeMetricFamily] = {}
        samples = GaugeMetricFamily(
            "slawatch_kpi_samples",
            "Number of items a KPI figure is computed over (n).",
            labels=KPI_LABELS,
        )
        stream = GaugeMetricFamily(
            "slawatch_stream_time_seconds",
            "Stream time of an agreement: its latest event time, Unix epoch seconds.",
            labels=("agreement", "client"),
        )
        for agreement_id, kpis in sorted(self.cache.figures.items()):
            info = self.cache.agreements.get(agreement_id)
            client = info.client if info is not None else ""
            if kpis.stream_time is not None:
                stream.add_metric([agreement_id, client], kpis.stream_time)
            for window, result in kpis.windows.items():
                for kpi, figure in result.figures.items():
                    labels = [agreement_id, client, window_label(window)]
                    samples.add_metric([*labels, kpi], figure.n)
                    if figure.value is None:
                        continue  # no series rather than a fake zero
                    name = metric_name(kpi)
                    if name not in values:
                        values[name] = GaugeMetricFamily(
                            name, f"KPI figure {kpi} (docs/kpis.md).", labels=FIGURE_LABELS
                        )
                    values[name].add_metric(labels, figure.value)
        yield from values.values()
        yield from (samples, stream)
        if self.cache.refreshed_at is not None:
            yield GaugeMetricFamily(
                "slawatch_kpi_cache_age_seconds",
                "Seconds since the figures cache was last fully refreshed.",
                value=max(0.0, time.time() - self.cache.refreshed_at),
            )


def make_registry(cache: FiguresCache) -> CollectorRegistry:
    """A registry of its own holding the KPI and SLA collectors over `cache`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KpiCollector(cache))
    registry.register(SlaCollector(cache))
    return registry
