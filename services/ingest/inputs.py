"""What ingest refuses before or beside the contract: the wrong media type or encoding, and
event values that are valid JSON Schema strings but no sane data.

Why here and not in the contract: the v1 models are frozen (a change means v2), and these
rules guard the service rather than define events. An agreement id is a path segment of the
API (`/v1/agreements/{id}`), so `/` in it can only be a mistake or an attack
(`a/../../etc/passwd`); control characters in a string end up in logs, reports and
terminals, where they can forge lines or escape sequences.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from http import HTTPStatus

from services.core.contract.events import EventBase
from services.core.http.problems import ProblemError
from services.ingest.batch import Rejection

JSON_MEDIA_TYPE = "application/json"


def require_json(content_type: str | None) -> None:
    """415 unless the body is declared `application/json` (charset, if named, UTF-8)."""
    media_type, _, params = (content_type or "").partition(";")
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params else "utf-8"
    if media_type.strip().lower() != JSON_MEDIA_TYPE or charset not in ("utf-8", "utf8"):
        detail = f"send {JSON_MEDIA_TYPE} (UTF-8), not {content_type or 'no Content-Type'!r}"
        raise ProblemError(415, HTTPStatus(415).phrase, detail, "unsupported-media-type")


def require_utf8(body: bytes) -> None:
    """400 unless `body` is UTF-8 without a byte order mark (RFC 8259, section 8.1)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        detail = f"the body is not UTF-8: {exc.reason} at byte {exc.start}"
        raise ProblemError(400, HTTPStatus(400).phrase, detail, "malformed-json") from None
    if body.startswith(b"\xef\xbb\xbf"):
        detail = "the body starts with a byte order mark; send UTF-8 without one"
        raise ProblemError(400, HTTPStatus(400).phrase, detail, "malformed-json")


def _refusal(event: EventBase) -> str | None:
    if "/" in event.agreement_id:
        return "agreement_id must not contain '/'"
    for name, value in event.model_dump(mode="json").items():
        if isinstance(value, str) and any(unicodedata.category(c) == "Cc" for c in value):
            return f"{name} must not contain control characters"
    return None


def screen_events(
    events: Sequence[tuple[int, EventBase]],
) -> tuple[list[tuple[int, EventBase]], list[Rejection]]:
    """The events (batch index, event) that pass, and a rejection for every other one."""
    kept: list[tuple[int, EventBase]] = []
    refused: list[Rejection] = []
    for index, event in events:
        reason = _refusal(event)
        if reason is None:
            kept.append((index, event))
        else:
            refused.append(Rejection(index=index, event_id=event.event_id, reason=reason))
    return kept, refused
