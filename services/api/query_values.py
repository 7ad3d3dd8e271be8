"""Instants and periods a query may name: the range the API can compute with.

Why a range: windows reach 30 days and a quarter back from an instant and a month ahead of
it, in the agreement's zone; near year 1 or 9999 that arithmetic leaves what `datetime`
can hold, which used to surface as a 500 (and a dropped connection). Values outside
[1970-01-01, 9999-01-01) UTC are refused as a 422 with a reason before anything is computed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime

from services.core.kpi.windows import period_bounds

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # exclusive
FIRST_YEAR, LAST_YEAR = EARLIEST.year, LATEST.year - 1
_YEAR = re.compile(r"^\d{4}-")


def supported_instant(value: datetime) -> datetime:
    """`value` if the API can compute with it; else ValueError naming the range."""
    if not EARLIEST <= value < LATEST:
        raise ValueError(
            f"must be from {EARLIEST:%Y-%m-%dT%H:%M:%SZ} up to {LATEST:%Y-%m-%dT%H:%M:%SZ}"
        )
    return value


# A query parameter instant: FastAPI answers 422 (`invalid-request`) outside the range.
Instant = Annotated[AwareDatetime, AfterValidator(supported_instant)]


def period_in_range(label: str, zone: ZoneInfo) -> tuple[float, float]:
    """[start, end) of the month or quarter `label` in `zone`; ValueError with the reason when
    `label` is no period label or its year is out of range."""
    if _YEAR.match(label) and not FIRST_YEAR <= int(label[:4]) <= LAST_YEAR:
        raise ValueError(f"the year of a period must be from {FIRST_YEAR} to {LAST_YEAR}")
    try:
        return period_bounds(label, zone)
    except OverflowError:  # a zone's rules at the edge of the range; not seen, but never a 500
        raise ValueError(f"period {label!r} is out of the supported range") from None
