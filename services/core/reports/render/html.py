"""The report as a self-contained HTML page: inline CSS and SVG, no script, no request.

Jinja2 because it autoescapes, keeps layout apart from code, and has the i18n extension
Babel extracts messages from; the page is also the PDF's source (pdf.py).
"""

from __future__ import annotations

import functools
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.core.reports.model import Report
from services.core.reports.render.i18n import Formats, Language, translations
from services.core.reports.render.view import report_context

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment(language: Language) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_html(report: Report, language: Language) -> str:
    """The page of `report` in `language` (zh-CN or en)."""
    formats = Formats(language, ZoneInfo(report.header.zone))
    template = environment(language).get_template("report.html.j2")
    return template.render(**report_context(report, formats))
