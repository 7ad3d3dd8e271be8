"""Chatwoot webhook signatures: `sha256=` + hex HMAC-SHA256 of `"{timestamp}.{body}"`.

Chatwoot signs each delivery with the webhook's secret and sends `X-Chatwoot-Signature`,
`X-Chatwoot-Timestamp` (Unix seconds) and, when it has one, `X-Chatwoot-Delivery`. The
timestamp is signed, so a stale one is refused as a replay.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from services.ingest.connectors.base import SignatureRefused
from services.ingest.connectors.mapping_kit import check_fresh, header, hmac_matches

SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
DELIVERY_HEADER = "X-Chatwoot-Delivery"
TOLERANCE_SECONDS = 300.0


def verify_chatwoot(headers: Mapping[str, str], body: bytes, secret: bytes, now: datetime) -> None:
    """Raise `SignatureRefused` unless the request is signed by Chatwoot with `secret`, lately."""
    signature = header(headers, SIGNATURE_HEADER).strip()
    timestamp = header(headers, TIMESTAMP_HEADER).strip()
    if not secret:
        raise SignatureRefused("no signing secret configured")
    if not signature.startswith("sha256="):
        raise SignatureRefused(f"{SIGNATURE_HEADER} must start with sha256=")
    signed = timestamp.encode() + b"." + body
    if not hmac_matches(secret, signed, signature.removeprefix("sha256="), encoding="hex"):
        raise SignatureRefused("signature does not match")
    if not timestamp.isdigit():
        raise SignatureRefused(f"unreadable {TIMESTAMP_HEADER}")
    check_fresh(
        datetime.fromtimestamp(int(timestamp), UTC), now, TOLERANCE_SECONDS, TIMESTAMP_HEADER
    )


def delivery_id(headers: Mapping[str, str]) -> str | None:
    """Chatwoot's id of this delivery: the replay key (a second copy is acknowledged, no more)."""
    for key, value in headers.items():
        if key.lower() == DELIVERY_HEADER.lower() and value.strip():
            return value.strip()
    return None


def sign_chatwoot(secret: bytes, timestamp: str, body: bytes) -> str:
    """The header value Chatwoot would send (for tests and the docs' example)."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()
