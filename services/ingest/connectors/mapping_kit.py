"""Small pure helpers the helpdesk connectors share: ids, instants, HMAC checks, payload reads.

Each tool spells ids, times and signatures its own way; these helpers turn them into the
v1 contract's spelling once, so every connector derives ids and instants the same way and a
redelivered or pulled payload lands on the same `event_id`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from services.ingest.connectors.base import ConnectorSettings, MappingRefused, SignatureRefused

# The v1 identifier (services/core/contract/events.py); ids that do not fit become a hash.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]*$")
_MAX_ID = 128
_FRACTION = re.compile(r"\.(\d+)")


def scoped_id(settings: ConnectorSettings, *parts: object) -> str:
    """`<namespace>:<part>:...`: one tool account's ids never collide with another's.

    The result is a valid v1 identifier; a part the contract cannot carry (too long, odd
    characters) turns the whole id into a stable hash of it, so equal facts keep equal ids.
    """
    text = ":".join([settings.namespace, *(str(p) for p in parts)])
    if len(text) <= _MAX_ID and _IDENTIFIER.match(text):
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:40]
    return f"{settings.namespace[:60]}:h:{digest}" if settings.namespace else f"h:{digest}"


def parse_instant(value: Any, what: str) -> datetime:
    """An aware UTC instant from the spellings helpdesks use, or `MappingRefused`.

    Accepts Unix seconds (int/float), ISO 8601 with `Z` or an offset and up to nanosecond
    fractions (Zendesk), and `2020-03-03 13:05:57 UTC` (Chatwoot's webhook examples).
    """
    if isinstance(value, bool) or value is None or value == "":
        raise MappingRefused(f"{what} is missing")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    if not isinstance(value, str):
        raise MappingRefused(f"{what} is not a time: {value!r}")
    text = value.strip()
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6], text, count=1).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MappingRefused(f"{what} is not a time: {value!r}") from None
    if parsed.tzinfo is None:
        raise MappingRefused(f"{what} has no offset: {value!r}")
    return parsed.astimezone(UTC)


def rfc3339(instant: datetime) -> str:
    """The contract's spelling of an instant: UTC, `Z`, microseconds only when present."""
    text = instant.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def envelope(
    settings: ConnectorSettings, event_id: str, type_: str, at: datetime, **fields: Any
) -> dict[str, Any]:
    """One v1 event as a JSON-ready dict (validated later by the shared publish path).

    No `source`: the webhook path names the connector that received the payload there.
    """
    return {
        "event_id": event_id,
        "type": type_,
        "occurred_at": rfc3339(at),
        "agreement_id": settings.agreement_id,
        **fields,
    }


def obj(value: Any, what: str) -> Mapping[str, Any]:
    """The JSON object at `what`, or `MappingRefused` naming the missing part."""
    if not isinstance(value, Mapping):
        raise MappingRefused(f"{what} must be an object")
    return value


def ident(value: Any, what: str) -> str:
    """A tool's id (number or text) as text, or `MappingRefused`."""
    if isinstance(value, bool) or value is None or value == "":
        raise MappingRefused(f"{what} is missing")
    if isinstance(value, int | str):
        return str(value)
    raise MappingRefused(f"{what} is not an id: {value!r}")


def hmac_matches(secret: bytes, signed: bytes, given: str, *, encoding: str) -> bool:
    """Constant-time check of an HMAC-SHA256 given as `hex` or `base64` text."""
    mac = hmac.new(secret, signed, hashlib.sha256)
    if encoding == "hex":
        expected = mac.hexdigest()
        given = given.strip().lower()
    else:
        expected = base64.b64encode(mac.digest()).decode()
        given = given.strip()
    return hmac.compare_digest(expected.encode(), given.encode())


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by case-insensitive name, or `SignatureRefused` when it is absent."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted and value:
            return value
    raise SignatureRefused(f"missing {name} header")


def check_fresh(sent_at: datetime, now: datetime, tolerance_seconds: float, what: str) -> None:
    """Refuse a signature timestamp further than the tolerance from `now` (replays)."""
    skew = abs((now - sent_at).total_seconds())
    if skew > tolerance_seconds:
        raise SignatureRefused(
            f"{what} is {skew:.0f} s away from now (limit {tolerance_seconds:.0f} s)"
        )


def part(container: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The object under `key`, or an empty one when absent or not an object (optional parts)."""
    value = container.get(key)
    return value if isinstance(value, Mapping) else {}
