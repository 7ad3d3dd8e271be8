"""The report model built by pure functions: rows, status, findings, measures, breakdowns."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.core.agreements.model import Agreement, load_agreement_inputs, resolve
from services.core.kpi.figures import FIGURE_NAMES, Figure
from services.core.reports.breakdowns import SliceFigure, ranked, slice_cost
from services.core.reports.build import build_report, delay_days
from services.core.reports.inputs import ReportInputs
from services.core.reports.model import FreeText, Report
from services.core.reports.periods import days_of, history_months, shift
from tests.report_scenario import DEMO_AGREEMENTS

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def demo() -> Agreement:
    return resolve(load_agreement_inputs(DEMO_AGREEMENTS)[0], (), NOW)


def figures(**values: tuple[float | None, int]) -> dict[str, Figure]:
    return {name: Figure(*values.get(name, (None, 0))) for name in FIGURE_NAMES}


def inputs(**overrides: object) -> ReportInputs:
    october = figures(
        frt_attainment=(0.85, 200),  # target 0.9 at_least: breached
        csat=(0.86, 50),  # target 0.85, band 0.02: at risk
        aht_mean_seconds=(400.0, 90),  # target 480 at_most, band 30: met
        fcr_rate=(0.75, 100),
        fcr_provisional=(20.0, 20),
    )
    september = figures(frt_attainment=(0.8, 180), csat=(0.9, 40))
    good, bad = figures(frt_attainment=(0.95, 10)), figures(frt_attainment=(0.5, 4))
    base: dict[str, object] = {
        "agreement": demo(),
        "period": "2026-10",
        "generated_at": NOW,
        "stream_time": NOW.timestamp(),
        "monthly": [("2026-09", september), ("2026-10", october)],
        "daily": [(date(2026, 10, 1), good), (date(2026, 10, 2), bad), (date(2026, 10, 3), {})],
        "free_text": FreeText(problems="Queue outage on 2 October.", measures={"kb-returns": "x"}),
    }
    return ReportInputs(**{**base, **overrides})  # type: ignore[arg-type]


def test_target_rows_carry_status_progress_and_change() -> None:
    report = build_report(inputs())
    rows = {r.target_id: r for r in report.targets}

    frt = rows["frt-attainment"]
    assert (frt.this_month.value, frt.this_month.n) == (0.85, 200)
    assert (frt.last_month.value, frt.status) == (0.8, "breached")
    assert frt.change == pytest.approx(0.05)
    assert frt.progress_percent == pytest.approx(100 * (0.85 - 0.78) / (0.9 - 0.78))
    assert (rows["csat"].status, rows["aht"].status) == ("at_risk", "met")
    assert rows["service-level"].status == "no_data"
    assert {i.kpi for i in report.other_kpis} == set(FIGURE_NAMES) - {r.kpi for r in rows.values()}


def test_findings_put_breached_targets_first_and_name_the_worst_day() -> None:
    found = build_report(inputs()).findings

    assert [(f.code, f.target_id) for f in found[:2]] == [
        ("target_breached", "frt-attainment"),
        ("target_at_risk", "csat"),
    ]
    worst = next(f for f in found if f.code == "worst_day" and f.target_id == "frt-attainment")
    assert worst.values == {"day": "2026-10-02", "value": 0.5, "n": 4, "target": 0.9}
    assert worst.severity == "medium"
    provisional = next(f for f in found if f.code == "fcr_provisional")
    assert provisional.values["share"] == pytest.approx(20 / 75)


def test_measures_have_their_delay_and_the_open_ones_are_next_steps() -> None:
    report = build_report(inputs())
    delays = {m.measure_id: m.delay_days for m in report.measures}

    assert delays == {"kb-returns": 15, "triage-training": 0, "chat-routing": 0}
    assert [m.measure_id for m in report.next_steps] == ["chat-routing", "triage-training"]
    assert {m.measure_id: m.month_note for m in report.measures}["kb-returns"] == "x"


@pytest.mark.parametrize(
    ("planned_end", "actual_end", "status", "expected"),
    [
        (date(2026, 9, 30), None, "in_progress", 31),  # overdue at the end of October
        (date(2026, 9, 30), date(2026, 9, 25), "done", -5),  # early
        (date(2026, 12, 1), None, "planned", 0),
        (None, None, "planned", None),
        (date(2026, 9, 1), None, "cancelled", None),
    ],
)
def test_delay_days(
    planned_end: date | None, actual_end: date | None, status: str, expected: int | None
) -> None:
    measure = (
        demo()
        .measures[0]
        .model_copy(update={"planned_end": planned_end, "actual_end": actual_end, "status": status})
    )

    assert delay_days(measure, date(2026, 10, 31)) == expected


def test_breakdowns_say_when_no_slices_are_available_and_rank_by_cost() -> None:
    report = build_report(inputs())
    assert report.breakdowns
    assert not any(b.available or b.slices for b in report.breakdowns)

    slices = [
        SliceFigure("low", 0.95, 100),
        SliceFigure("high", 0.7, 50),
        SliceFigure("x", None, 0),
    ]
    ranking = ranked("priority", slices, 0.9, "at_least")
    assert [s.key for s in ranking] == ["high", "x", "low"]
    assert ranking[0].cost == pytest.approx(50 * 0.2)
    assert slice_cost(600.0, 10, 480.0, "at_most") == pytest.approx(10 * 120 / 480)
    with_slices = build_report(inputs(slices={("csat", "team"): slices}))
    team = next(b for b in with_slices.breakdowns if (b.target_id, b.dimension) == ("csat", "team"))
    assert team.available
    assert team.slices[0].key == "high"


def test_the_report_round_trips_through_json_with_its_schema_version() -> None:
    report = build_report(inputs())
    again = Report.model_validate_json(report.model_dump_json())

    assert again == report
    assert report.model_dump(mode="json")["schema_version"] == 1
    assert report.header.period_start == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert (report.header.term_status, report.header.renews_on) == ("active", date(2027, 1, 1))


def test_periods() -> None:
    assert shift("2026-01", -1) == "2025-12"
    assert history_months("2026-10", date(2026, 1, 1)) == [f"2026-{m:02d}" for m in range(1, 11)]
    assert history_months("2027-03", date(2026, 1, 1))[0] == "2026-04"
    assert len(days_of("2028-02")) == 29
