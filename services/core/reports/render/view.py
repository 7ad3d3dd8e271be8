"""The report as the template reads it: every cell formatted, every label translated.

Keeping formatting here leaves the template with layout only (loops and placement).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup

from services.core.reports.build import value_kind
from services.core.reports.model import (
    BreachedTicket,
    Finding,
    MeasureRow,
    Report,
    Trend,
    Value,
)
from services.core.reports.render import labels
from services.core.reports.render.charts import Series, line_chart
from services.core.reports.render.i18n import NO_VALUE, Formats

# Finding values that are numbers of events (data quality), shown as whole numbers.
_EVENT_COUNTS = ("accepted", "not_counted", "total", "count")


class View:
    """Formatting helpers bound to one language and zone."""

    def __init__(self, formats: Formats) -> None:
        self.f = formats
        self._ = formats.gettext

    def kpi(self, name: str) -> str:
        return self._(labels.KPI_NAMES[name])

    def slice_key(self, dimension: str, key: str) -> str:
        names = {**labels.SLICE_VALUES.get(dimension, {}), **labels.RESERVED_SLICES}
        return self._(names[key]) if key in names else key

    def figure(self, value: Value, kind: str) -> dict[str, str]:
        return {"value": self.f.value(value.value, kind), "n": self.f.number(value.n, "#,##0")}

    def finding(self, finding: Finding) -> str:
        values: dict[str, Any] = dict(finding.values)
        kind = finding.kind
        for key in ("value", "target"):
            if key in values:
                values[key] = self.f.value(values[key], kind)
        if "n" in values and values["n"] is not None:
            values["n"] = self.f.number(float(values["n"]), "#,##0")
        if "share" in values:
            values["share"] = self.f.percent(float(values["share"] or 0.0))
        for key in _EVENT_COUNTS:
            if key in values:
                values[key] = self.f.number(float(values[key] or 0), "#,##0")
        if "provisional" in values:
            values["provisional"] = self.f.number(float(values["provisional"] or 0), "#,##0")
        if "day" in values:
            values["day"] = self.f.day(date.fromisoformat(str(values["day"])))
        if "slice" in values:
            dimension = str(values["dimension"])
            values["slice"] = self.slice_key(dimension, str(values["slice"]))
            values["dimension"] = self._(labels.DIMENSIONS[dimension])
        if "tool" in values:
            tool = str(values["tool"])
            values["tool"] = self._(labels.TOOLS[tool]) if tool in labels.TOOLS else tool
        if finding.kpi is not None:
            values["kpi"] = self.kpi(finding.kpi)
        return self._(labels.FINDINGS[finding.code]).format(**values)

    def chart(self, trend: Trend, monthly: bool) -> Markup:
        if monthly:
            points = [(p.period, p.value) for p in trend.monthly]
        else:
            points = [(self.f.short_day(p.day), p.value) for p in trend.daily]
        series = Series(
            title=self.kpi(trend.kpi),
            labels=[label for label, _ in points],
            values=[value for _, value in points],
            target=trend.target,
            baseline=trend.baseline,
        )
        legend = {
            "value": self._("value"),
            "target": self._("target"),
            "baseline": self._("baseline"),
        }
        svg = line_chart(series, lambda v: self.f.value(v, trend.kind), legend)
        return Markup(svg)

    def measure(self, m: MeasureRow) -> dict[str, str]:
        return {
            "title": m.title,
            "kind": self._(labels.MEASURE_KINDS[m.kind]),
            "owner": m.owner,
            "status": self._(labels.MEASURE_STATES[m.status]),
            "planned": self.f.span(m.planned_start, m.planned_end),
            "actual": self.f.span(m.actual_start, m.actual_end),
            "delay": "" if m.delay_days is None else self.f.number(m.delay_days, "#,##0"),
            "notes": m.notes,
            "month_note": m.month_note,
        }

    def breach(self, b: BreachedTicket) -> dict[str, str]:
        return {
            "ticket": b.ticket_id,
            "kpi": self._(labels.BREACH_KPIS[b.kpi]),
            "priority": b.priority,
            "at": self.f.instant(b.attributed_at),
            "measured": self.f.duration(b.measured_seconds),
            "target": self.f.duration(b.target_seconds),
            "overrun": self.f.duration(b.overrun_seconds),
        }


def report_context(report: Report, formats: Formats) -> dict[str, Any]:
    """Everything the template shows, formatted for `formats`' language."""
    v, f, _ = View(formats), formats, formats.gettext
    h = report.header
    return {
        "lang": f.language,
        "h": {
            "agreement": h.agreement_name,
            "client": h.client_name,
            "provider": h.provider_name,
            "term": f.span(h.term_from, h.term_to),
            "term_status": _(labels.TERM_STATES[h.term_status]),
            "notice": f.day(h.notice_deadline) if h.notice_deadline else "",
            "renews": f.day(h.renews_on) if h.renews_on else "",
            "period": h.period,
            "generated": f.instant(h.generated_at),
            "stream_time": f.instant(h.stream_time) if h.stream_time else NO_VALUE,
            "version": str(h.version) if h.version else _("draft"),
            "state": _(labels.REPORT_STATES[h.state]),
            "zone": h.zone,
        },
        "targets": [
            {
                "kpi": v.kpi(r.kpi),
                "direction": _(labels.DIRECTIONS[r.direction]),
                "baseline": f.value(r.baseline, r.kind),
                "target": f.value(r.target, r.kind),
                "this": v.figure(r.this_month, r.kind),
                "last": v.figure(r.last_month, r.kind),
                "change": f.change(r.change, r.kind),
                "status": _(labels.TARGET_STATES[r.status]),
                "status_class": r.status,
                "progress": NO_VALUE
                if r.progress_percent is None
                else f.number(r.progress_percent, "#,##0") + "%",
            }
            for r in report.targets
        ],
        "others": [
            {
                "kpi": v.kpi(i.kpi),
                "this": v.figure(i.this_month, i.kind),
                "last": v.figure(i.last_month, i.kind),
            }
            for i in report.other_kpis
        ],
        "trends": [
            {"kpi": v.kpi(t.kpi), "daily": v.chart(t, False), "monthly": v.chart(t, True)}
            for t in report.trends
        ],
        "breakdowns_available": any(b.available for b in report.breakdowns),
        "breakdowns": [
            {
                "kpi": v.kpi(b.kpi),
                "dimension": _(labels.DIMENSIONS[b.dimension]),
                "slices": [
                    {
                        "key": v.slice_key(b.dimension, s.key),
                        "value": f.value(s.value, value_kind(b.kpi)),
                        "n": f.number(s.n, "#,##0"),
                    }
                    for s in b.slices
                ],
            }
            for b in report.breakdowns
            if b.available and b.slices  # e.g. CSAT: surveys have no dimension
        ],
        "findings": [{"text": v.finding(x), "severity": x.severity} for x in report.findings],
        "free": report.free_text,
        "breached_read": report.breached_tickets is not None,
        "breached": [v.breach(b) for b in report.breached_tickets or ()],
        "measures": [v.measure(m) for m in report.measures],
        "next_steps": [v.measure(m) for m in report.next_steps],
    }
