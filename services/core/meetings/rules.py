"""Pure rules of the meeting record: checks against the agreement, links kept, items to measures.

Why links are the server's: a measure made from an action item names the item and the item
names the measure; a client editing the record must not break either side, so a written
body may repeat a stored link or omit it (the stored one is kept), never change or drop it.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.core.agreements.model import ActionItemRef, Agreement, ImprovementMeasure, MeasureKind
from services.core.contract.events import Identifier
from services.core.meetings.model import ActionItem, MeetingRecord


class MeetingRefused(ValueError):
    """A write the rules refuse; `kind` names the problem (`invalid-meeting`, ...)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class InvalidMeeting(MeetingRefused):
    """The record contradicts the agreement or is incomplete (422)."""


class MeetingConflict(MeetingRefused):
    """The write conflicts with what is stored (409)."""


class MeetingNotFound(MeetingRefused):
    """No record, or no such action item (404)."""


class MeasureOptions(BaseModel):
    """How an action item becomes a measure; every field defaults to the item's own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measure_id: Identifier | None = Field(default=None, description="Default: the item id.")
    kind: MeasureKind = "other"
    planned_start: date | None = None
    planned_end: date | None = Field(default=None, description="Default: the item's due date.")


def check_targets(record: MeetingRecord, agreement: Agreement) -> None:
    """Every target an action item names must be a target of the agreement."""
    known = {t.target_id for t in agreement.targets}
    for item in record.action_items:
        unknown = sorted(set(item.targets) - known)
        if unknown:
            detail = f"action item {item.item_id!r}: no targets {unknown} in the agreement"
            raise InvalidMeeting("unknown-target", detail)


def check_complete(record: MeetingRecord) -> None:
    """A record is closed only with attendees of both parties."""
    missing = sorted({"client", "provider"} - {a.party for a in record.attendees})
    if missing:
        detail = f"a closed record needs attendees of both parties; none for {missing}"
        raise InvalidMeeting("meeting-incomplete", detail)


def carry_links(record: MeetingRecord, stored: MeetingRecord | None) -> MeetingRecord:
    """`record` with the measure links of `stored`; refuses changed or dropped links."""
    links = {} if stored is None else {i.item_id: i.measure_id for i in stored.action_items}
    items = []
    for item in record.action_items:
        link = links.pop(item.item_id, None)
        if item.measure_id not in (None, link):
            detail = f"action item {item.item_id!r}: measure_id is set by POST .../measure"
            raise InvalidMeeting("invalid-meeting", detail)
        items.append(item.model_copy(update={"measure_id": link}))
    dropped = sorted(item_id for item_id, link in links.items() if link is not None)
    if dropped:
        detail = f"action items {dropped} became measures; keep them (status 'dropped' ends one)"
        raise InvalidMeeting("linked-item", detail)
    return record.model_copy(update={"action_items": tuple(items)})


def with_measure(record: MeetingRecord, item_id: str, measure_id: str) -> MeetingRecord:
    items = tuple(
        i.model_copy(update={"measure_id": measure_id}) if i.item_id == item_id else i
        for i in record.action_items
    )
    return record.model_copy(update={"action_items": items})


def measure_of(
    item: ActionItem, quarter: str, agreement: Agreement, options: MeasureOptions
) -> ImprovementMeasure:
    """The improvement measure `item` becomes: its title, owner, note, due date as planned
    end, and the KPIs of its targets; raises pydantic's ValidationError on bad dates."""
    kpis = {t.target_id: t.kpi for t in agreement.targets}
    return ImprovementMeasure(
        measure_id=options.measure_id or item.item_id,
        kind=options.kind,
        title=item.title,
        owner=item.owner,
        planned_start=options.planned_start,
        planned_end=options.planned_end or item.due_date,
        notes=item.note,
        kpis=tuple(kpis[t] for t in item.targets if t in kpis),
        action_item=ActionItemRef(quarter=quarter, item_id=item.item_id),
    )
