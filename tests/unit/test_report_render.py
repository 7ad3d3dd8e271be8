"""Rendering a report: catalogues complete, Babel formats per locale, SVG charts, HTML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.core.reports.breakdowns import SliceFigure
from services.core.reports.build import build_report
from services.core.reports.model import FreeText
from services.core.reports.render import charts
from services.core.reports.render.html import render_html
from services.core.reports.render.i18n import LANGUAGES, Formats, Language, po_path
from tests.unit.test_report_build import inputs

RENDER = Path("services/core/reports/render")
SECTIONS_ZH = ["KPI 达成情况", "趋势", "细分分析", "问题与分析", "改进措施", "下一步计划"]


def used_messages() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.j2", "jinja2")]
    options = {"templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None}
    found = extract_from_dir(RENDER, method_map, options, keywords=keywords)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_in_use_is_translated_and_nothing_else(language: str) -> None:
    with po_path(language).open("rb") as source:
        catalog = read_po(source)
    translated = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    used = used_messages()

    assert used, "the extractor found the report's messages"
    assert used - set(translated) == set(), "messages missing from the catalogue"
    assert set(translated) - used == set(), "catalogue entries nothing uses"
    assert all(translated.values()), "empty translations"
    for message, text in translated.items():
        assert re.findall(r"{\w+}", message) == re.findall(r"{\w+}", str(text)), message


def test_numbers_dates_and_durations_follow_the_locale() -> None:
    zh, en = (Formats(lang, ZoneInfo("Asia/Shanghai")) for lang in ("zh-CN", "en"))

    assert (zh.percent(0.8512), en.percent(0.8512)) == ("85.1%", "85.1%")
    assert (zh.duration(14_400), en.duration(14_400)) == ("4小时", "4 hr")
    assert (zh.duration(540), en.duration(540)) == ("9分钟", "9 min")
    assert (zh.day(date(2026, 10, 2)), en.day(date(2026, 10, 2))) == (
        "2026年10月2日",
        "Oct 2, 2026",
    )
    assert zh.change(-0.031, "ratio") == "-3.1 个百分点"
    assert en.change(0.02, "ratio") == "+2.0 pp"
    assert en.value(None, "ratio") == "\u2013"
    assert en.value(12345.0, "count") == "12,345"


def test_a_chart_is_svg_with_the_value_line_broken_at_gaps_and_target_and_baseline() -> None:
    series = charts.Series("FRT", ["1", "2", "3", "4"], [0.8, None, 0.9, 0.95], 0.9, 0.7)
    svg = charts.line_chart(
        series, lambda v: f"{v:.2f}", {"value": "v", "target": "t", "baseline": "b"}
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"

    assert len(root.findall(f"{ns}polyline")) == 2  # the gap splits the line
    assert len(root.findall(f"{ns}circle")) == 3
    dashed = [line for line in root.findall(f"{ns}line") if line.get("stroke-dasharray")]
    assert len(dashed) >= 2  # target and baseline across the plot (plus the legend)
    assert "<script" not in svg


def test_the_page_is_self_contained_and_texts_come_from_the_catalogue() -> None:
    report = build_report(inputs(free_text=FreeText(problems="<b>outage</b> on 2 Oct")))
    zh, en = render_html(report, "zh-CN"), render_html(report, "en")

    for page in (zh, en):
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
        assert "@import" not in page
        assert "<script" not in page
        assert "&lt;b&gt;outage&lt;/b&gt;" in page  # free text is escaped
        assert page.count("<svg") == 2 * len(report.trends)
    for title in SECTIONS_ZH:
        assert title in zh
    assert "本报告没有按优先级、渠道、队列和团队的细分数据" in zh
    assert (
        "Breakdowns by priority, channel, queue and team are not available for this report." in en
    )
    assert '<html lang="zh-CN">' in zh


def test_breakdown_tables_list_slices_costliest_first_with_known_values_translated() -> None:
    figures = [
        SliceFigure("low", 0.95, 1200),
        SliceFigure("urgent", 0.7, 50),
        SliceFigure("unassigned", 0.8, 3),
    ]
    report = build_report(inputs(slices={("csat", "priority"): figures}))
    zh, en = (
        render_html(report, lang).split('<section id="breakdowns">')[1].split("</section>")[0]
        for lang in ("zh-CN", "en")
    )

    rows = re.findall(
        r"<tr><td>([^<]*)</td><td class=\"num\">[^<]*</td><td class=\"num\">([^<]*)</td>", en
    )
    assert rows == [("urgent", "50"), ("unassigned", "3"), ("low", "1,200")]
    assert "cost the most against the target first" in en
    assert "not available" not in en
    zh_rows = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">[^<]*</td>", zh)
    assert zh_rows == ["紧急", "未分配", "低"]
    assert "优先级" in zh


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_renders(language: Language) -> None:
    assert render_html(build_report(inputs()), language).startswith("<!DOCTYPE html>")


def test_the_template_holds_layout_only() -> None:
    """Outside tags and `{{ _(...) }}`, only numbering, punctuation and the symbol n remain."""
    source = (RENDER / "templates" / "report.html.j2").read_text()
    for pattern in (r"{%.*?%}", r"{{.*?}}", r"<style>.*?</style>", r"<[^>]+>"):
        source = re.sub(pattern, " ", source, flags=re.S)

    assert set(source.split()) <= {"(", ")", ";", "·", "n", "1.", "2.", "3.", "4.", "5.", "6."}
