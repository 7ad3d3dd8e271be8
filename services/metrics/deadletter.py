"""Dead-letter records: the original message with the reason it was not counted."""

from __future__ import annotations

import base64
import json
from typing import Any


def deadletter_record(
    reason: str, detail: str, topic: str, partition: int, offset: int, payload: bytes | None
) -> bytes:
    """A JSON record that lets an operator see, fix and re-publish the message."""
    record: dict[str, Any] = {
        "reason": reason,
        "detail": detail,
        "source": {"topic": topic, "partition": partition, "offset": offset},
    }
    raw = payload or b""
    try:
        record["payload"] = raw.decode("utf-8")
    except UnicodeDecodeError:
        record["payload_base64"] = base64.b64encode(raw).decode()
    return json.dumps(record, separators=(",", ":")).encode()
