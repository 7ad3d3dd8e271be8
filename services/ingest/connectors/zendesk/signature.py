"""Zendesk webhook signatures: base64 HMAC-SHA256 of `timestamp + body` under the signing secret.

Zendesk sends `X-Zendesk-Webhook-Signature` and `X-Zendesk-Webhook-Signature-Timestamp`
(ISO 8601). The timestamp is part of what is signed, so refusing stale timestamps stops a
captured request from being replayed later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from services.ingest.connectors.base import MappingRefused, SignatureRefused
from services.ingest.connectors.mapping_kit import check_fresh, header, hmac_matches, parse_instant

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
# Zendesk signs at sending time; five minutes covers its retries' own fresh signatures and
# clock skew, and nothing older is accepted.
TOLERANCE_SECONDS = 300.0


def verify_zendesk(headers: Mapping[str, str], body: bytes, secret: bytes, now: datetime) -> None:
    """Raise `SignatureRefused` unless the request is signed by Zendesk with `secret`, lately."""
    signature = header(headers, SIGNATURE_HEADER)
    timestamp = header(headers, TIMESTAMP_HEADER)
    if not secret:
        raise SignatureRefused("no signing secret configured")
    if not hmac_matches(secret, timestamp.encode() + body, signature, encoding="base64"):
        raise SignatureRefused("signature does not match")
    try:
        sent_at = parse_instant(int(timestamp) if timestamp.isdigit() else timestamp, "timestamp")
    except MappingRefused:
        raise SignatureRefused(f"unreadable {TIMESTAMP_HEADER}") from None
    check_fresh(sent_at, now, TOLERANCE_SECONDS, TIMESTAMP_HEADER)


def sign_zendesk(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature Zendesk would send (for tests and for the docs' curl example)."""
    mac = hmac.new(secret, timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()
