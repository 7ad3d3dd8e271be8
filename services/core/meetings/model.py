"""What a review meeting record holds, its quarter, and what the review pack reads of it.

A record belongs to one agreement and one quarter (`2026-Q4`). `MeetingRecord` is what the
provider writes (a PUT body) and what each stored version holds; an action item's
`measure_id` is set by the server only (POST .../action-items/{item_id}/measure), so a
written body either repeats the stored link or leaves it out.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.core.agreements.model import MeasureStatus
from services.core.contract.events import Identifier
from services.core.contract.text import STORABLE

QUARTER_PATTERN = r"^\d{4}-Q[1-4]$"
_QUARTER = re.compile(QUARTER_PATTERN)
Text = Annotated[str, Field(min_length=1, max_length=500), STORABLE]
LongText = Annotated[str, Field(min_length=1, max_length=5000), STORABLE]
Party = Literal["client", "provider"]
ItemStatus = Literal["open", "done", "dropped"]
MeetingState = Literal["draft", "closed"]


def parse_quarter(quarter: str) -> tuple[int, int]:
    """(year, quarter number) of `YYYY-Qn`; ValueError otherwise."""
    if _QUARTER.match(quarter) is None:
        raise ValueError(f"a review quarter is YYYY-Q1..YYYY-Q4, got {quarter!r}")
    return int(quarter[:4]), int(quarter[6])


def previous_quarter(quarter: str) -> str:
    """The quarter before `quarter` (`2027-Q1` -> `2026-Q4`)."""
    year, number = parse_quarter(quarter)
    return f"{year - 1}-Q4" if number == 1 else f"{year}-Q{number - 1}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Attendee(_Frozen):
    name: Text
    party: Party = Field(description="Which party of the agreement the attendee speaks for.")
    organisation: Text | None = Field(default=None, description="Default: the party's name.")
    role: Text


class ActionItem(_Frozen):
    item_id: Identifier
    title: Text
    owner: Text
    due_date: date
    targets: tuple[Identifier, ...] = Field(
        default=(), max_length=50, description="Target ids of the agreement the item concerns."
    )
    status: ItemStatus = "open"
    note: Annotated[str, Field(max_length=5000), STORABLE] = ""
    measure_id: Identifier | None = Field(
        default=None, description="Set by POST .../action-items/{item_id}/measure only."
    )

    @field_validator("targets")
    @classmethod
    def _no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))


class MeetingRecord(_Frozen):
    """One version of a review meeting record, as written."""

    meeting_date: date
    attendees: tuple[Attendee, ...] = Field(default=(), max_length=200)
    decisions: tuple[LongText, ...] = Field(default=(), max_length=200)
    action_items: tuple[ActionItem, ...] = Field(default=(), max_length=200)

    @field_validator("action_items")
    @classmethod
    def _unique_items(cls, value: tuple[ActionItem, ...]) -> tuple[ActionItem, ...]:
        ids = [item.item_id for item in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"action item ids must be unique, repeated: {repeated}")
        return value

    def item(self, item_id: str) -> ActionItem | None:
        return next((i for i in self.action_items if i.item_id == item_id), None)


class ActionItemState(_Frozen):
    """An action item of a past review and what became of it (for the next quarter's pack)."""

    quarter: str = Field(description="The quarter of the meeting that agreed the item.")
    meeting_version: int
    item_id: str
    title: str
    owner: str
    due_date: date
    targets: tuple[str, ...]
    status: ItemStatus
    note: str
    measure_id: str | None
    measure_status: MeasureStatus | None = Field(
        description="Status of the linked measure now; null without a link or when the "
        "measure is no longer in the agreement."
    )
