"""Message catalogues and locale-aware formatting for reports (Babel).

Catalogues are the `.po` files under `locale/`; the `.mo` files are built from them
(`make catalogs`, never committed). When a `.mo` is missing or older than its `.po`, the
catalogue is compiled in memory, so a checkout without a build step still renders right.
"""

from __future__ import annotations

import functools
import gettext
import io
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "reports"
NO_VALUE = "\u2013"  # an en dash: no data


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def locale_name(language: str) -> str:
    return language.replace("-", "_")


def po_path(language: str) -> Path:
    return LOCALE_DIR / locale_name(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: Language) -> gettext.GNUTranslations:
    """The catalogue of `language`, from its `.mo` if fresh, else compiled from the `.po`."""
    po = po_path(language)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale_name(language))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Formats:
    """Numbers, shares, durations and dates of one language, all through Babel."""

    def __init__(self, language: Language, zone: ZoneInfo) -> None:
        self.language = language
        self.gettext = translations(language).gettext
        self.locale = Locale.parse(locale_name(language))
        self.zone = zone

    def number(self, value: float, pattern: str = "#,##0.##") -> str:
        return format_decimal(value, pattern, locale=self.locale)

    def percent(self, share: float) -> str:
        return format_percent(share, "#,##0.0%", locale=self.locale)

    def duration(self, seconds: float) -> str:
        """Seconds below a minute, minutes below an hour, hours above, one decimal."""
        if abs(seconds) < 60:
            return format_unit(round(seconds, 1), "duration-second", "short", locale=self.locale)
        if abs(seconds) < 3600:
            minutes = round(seconds / 60, 1)
            return format_unit(minutes, "duration-minute", "short", locale=self.locale)
        return format_unit(round(seconds / 3600, 1), "duration-hour", "short", locale=self.locale)

    def value(self, value: float | None, kind: str | None) -> str:
        """A figure as a reader sees it; an en dash without data."""
        if value is None:
            return NO_VALUE
        if kind == "ratio":
            return self.percent(value)
        if kind == "duration":
            return self.duration(value)
        if kind == "count":
            return self.number(value, "#,##0")
        return self.number(value, "#,##0.00")

    def change(self, value: float | None, kind: str | None) -> str:
        """A signed difference: percentage points for shares, the unit otherwise."""
        if value is None:
            return NO_VALUE
        sign = "+" if value > 0 else ""
        if kind == "ratio":
            points = sign + self.number(value * 100, "#,##0.0;-#,##0.0")
            return self.gettext("{points} pp").format(points=points)
        return sign + self.value(value, kind)

    def day(self, day: date) -> str:
        return format_date(day, "medium", locale=self.locale)

    def short_day(self, day: date) -> str:
        return format_date(day, "d", locale=self.locale)

    def span(self, first: date | None, last: date | None) -> str:
        """A range of days; an open end is an ellipsis."""
        ends = (self.day(d) if d is not None else "\u2026" for d in (first, last))
        return " \u2013 ".join(ends)

    def instant(self, moment: datetime) -> str:
        return format_datetime(moment, "medium", tzinfo=self.zone, locale=self.locale)
