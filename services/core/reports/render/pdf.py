"""The report as PDF: the HTML page laid out on A4 by WeasyPrint.

Why WeasyPrint: it lays out HTML+CSS itself (paged media: page numbers, `target-counter`
for the table of contents), embeds subsets of the fonts it uses (Noto CJK from Debian's
`fonts-noto-cjk`), and needs no browser or network; its only native needs are Pango and
HarfBuzz from Debian (scripts/ensure-report-tools.sh).
"""

from __future__ import annotations

from typing import Any

from weasyprint import HTML


class ExternalResourceRefused(RuntimeError):
    """The page asked for something outside itself; reports must be self-contained."""


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ExternalResourceRefused(f"a report may not load {url!r}")


def render_pdf(html: str) -> bytes:
    """A4 PDF of a report page; any attempt to fetch a resource is refused."""
    document = HTML(string=html, url_fetcher=_refuse)
    return document.write_pdf()  # type: ignore[no-any-return]
