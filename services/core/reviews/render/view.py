"""The pack as the template reads it: every cell formatted, every label translated."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_percent
from markupsafe import Markup

from services.core.reports.model import MonthPoint
from services.core.reports.render import labels as report_labels
from services.core.reports.render.charts import Series, line_chart
from services.core.reports.render.i18n import NO_VALUE, Formats
from services.core.reports.render.view import View as ReportView
from services.core.reviews.model import (
    ActionItemRow,
    DiscussionPoint,
    EffectRow,
    MeasureReview,
    QuarterTrend,
    ReviewPack,
    TermReview,
)
from services.core.reviews.render import labels


class View(ReportView):
    """The report's helpers, with the pack's catalogue and the pack's own rows."""

    def __init__(self, formats: Formats, gettext: Any) -> None:
        super().__init__(formats)
        self._ = gettext

    def point(self, p: DiscussionPoint) -> str:
        v = p.values
        months = [
            NO_VALUE if (m := v.get(f"month{i}")) is None else self.f.value(float(m), p.kind)
            for i in (1, 2, 3)
        ]
        quarter = v.get("quarter")
        return self._(labels.POINTS[p.code]).format(
            kpi=self.kpi(p.kpi),
            quarter=self.f.value(None if quarter is None else float(quarter), p.kind),
            target=self.f.value(float(v["target"] or 0), p.kind),
            n=self.f.number(float(v["n"] or 0), "#,##0"),
            months=" / ".join(months),
        )

    def term(self, t: TermReview) -> dict[str, str | bool]:
        day = self.f.day
        sentence = ""
        if t.notice_due is not None:
            sentence = self._(labels.NOTICE[t.notice_due]).format(
                deadline=day(t.notice_deadline) if t.notice_deadline else NO_VALUE,
                next_review=day(t.next_review),
                renews=day(t.renews_on) if t.renews_on else NO_VALUE,
            )
        elif t.ends_before_next_review and t.term_end is not None:
            sentence = self._(labels.ENDS_BEFORE_NEXT).format(
                end=day(t.term_end), next_review=day(t.next_review)
            )
        return {
            "status": self._(report_labels.TERM_STATES[t.status]),
            "term": self.f.span(t.term_from, t.term_end),
            "renews": day(t.renews_on) if t.renews_on else NO_VALUE,
            "notice": day(t.notice_deadline) if t.notice_deadline else NO_VALUE,
            "next_review": day(t.next_review),
            "sentence": sentence,
            "urgent": "yes"
            if t.notice_due == "before_next_review" or t.ends_before_next_review
            else "",
        }

    def effect(self, e: EffectRow) -> dict[str, str]:
        interval, reading = NO_VALUE, ""
        if e.too_few_data:
            reading = self._("too few data")
        elif e.interval is None:
            reading = self._("no interval for this figure")
        else:
            low, high = e.interval
            interval = f"{self.f.change(low, e.kind)} \u2026 {self.f.change(high, e.kind)}"
            excludes = low > 0 or high < 0
            reading = self._("excludes zero") if excludes else self._("includes zero")
        return {
            "kpi": self.kpi(e.kpi),
            "before": self.f.value(e.before, e.kind),
            "after": self.f.value(e.after, e.kind),
            "n_before": self.f.number(e.n_before, "#,##0"),
            "n_after": self.f.number(e.n_after, "#,##0"),
            "difference": self.f.change(e.difference, e.kind),
            "direction": "" if e.direction is None else self._(labels.DIRECTIONS[e.direction]),
            "interval": interval,
            "reading": reading,
        }

    def measure_review(self, m: MeasureReview) -> dict[str, Any]:
        return {
            **self.measure(m.measure),
            "effect_from": self.f.instant(m.effect_start) if m.effect_start else "",
            "complete": m.complete,
            "effects": [self.effect(e) for e in m.effects],
        }

    def action(self, a: ActionItemRow, titles: dict[str, str]) -> dict[str, str]:
        measure = titles.get(a.measure_id, a.measure_id) if a.measure_id else ""
        if a.measure_id and a.measure_status is not None:
            status = self._(report_labels.MEASURE_STATES[a.measure_status])
            measure = f"{measure} ({status})"
        return {
            "title": a.title,
            "owner": a.owner,
            "due": self.f.day(a.due),
            "state": self._(labels.ACTION_STATES[a.status]),
            "overdue": self._("overdue") if a.overdue else "",
            "measure": measure,
            "note": a.note,
        }

    def quarter_chart(self, t: QuarterTrend) -> Markup:
        points: tuple[MonthPoint, ...] = t.monthly
        series = Series(
            title=self.kpi(t.kpi),
            labels=[p.period for p in points],
            values=[p.value for p in points],
            target=t.target,
            baseline=t.baseline,
        )
        legend = {
            "value": self._("value"),
            "target": self._("target"),
            "baseline": self._("baseline"),
        }
        return Markup(line_chart(series, lambda v: self.f.value(v, t.kind), legend))


def pack_context(pack: ReviewPack, formats: Formats, gettext: Any) -> dict[str, Any]:
    """Everything the template shows, formatted for `formats`' language."""
    v, f, _ = View(formats, gettext), formats, gettext
    h = pack.header
    titles = {m.measure.measure_id: m.measure.title for m in pack.measures}
    return {
        "lang": f.language,
        "h": {
            "agreement": h.agreement_name,
            "client": h.client_name,
            "provider": h.provider_name,
            "quarter": h.quarter,
            "months": " \u00b7 ".join(h.months),
            "zone": h.zone,
            "generated": f.instant(h.generated_at),
            "stream_time": f.instant(h.stream_time) if h.stream_time else NO_VALUE,
            "version": str(h.version) if h.version else _("draft"),
            "state": _(report_labels.REPORT_STATES[h.state]),
        },
        "months": list(h.months),
        "confidence": format_percent(0.95, "#,##0%", locale=f.locale),
        "targets": [
            {
                "kpi": v.kpi(r.kpi),
                "direction": _(report_labels.DIRECTIONS[r.direction]),
                "baseline": f.value(r.baseline, r.kind),
                "target": f.value(r.target, r.kind),
                "months": [
                    {"value": f.value(m.value, r.kind), "status": m.status} for m in r.months
                ],
                "quarter": v.figure(r.quarter, r.kind),
                "status": _(report_labels.TARGET_STATES[r.status]),
                "status_class": r.status,
                "progress": NO_VALUE
                if r.progress_percent is None
                else f.number(r.progress_percent, "#,##0") + "%",
            }
            for r in pack.targets
        ],
        "trends": [{"kpi": v.kpi(t.kpi), "chart": v.quarter_chart(t)} for t in pack.trends],
        "points": [{"text": v.point(p), "code": p.code} for p in pack.discussion],
        "term": v.term(pack.term),
        "measures": [v.measure_review(m) for m in pack.measures],
        "actions": {
            "quarter": pack.action_items.previous_quarter,
            "available": pack.action_items.available,
            "rows": [v.action(a, titles) for a in pack.action_items.items],
        },
    }
