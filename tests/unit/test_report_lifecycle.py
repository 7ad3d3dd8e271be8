"""When reports are created and finalised, and what a new version lists as changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.core.kpi.figures import Figure
from services.core.reports import lifecycle
from services.core.reports.build import build_report
from services.core.reports.job import history_span
from services.core.reports.schedule import closed_months, wanted_state
from services.core.reports.store import StoredReport
from tests.unit.test_report_build import demo, inputs

BERLIN = ZoneInfo("Europe/Berlin")
FINAL = datetime(2026, 11, 8, 0, tzinfo=UTC)


def stored(state: str) -> StoredReport:
    return StoredReport("a", "2026-10", 1, state, {}, "h", [], FINAL, "scheduler")


def test_a_month_closes_after_its_end_in_the_zone_plus_the_lateness() -> None:
    assert lifecycle.closes_at("2026-10", BERLIN, 3600) == datetime(2026, 11, 1, 0, tzinfo=UTC)
    final = lifecycle.final_at("2026-10", BERLIN, 3600, 7 * 86_400)
    assert final == datetime(2026, 11, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "latest", "expected"),
    [
        (FINAL - timedelta(seconds=1), None, "preliminary"),
        (FINAL, None, "final"),
        (FINAL - timedelta(days=3), stored("preliminary"), "preliminary"),
        (FINAL, stored("preliminary"), "final"),
        (FINAL - timedelta(days=3), stored("final"), "final"),  # never back to preliminary
        (FINAL + timedelta(days=1), stored("final"), None),  # settled
    ],
)
def test_the_state_of_the_next_version(
    now: datetime, latest: StoredReport | None, expected: str | None
) -> None:
    assert wanted_state(latest, now, FINAL) == expected


def test_closed_months_are_those_closed_within_the_catch_up_window() -> None:
    agreement = demo()  # from 2026-01-01, Berlin

    before = closed_months(agreement, datetime(2026, 10, 31, 23, 59, tzinfo=UTC), 3600)
    assert before == ["2026-09"]  # October ends 23:00 UTC, closes an hour later
    months = closed_months(agreement, datetime(2026, 11, 1, 0, 0, tzinfo=UTC), 3600)
    assert months == ["2026-09", "2026-10"]
    assert closed_months(agreement, datetime(2026, 11, 20, tzinfo=UTC), 3600) == ["2026-10"]
    early = agreement.model_copy(
        update={"term": agreement.term.model_copy(update={"effective_from": date(2026, 10, 15)})}
    )
    assert closed_months(early, datetime(2026, 11, 1, 0, 0, tzinfo=UTC), 3600) == ["2026-10"]


def test_changes_list_the_figures_that_differ_by_path() -> None:
    before = build_report(inputs()).model_dump(mode="json")
    after = build_report(inputs(stream_time=None)).model_dump(mode="json")
    assert lifecycle.changes(before, before) == []
    assert lifecycle.same_content(before, before)

    other = build_report(inputs(free_text=inputs().free_text.model_copy(update={"problems": "x"})))
    assert not lifecycle.same_content(before, other.model_dump(mode="json"))
    assert lifecycle.changes(before, other.model_dump(mode="json")) == []
    assert before["header"]["stream_time"] != after["header"]["stream_time"]

    base = inputs()
    october = dict(base.monthly[1][1])
    october["csat"] = Figure(0.5, 51)
    changed = build_report(inputs(monthly=[base.monthly[0], ("2026-10", october)]))
    paths = {c.path for c in lifecycle.changes(before, changed.model_dump(mode="json"))}
    assert {"targets[csat].this_month.value", "targets[csat].this_month.n"} <= paths
    assert "targets[csat].status" in paths


def test_the_content_hash_is_of_the_canonical_json() -> None:
    report = build_report(inputs())
    again = build_report(inputs())

    assert lifecycle.content_hash(report) == lifecycle.content_hash(again)
    assert len(lifecycle.content_hash(report)) == 64


def test_the_demo_history_covers_last_month_in_every_zone() -> None:
    now = datetime(2026, 12, 2, 0, 15, tzinfo=UTC)

    period, hours = history_span(now)

    assert period == "2026-11"
    assert now - timedelta(hours=hours) <= datetime(2026, 10, 31, 10, tzinfo=UTC)  # 1 Nov, +14 h
