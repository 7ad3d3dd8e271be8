"""The term of an agreement and the status it gives on a given day.

The status is derived, never stored: it changes with the calendar, so the API computes it when
asked (`agreement_status(term, today)`), and a stored status could never go stale. The rules
are documented in docs/agreements.md ("Status"); the table-driven unit test follows them.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

AgreementStatus = Literal["draft", "active", "expiring", "expired", "terminated"]


class Term(BaseModel):
    """When an agreement applies. `effective_to` is the last day of the initial term."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    effective_from: date
    effective_to: date | None = Field(
        default=None, description="Last day (inclusive) of the initial term; null: open-ended."
    )
    auto_renew: bool = False
    renewal_months: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Length of each renewal; required when auto_renew is true."
    )
    notice_days: Annotated[int, Field(ge=0)] = Field(
        default=90, description="A term not renewing is 'expiring' this many days before its end."
    )
    terminated_at: date | None = Field(
        default=None, description="First day the agreement no longer applies (early end)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Term:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(
                f"term.effective_to {self.effective_to} is before "
                f"term.effective_from {self.effective_from}"
            )
        if self.auto_renew and (self.effective_to is None or self.renewal_months is None):
            raise ValueError("an auto-renewing term needs effective_to and renewal_months")
        return self


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months; the day of month is clamped (31 Jan + 1 month = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def current_term_end(term: Term, today: date) -> date | None:
    """Last day of the term period that holds `today` (None: open-ended).

    Renewals are counted from the day after the initial term, not chained from one end to the
    next, so clamped month ends never drift (an end of 31 Jan stays on month ends).
    """
    if term.effective_to is None:
        return None
    if not term.auto_renew or today <= term.effective_to or term.renewal_months is None:
        return term.effective_to
    first = term.effective_to + timedelta(days=1)
    months = term.renewal_months
    elapsed = (today.year - first.year) * 12 + today.month - first.month
    renewals = max(1, elapsed // months)  # never past the right period; see the loop below
    while add_months(first, renewals * months) - timedelta(days=1) < today:
        renewals += 1
    return add_months(first, renewals * months) - timedelta(days=1)


def agreement_status(term: Term, today: date) -> AgreementStatus:
    """The status of an agreement with `term` on `today`, first matching rule wins:

    1. terminated: `terminated_at` is set and `terminated_at <= today`;
    2. draft: `today < effective_from`;
    3. expired: `today` is after the term end and the term does not auto-renew (an
       auto-renewing term rolls forward by `renewal_months` as often as needed);
    4. expiring: the term does not auto-renew and ends within `notice_days` of `today`;
    5. active: otherwise (also when the term is open-ended).
    """
    if term.terminated_at is not None and term.terminated_at <= today:
        return "terminated"
    if today < term.effective_from:
        return "draft"
    end = current_term_end(term, today)
    if end is None:
        return "active"
    if today > end:
        return "expired"
    if not term.auto_renew and (end - today).days <= term.notice_days:
        return "expiring"
    return "active"


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    """The calendar day at `now` (default: the current time) in `zone`."""
    return (now or datetime.now(zone)).astimezone(zone).date()
