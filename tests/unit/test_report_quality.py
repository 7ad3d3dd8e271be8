"""The report's data quality: the data-quality counts as numbers and as findings' sentences."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from services.core.reports import lifecycle
from services.core.reports.build import build_report
from services.core.reports.render.html import render_html
from services.core.reports.render.i18n import Formats
from services.core.reports.render.view import View
from tests.unit.test_report_build import inputs

COUNTS = {"accepted": 12_000, "duplicate": 300, "late": 45, "invalid": 0, "unknown": 2}


def test_the_counts_become_the_data_quality_numbers_and_low_findings() -> None:
    report = build_report(inputs(event_counts=COUNTS))

    assert report.data_quality is not None
    assert report.data_quality.counts == COUNTS
    assert report.data_quality.not_counted == 347
    found = [f for f in report.findings if f.code.startswith("events_")]
    assert [f.code for f in found] == [
        "events_counted",
        "events_duplicate",
        "events_late",
        "events_unknown",
    ]  # no finding for an outcome without events
    assert {f.severity for f in found} == {"low"}
    assert found[0].values == {
        "accepted": 12_000,
        "not_counted": 347,
        "total": 12_347,
        "share": pytest.approx(347 / 12_347),
    }
    assert found[2].values == {"count": 45, "share": pytest.approx(45 / 12_347)}
    assert report.findings[0].code == "target_breached"  # data quality never outranks targets
    document = report.model_dump(mode="json")
    assert document["data_quality"] == {"counts": COUNTS, "not_counted": 347}
    assert type(found[0].values["accepted"]) is int  # a count stays a whole number in JSON


def test_an_outcome_missing_from_the_counts_is_zero() -> None:
    report = build_report(inputs(event_counts={"accepted": 5}))

    assert report.data_quality is not None
    assert report.data_quality.counts == {
        "accepted": 5,
        "duplicate": 0,
        "late": 0,
        "invalid": 0,
        "unknown": 0,
    }
    assert [f.code for f in report.findings if f.code.startswith("events_")] == ["events_counted"]


def test_no_counts_read_or_no_events_give_no_data_quality_finding() -> None:
    unread = build_report(inputs())
    empty = build_report(inputs(event_counts=dict.fromkeys(COUNTS, 0)))

    assert unread.data_quality is None
    assert empty.data_quality is not None
    assert empty.data_quality.not_counted == 0
    for report in (unread, empty):
        assert not [f for f in report.findings if f.code.startswith("events_")]


def sentences(language: str) -> list[str]:
    report = build_report(inputs(event_counts=COUNTS))
    view = View(Formats(language, ZoneInfo("Europe/Berlin")))  # type: ignore[arg-type]
    return [view.finding(f) for f in report.findings if f.code.startswith("events_")]


def test_the_sentences_format_numbers_for_the_locale() -> None:
    assert sentences("en") == [
        "Events this month: 12,347; counted in the figures: 12,000; not counted: 347 (2.8%).",
        "Duplicate events: 300 (2.4%). Each repeated an event already counted, so the figures"
        " are not affected.",
        "Late events: 45 (0.4%). They arrived after the allowed lateness and are missing from"
        " the figures.",
        "Events of an agreement the worker did not know yet: 2 (0.0%). They are missing from"
        " the figures.",
    ]
    # Chinese punctuation is full width (a colon, comma and parentheses of CJK width).
    assert sentences("zh-CN")[:2] == [
        "本月事件共 12,347 个\uff1a计入指标 12,000 个\uff0c未计入 347 个\uff082.8%\uff09。",
        "重复事件\uff1a300 个\uff082.4%\uff09。它们与已计入的事件重复\uff0c不影响指标。",
    ]


def test_the_page_shows_the_sentences_in_both_languages() -> None:
    report = build_report(inputs(event_counts=COUNTS))

    assert "not counted: 347 (2.8%)" in render_html(report, "en")
    assert "未计入 347 个\uff082.8%\uff09" in render_html(report, "zh-CN")


def test_changed_counts_are_a_listed_change_between_versions() -> None:
    before = build_report(inputs(event_counts=COUNTS)).model_dump(mode="json")
    after = build_report(inputs(event_counts={**COUNTS, "late": 46})).model_dump(mode="json")

    assert not lifecycle.same_content(before, after)
    paths = {c.path for c in lifecycle.changes(before, after)}
    assert {"data_quality.counts.late", "data_quality.not_counted"} <= paths
