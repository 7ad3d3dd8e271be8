"""Shared business calendars: one object, versioned by year, that agreements name by id.

Why: many agreements keep the same desk hours and the same public holidays, and governments
announce each year's arrangement late; a calendar edited once must reach every agreement
that uses it. An agreement names it with `calendar_id` (or keeps an inline `calendar`);
`resolve` gives the engine an agreement whose `calendar` is the shared one, so the ticket
clock, deadlines and the at-risk view read one field whichever way the agreement chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from services.core.contract.events import Identifier
from services.core.kpi.params import MeasurementParams, YearlyCalendar

# Keys of calendar documents on the agreements topic (services/core/messaging/agreement_topic.py);
# agreement ids may not start with it (agreement_model.py).
TOPIC_KEY_PREFIX = "calendar:"


class Calendar(YearlyCalendar):
    """A shared calendar: `years` as in `YearlyCalendar`, plus its id and a display name."""

    calendar_id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=200)]


class CalendarInput(YearlyCalendar):
    """The body of `PUT /v1/calendars/{calendar_id}` (the id comes from the URL)."""

    name: Annotated[str, Field(min_length=1, max_length=200)]


def to_document(calendar: Calendar) -> dict[str, Any]:
    """The JSON document stored and published (holidays sorted, dates as ISO strings)."""
    return calendar.model_dump(mode="json")


def topic_key(calendar_id: str) -> str:
    """The key of a calendar's documents on the agreements topic."""
    return TOPIC_KEY_PREFIX + calendar_id


def resolve(
    params: MeasurementParams, calendars: Mapping[str, YearlyCalendar]
) -> MeasurementParams | None:
    """`params` with its shared calendar in `calendar`; None while that calendar is unknown.

    An agreement with an inline calendar or none is returned as it is.
    """
    if params.calendar_id is None:
        return params
    calendar = calendars.get(params.calendar_id)
    if calendar is None:
        return None
    # No validation on copy: a resolved agreement carries both fields on purpose.
    return params.model_copy(update={"calendar": calendar})
