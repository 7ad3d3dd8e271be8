"""What the review should talk about, derived by pure functions from the pack's own rows.

- **met with room**: the target was met (clear of its at-risk band, docs/sla.md) in each of
  the quarter's three months and over the quarter: perhaps the target can be raised.
- **missed every month**: each of the three months has data and breached the target.
- **the term**: the notice deadline to object to an automatic renewal (term end -
  `notice_days`) and whether it falls before the next review, the last chance to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from services.core.agreements.term import Term, agreement_status, current_term_end
from services.core.reviews.model import DiscussionPoint, NoticeDue, TargetQuarterRow, TermReview
from services.core.reviews.quarters import next_review_day


def _month_values(row: TargetQuarterRow) -> dict[str, float | int | str | None]:
    values: dict[str, float | int | str | None] = {}
    for i, month in enumerate(row.months, start=1):
        values[f"month{i}"], values[f"n{i}"] = month.value, month.n
    return values


def discussion_points(rows: Sequence[TargetQuarterRow]) -> tuple[DiscussionPoint, ...]:
    """The targets met all quarter with room to spare, then those missed every month."""
    room, missed = [], []
    for row in rows:
        statuses = [m.status for m in row.months]
        values = {
            "quarter": row.quarter.value,
            "n": row.quarter.n,
            "target": row.target,
            **_month_values(row),
        }
        point = {"target_id": row.target_id, "kpi": row.kpi, "kind": row.kind}
        if statuses and row.status == "met" and all(s == "met" for s in statuses):
            assert row.quarter.value is not None
            values["margin"] = abs(row.quarter.value - row.target)
            room.append(DiscussionPoint(code="met_with_room", values=values, **point))
        elif len(statuses) == 3 and all(s == "breached" for s in statuses):
            missed.append(DiscussionPoint(code="missed_every_month", values=values, **point))
    return (*room, *missed)


def notice_due(deadline: date | None, today: date, next_review: date) -> NoticeDue | None:
    if deadline is None:
        return None
    if deadline < today:
        return "passed"
    return "before_next_review" if deadline < next_review else "after_next_review"


def term_review(term: Term, today: date, quarter: str) -> TermReview:
    """The term on `today`, with the renewal notice deadline against the next review."""
    end = current_term_end(term, today)
    renews = term.auto_renew and end is not None and term.terminated_at is None
    deadline = end - timedelta(days=term.notice_days) if renews and end is not None else None
    upcoming = next_review_day(quarter)
    return TermReview(
        status=agreement_status(term, today),
        term_from=term.effective_from,
        term_end=end,
        auto_renew=term.auto_renew,
        renews_on=end + timedelta(days=1) if renews and end is not None else None,
        notice_deadline=deadline,
        notice_due=notice_due(deadline, today, upcoming),
        next_review=upcoming,
        ends_before_next_review=not renews and end is not None and end < upcoming,
    )
