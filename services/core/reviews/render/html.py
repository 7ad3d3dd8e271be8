"""The pack as a self-contained HTML page (inline CSS and SVG, no script), also the PDF's source."""

from __future__ import annotations

import functools
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.core.reports.render.html import TEMPLATES as REPORT_TEMPLATES
from services.core.reports.render.i18n import Formats, Language
from services.core.reviews.model import ReviewPack
from services.core.reviews.render.i18n import translations
from services.core.reviews.render.view import pack_context

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment(language: Language) -> Environment:
    env = Environment(
        # The report's style sheet (report.css) is shared: one look for both documents.
        loader=FileSystemLoader([TEMPLATES, REPORT_TEMPLATES]),
        autoescape=select_autoescape(["html", "j2"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_html(pack: ReviewPack, language: Language) -> str:
    """The page of `pack` in `language` (zh-CN or en)."""
    formats = Formats(language, ZoneInfo(pack.header.zone))
    template = environment(language).get_template("review.html.j2")
    return template.render(**pack_context(pack, formats, translations(language).gettext))
