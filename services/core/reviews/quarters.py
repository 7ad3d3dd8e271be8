"""Calendar arithmetic of review quarters `YYYY-Qn` (in the agreement's zone)."""

from __future__ import annotations

import re
from datetime import date

from services.core.reports.periods import months_between

_QUARTER = re.compile(r"^(?P<year>\d{4})-Q(?P<q>[1-4])$")


def parse_quarter(quarter: str) -> tuple[int, int]:
    """(year, quarter number) of `YYYY-Qn`; ValueError otherwise."""
    match = _QUARTER.match(quarter)
    if match is None:
        raise ValueError(f"a review period is a quarter YYYY-Qn, got {quarter!r}")
    return int(match["year"]), int(match["q"])


def shift_quarter(quarter: str, quarters: int) -> str:
    """The quarter `quarters` after (negative: before) `quarter`."""
    year, q = parse_quarter(quarter)
    index = year * 4 + q - 1 + quarters
    return f"{index // 4:04d}-Q{index % 4 + 1}"


def quarter_of(day: date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def months_of(quarter: str) -> list[str]:
    """The three months `YYYY-MM` of `quarter`, in order."""
    year, q = parse_quarter(quarter)
    return [f"{year:04d}-{3 * q - 2 + i:02d}" for i in range(3)]


def first_day(quarter: str) -> date:
    year, q = parse_quarter(quarter)
    return date(year, 3 * q - 2, 1)


def trend_months(quarter: str, start: date, limit: int = 24) -> list[str]:
    """Months from the agreement's start (at most `limit` back) to the quarter's last month."""
    last = months_of(quarter)[-1]
    year, month = int(last[:4]), int(last[5:])
    index = year * 12 + month - limit
    earliest = f"{index // 12:04d}-{index % 12 + 1:02d}"
    # The quarter's own months always, even for an agreement that began after them.
    begun = min(f"{start.year:04d}-{start.month:02d}", months_of(quarter)[0])
    return months_between(max(earliest, begun), last)


def next_review_day(quarter: str) -> date:
    """The earliest day the next review can be held: the first day after the next quarter.

    A review looks back on a closed quarter, so the review of the quarter after this one
    happens once that quarter has ended."""
    return first_day(shift_quarter(quarter, 2))
