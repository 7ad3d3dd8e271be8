"""Where the pack reads the previous review's action items: the meeting record.

The meeting record (services/core/meetings/) keeps the action items agreed at each quarter's
review. The pack of quarter Q shows those of the latest closed record of Q-1 and what became
of them (their status, and the status now of the measure an item turned into). The pack asks
an `ActionItemSource`, so its building and its tests need no database: `MeetingRecords` reads
PostgreSQL through `previous_action_items`, `NoMeetingRecords` says "not available".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.meetings.model import ActionItemState
from services.core.meetings.service import previous_action_items

__all__ = ["ActionItemSource", "ActionItemState", "FixedActionItems", "MeetingRecords"]


class ActionItemSource(Protocol):
    async def action_items(
        self, agreement_id: str, quarter: str
    ) -> Sequence[ActionItemState] | None:
        """The action items of the review before `quarter` (the pack's quarter) with their
        state now; [] without a closed record; None when no record can be read at all."""
        ...


class MeetingRecords:
    """The meeting records in PostgreSQL, read in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def action_items(
        self, agreement_id: str, quarter: str
    ) -> Sequence[ActionItemState] | None:
        return await previous_action_items(self._session, agreement_id, quarter)


class NoMeetingRecords:
    """An `ActionItemSource` without meeting records: the section is "not available"."""

    async def action_items(
        self, agreement_id: str, quarter: str
    ) -> Sequence[ActionItemState] | None:
        return None


class FixedActionItems:
    """An `ActionItemSource` with the same items for every pack (tests)."""

    def __init__(self, items: Sequence[ActionItemState]) -> None:
        self._items = items

    async def action_items(
        self, agreement_id: str, quarter: str
    ) -> Sequence[ActionItemState] | None:
        return self._items
