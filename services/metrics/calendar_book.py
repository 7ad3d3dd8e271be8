"""Which agreements a worker can measure, given the shared calendars it has heard of.

An agreement that names a shared calendar (`calendar_id`) is measured with that calendar; the
engines read `agreements`, so this book writes there each agreement with its calendar put in
(calendar_model.resolve), and rewrites every agreement of a calendar when the calendar
changes: a new year's holidays reach the ticket clock without a restart. An agreement whose
calendar is not known yet stays out of `agreements` (its events are dead-lettered as unknown,
as for an agreement not yet heard of) rather than be measured 24/7 by mistake.
"""

from __future__ import annotations

import logging

from services.core.agreements.calendars import Calendar, resolve
from services.core.kpi.params import MeasurementParams

log = logging.getLogger(__name__)


class CalendarBook:
    """Declared agreements and shared calendars; keeps `agreements` (the engines' dict) resolved."""

    def __init__(self, agreements: dict[str, MeasurementParams]) -> None:
        self.agreements = agreements
        self.declared: dict[str, MeasurementParams] = dict(agreements)
        self.calendars: dict[str, Calendar] = {}
        for agreement_id in list(agreements):
            self._place(agreement_id)

    def put_agreement(self, agreement_id: str, params: MeasurementParams) -> None:
        """Take an agreement as published; it is measured once its calendar is known."""
        self.declared[agreement_id] = params
        self._place(agreement_id)

    def drop_agreement(self, agreement_id: str) -> None:
        """Forget a deleted agreement."""
        self.declared.pop(agreement_id, None)
        self.agreements.pop(agreement_id, None)

    def put_calendar(self, calendar_id: str, calendar: Calendar | None) -> None:
        """Store (None: forget) a calendar and re-place every agreement that names it."""
        if calendar is None:
            self.calendars.pop(calendar_id, None)
        else:
            self.calendars[calendar_id] = calendar
        for agreement_id, params in list(self.declared.items()):
            if params.calendar_id == calendar_id:
                self._place(agreement_id)

    def _place(self, agreement_id: str) -> None:
        resolved = resolve(self.declared[agreement_id], self.calendars)
        if resolved is None:
            self.agreements.pop(agreement_id, None)
            calendar_id = self.declared[agreement_id].calendar_id
            log.warning("agreement %s waits for calendar %s", agreement_id, calendar_id)
        else:
            self.agreements[agreement_id] = resolved
