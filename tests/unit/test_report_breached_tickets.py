"""The report's breached tickets: copied from the read rows in their order, shown as a table
in both languages, left out when not read, and a changed list is a change of the report."""

from __future__ import annotations

from services.core.reports import lifecycle
from services.core.reports.build import build_report
from services.core.reports.render.html import render_html
from services.core.storage.ticket_breaches import BreachRow
from tests.unit.test_report_build import inputs

OCT_2 = 1_790_928_000.0  # 2026-10-02T08:00:00Z
ROWS = [
    BreachRow("acme-helpdesk", "T-7", "resolution", OCT_2, 90_000.0, 86_400.0, 3_600.0, "high"),
    BreachRow("acme-helpdesk", "T-9", "frt", OCT_2 + 60, 4_500.0, 3_600.0, 900.0, "high"),
]


def test_the_rows_read_are_the_reports_list_in_order() -> None:
    listed = build_report(inputs(breaches=ROWS)).breached_tickets
    assert listed is not None
    assert [(b.ticket_id, b.kpi, b.overrun_seconds) for b in listed] == [
        ("T-7", "resolution", 3_600.0),
        ("T-9", "frt", 900.0),
    ]
    assert listed[0].attributed_at.timestamp() == OCT_2
    assert build_report(inputs()).breached_tickets is None  # not read: no section


def test_the_table_is_shown_in_both_languages_and_only_when_read() -> None:
    report = build_report(inputs(breaches=ROWS))
    zh, en = render_html(report, "zh-CN"), render_html(report, "en")
    for text in ("超出首次响应或解决目标的工单", "首次响应", "T-9"):
        assert text in zh
    for text in ("Tickets over their first-response or resolution target", "T-7"):
        assert text in en
    assert "本月没有工单超出目标。" in render_html(build_report(inputs(breaches=[])), "zh-CN")
    assert "T-7" not in render_html(build_report(inputs()), "en")


def test_a_changed_list_makes_a_new_version_naming_the_ticket() -> None:
    before = build_report(inputs(breaches=ROWS)).model_dump(mode="json")
    after = build_report(inputs(breaches=ROWS[:1])).model_dump(mode="json")
    assert not lifecycle.same_content(before, after)
    (change,) = lifecycle.changes(before, after)
    assert change.path.startswith("breached_tickets[T-9/frt@")
