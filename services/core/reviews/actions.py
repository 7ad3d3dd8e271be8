"""Where the pack reads the previous review's action items: the meeting record's interface.

The meeting record (services/core/meetings/, docs/reviews.md) keeps the action items decided
at each quarter's review. The pack of quarter Q shows those of the review of Q-1 and what
became of them; it asks an `ActionItemSource`, so it depends on nothing of the meeting
record but this shape. `NoMeetingRecords` answers "not available" (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from services.core.reviews.model import ActionState


@dataclass(frozen=True, slots=True)
class ActionItemState:
    """One action item as the meeting record holds it now."""

    item_id: str
    title: str
    owner: str
    due: date | None
    state: ActionState
    measure_id: str | None = None  # set when the item became an improvement measure
    kpis: tuple[str, ...] = ()


class ActionItemSource(Protocol):
    async def action_items(
        self, agreement_id: str, quarter: str
    ) -> Sequence[ActionItemState] | None:
        """The action items recorded at the review of `quarter` with their current state;
        None when no meeting record can be read (the pack says so)."""
        ...


class NoMeetingRecords:
    """An `ActionItemSource` without meeting records: the section is "not available"."""

    async def action_items(
        self, agreement_id: str, quarter: str
    ) -> Sequence[ActionItemState] | None:
        return None


class FixedActionItems:
    """An `ActionItemSource` over a fixed mapping quarter -> items (tests, demo)."""

    def __init__(self, items: dict[str, Sequence[ActionItemState]]) -> None:
        self._items = items

    async def action_items(
        self, agreement_id: str, quarter: str
    ) -> Sequence[ActionItemState] | None:
        return self._items.get(quarter, ())
