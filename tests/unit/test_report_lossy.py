"""The report states the lossy mappings of the agreement's connectors in its data-quality
findings, in both languages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.core.reports.build import build_report
from services.core.reports.render.html import render_html
from services.core.reports.render.i18n import Formats
from services.core.reports.render.view import View
from tests.unit.test_report_build import inputs

LOSSY = [
    ("acme-zendesk", "zendesk", "csat_good_bad"),
    ("acme-connect", "connect", "no_hold_time"),
    ("acme-zammad", "generic", "no_urgent_priority"),
    ("acme-zammad", "generic", "no_team"),
]


def test_each_lossy_flag_is_a_low_finding_with_its_tool_and_connector() -> None:
    report = build_report(inputs(lossy_mappings=LOSSY))
    found = [f for f in report.findings if f.code.startswith("lossy_")]
    assert [f.code for f in found] == [
        "lossy_csat_good_bad",
        "lossy_no_hold_time",
        "lossy_no_urgent_priority",
        "lossy_other",
    ]
    assert {f.severity for f in found} == {"low"}
    assert found[3].values == {"tool": "generic", "connector": "acme-zammad", "flag": "no_team"}
    assert not [f for f in build_report(inputs()).findings if f.code.startswith("lossy_")]


def test_the_sentences_name_the_tool_in_each_language() -> None:
    report = build_report(inputs(lossy_mappings=LOSSY))
    found = [f for f in report.findings if f.code.startswith("lossy_")]
    en = View(Formats("en", ZoneInfo("Europe/Berlin")))  # type: ignore[arg-type]
    zh = View(Formats("zh-CN", ZoneInfo("Asia/Shanghai")))  # type: ignore[arg-type]
    assert en.finding(found[0]).startswith("Satisfaction from Zendesk (connector acme-zendesk)")
    assert en.finding(found[3]) == (
        "The mapping of Generic webhook (connector acme-zammad) loses information: no_team."
    )
    assert zh.finding(found[1]).startswith(
        "Amazon Connect\uff08连接器 acme-connect\uff09不提供保持时长"
    )
    assert "通用 Webhook" in zh.finding(found[2])
    assert "rated only good or bad" in render_html(report, "en")


def test_inferred_comment_authors_have_their_own_sentence_in_each_language() -> None:
    lossy = [("acme-zendesk", "zendesk", "comment_author_inferred")]
    [found] = [
        f
        for f in build_report(inputs(lossy_mappings=lossy)).findings
        if f.code.startswith("lossy_")
    ]
    assert found.code == "lossy_comment_author_inferred"
    en = View(Formats("en", ZoneInfo("Europe/Berlin")))  # type: ignore[arg-type]
    zh = View(Formats("zh-CN", ZoneInfo("Asia/Shanghai")))  # type: ignore[arg-type]
    assert en.finding(found).startswith("Zendesk (connector acme-zendesk) names comment authors")
    assert zh.finding(found).startswith("Zendesk\uff08连接器 acme-zendesk\uff09导出的历史只以 ID")
