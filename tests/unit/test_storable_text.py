"""Text the API stores: control characters and lone surrogates are refused with a reason
(PostgreSQL cannot hold NUL: a meeting record with one was a 500)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services.core.contract.events import InvalidEvent, parse_event
from services.core.meetings.model import MeetingRecord

MEETING = {
    "meeting_date": date(2026, 12, 15).isoformat(),
    "attendees": [{"name": "Li Wei", "party": "client", "role": "ops lead"}],
    "decisions": ["Keep the weekend rota"],
}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("\x00", "control character U\\+0000"),
        ("a\x07b", "control character"),
        ("\x1b[31m", "control character"),
        ("\ud83d", "valid string"),
        ("x\udfffy", "valid string"),
    ],
)
def test_a_meeting_with_a_control_character_or_a_lone_surrogate_is_refused(
    bad: str, reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        MeetingRecord.model_validate({**MEETING, "decisions": [f"keep {bad} rota"]})


@pytest.mark.parametrize("good", ["多行\n文本", "tab\tseparated", "emoji 😀", "\r\n"])
def test_line_breaks_tabs_and_any_printable_text_are_kept(good: str) -> None:
    record = MeetingRecord.model_validate({**MEETING, "decisions": [good]})
    assert record.decisions == (good,)


def test_an_event_id_with_a_lone_surrogate_is_refused() -> None:
    event = {
        "event_id": "e\ud800",
        "type": "ticket.reopened",
        "occurred_at": "2026-10-01T09:30:00Z",
        "agreement_id": "acme",
        "ticket_id": "t1",
    }
    with pytest.raises(InvalidEvent, match="valid string"):
        parse_event(event)
