"""Calendar arithmetic of report periods (months in the agreement's zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.core.kpi.windows import period_bounds


def parse_month(period: str) -> tuple[int, int]:
    """(year, month) of `YYYY-MM`; ValueError otherwise (quarters are no report period)."""
    if len(period) != 7 or period[4] != "-" or not (period[:4] + period[5:]).isdigit():
        raise ValueError(f"a report period is a month YYYY-MM, got {period!r}")
    year, month = int(period[:4]), int(period[5:])
    if not 1 <= month <= 12:
        raise ValueError(f"a report period is a month YYYY-MM, got {period!r}")
    return year, month


def shift(period: str, months: int) -> str:
    """The month `months` after (negative: before) `period`."""
    year, month = parse_month(period)
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (empty when first > last)."""
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = shift(current, 1)
    return months


def history_months(period: str, start: date, limit: int = 12) -> list[str]:
    """Months from the agreement's start (at most `limit` back) up to `period`."""
    return months_between(max(month_of(start), shift(period, 1 - limit)), period)


def days_of(period: str) -> list[date]:
    year, month = parse_month(period)
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def day_end(day: date, zone: ZoneInfo) -> float:
    """The instant the local `day` ends (next local midnight), epoch seconds."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).timestamp()


def bounds_utc(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start, end = period_bounds(period, zone)
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
