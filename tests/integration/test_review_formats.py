"""Two quarters' review pack as a browser and a PDF reader see it, in both languages.

HTML: headless Chromium loads the page with no console error and no request other than
the page itself, and draws something. PDF: pdftoppm renders every page (none blank), the
page is A4, fonts are embedded (CJK for Chinese), and pdftotext finds the title and the
section titles of the language, and the measure effect's reading.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from services.core.reports.render.pdf import render_pdf
from services.core.reviews.build import build_pack
from services.core.reviews.fetch import fetch_pack_inputs
from services.core.reviews.model import ReviewPack
from services.core.reviews.render.html import render_html
from tests.integration.browser import load_page
from tests.review_scenario import NOW, QUARTER, agreement, memory_reader

TEXTS = {
    "zh-CN": [
        "季度服务评审资料",
        "本季度目标达成",
        "协议开始以来的趋势",
        "讨论要点",
        "协议期限",
        "改进措施及其实测效果",
        "上次评审的待办事项及其结果",
        "不含零",
        "并不能证明因果关系",
    ],
    "en": [
        "Quarterly service review pack",
        "Targets over the quarter",
        "Trend since the agreement began",
        "Points for discussion",
        "The agreement's term",
        "Improvement measures and their measured effect",
        "excludes zero",
        "not proof of cause",
    ],
}


@pytest.fixture(scope="module")
async def pack() -> ReviewPack:
    inputs = await fetch_pack_inputs(memory_reader(), agreement(), QUARTER, now=NOW)
    return build_pack(inputs)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_html_pack_loads_in_chromium_without_errors_or_requests(
    tmp_path: Path, pack: ReviewPack, language: str
) -> None:
    page = tmp_path / f"review-{language}.html"
    page.write_text(render_html(pack, language), encoding="utf-8")  # type: ignore[arg-type]

    load = await load_page(page.as_uri())

    (tmp_path / f"review-{language}.png").write_bytes(load.screenshot)
    assert load.errors == []
    assert [u for u in load.urls if not u.startswith(("file://", "data:"))] == []
    assert page.as_uri() in load.urls
    image = Image.open(tmp_path / f"review-{language}.png")
    assert image.size[0] > 600
    assert image.convert("L").getextrema()[0] < 128  # something dark was drawn


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_pdf_has_pages_that_are_not_blank_and_the_languages_titles(
    tmp_path: Path, pack: ReviewPack, language: str
) -> None:
    pdf = tmp_path / "review.pdf"
    pdf.write_bytes(render_pdf(render_html(pack, language)))  # type: ignore[arg-type]

    subprocess.run(["pdftoppm", "-r", "30", "-png", pdf, tmp_path / "page"], check=True)
    text = subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True, text=True)
    info = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", pdf], check=True, capture_output=True, text=True).stdout

    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 6  # one section per page in print
    for png in pages:
        assert Image.open(png).convert("L").getextrema()[0] < 128, png.name
    flat = " ".join(text.stdout.split())
    for title in TEXTS[language]:
        assert title in flat, title
    assert "A4" in info
    if language == "zh-CN":
        assert "CJK" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:]), fonts  # embedded
