"""A generated month's report as a browser and a PDF reader see it.

HTML: headless Chromium loads the page with no console error and no request other than
the page itself, and a screenshot is saved. PDF: pdftoppm renders every page (none blank)
and pdftotext finds the Chinese section titles, data-quality findings and breakdown tables
(slices by priority, channel, queue and team, never agent) in the zh-CN version.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from services.core.agreements.model import load_agreement_inputs, resolve
from services.core.reports.build import build_report
from services.core.reports.fetch import fetch_inputs
from services.core.reports.model import Report
from services.core.reports.render.html import render_html
from services.core.reports.render.pdf import render_pdf
from tests.component.test_report_vs_kpi_api import memory_reader
from tests.integration.browser import load_page
from tests.report_scenario import DEMO_AGREEMENTS, PERIOD

SECTIONS_ZH = ["KPI 达成情况", "趋势", "细分分析", "问题与分析", "改进措施", "下一步计划"]
DATA_QUALITY_ZH = ["本月事件共", "重复事件", "迟到事件"]
# Table headings "<KPI> · <dimension>" and translated slice values of the generated month.
BREAKDOWNS_ZH = ["· 优先级", "· 渠道", "· 队列", "· 团队", "紧急", "电子邮件", "未分配"]


async def month_counts(agreement_id: str, since: float, until: float) -> Mapping[str, int]:
    """What `read_counts` would answer: a month with some events not counted."""
    return {"accepted": 9_870, "duplicate": 120, "late": 10, "invalid": 0, "unknown": 0}


async def generated_report() -> Report:
    """The demo agreement's October 2026 from the generated month of figures."""
    now = datetime(2026, 11, 2, 8, tzinfo=UTC)
    agreement = resolve(load_agreement_inputs(DEMO_AGREEMENTS)[0], (), now)
    inputs = await fetch_inputs(memory_reader(), agreement, PERIOD, now=now, counts=month_counts)
    return build_report(inputs)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_html_report_loads_in_chromium_without_errors_or_requests(
    tmp_path: Path, language: str
) -> None:
    page = tmp_path / f"report-{language}.html"
    page.write_text(render_html(await generated_report(), language), encoding="utf-8")  # type: ignore[arg-type]

    load = await load_page(page.as_uri())

    (tmp_path / f"report-{language}.png").write_bytes(load.screenshot)
    assert load.errors == []
    assert [u for u in load.urls if not u.startswith(("file://", "data:"))] == []
    assert page.as_uri() in load.urls
    image = Image.open(tmp_path / f"report-{language}.png")
    assert image.size[0] > 600
    assert image.convert("L").getextrema()[0] < 128  # something dark was drawn
    breakdowns = page.read_text(encoding="utf-8").split('id="breakdowns"')[1].split("</section>")[0]
    assert breakdowns.count("<table>") >= 4  # one per dimension of a ticket and a call target
    assert "not available" not in breakdowns
    assert "A1" not in breakdowns  # the generated agents: never shown


@pytest.fixture
async def report() -> Report:
    return await generated_report()


def test_the_pdf_has_pages_that_are_not_blank_and_chinese_titles(
    tmp_path: Path, report: Report
) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(render_html(report, "zh-CN")))

    subprocess.run(["pdftoppm", "-r", "30", "-png", pdf, tmp_path / "page"], check=True)
    text = subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True, text=True)
    info = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", pdf], check=True, capture_output=True, text=True).stdout

    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 6
    for png in pages:
        assert Image.open(png).convert("L").getextrema()[0] < 128, png.name
    for title in SECTIONS_ZH + DATA_QUALITY_ZH + BREAKDOWNS_ZH:
        assert title in text.stdout, title
    assert "A4" in info
    assert "CJK" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:]), fonts  # embedded
