"""The pack's message catalogue (domain `reviews`), with the report's behind it.

Names the pack shares with the monthly report (KPIs, statuses, measure kinds) are looked up
in the report's catalogue, so each is translated in one place. Like the report's, a `.mo`
that is missing or older than its `.po` is compiled in memory.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from services.core.reports.render import i18n as report_i18n
from services.core.reports.render.i18n import Language, locale_name

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "reviews"


def po_path(language: str) -> Path:
    return LOCALE_DIR / locale_name(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: Language) -> gettext.GNUTranslations:
    """The pack's catalogue of `language`, falling back to the report's."""
    po = po_path(language)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        own = gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))
    else:
        with po.open("rb") as source:
            catalog = read_po(source, locale=locale_name(language))
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        own = gettext.GNUTranslations(buffer)
    own.add_fallback(report_i18n.translations(language))
    return own
