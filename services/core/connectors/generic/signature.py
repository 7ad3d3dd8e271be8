"""The generic connector's signature schemes: HMAC of the raw body, or a shared token.

Constant-time comparisons only; a missing header is refused like a wrong one. No timestamp
check: a generic tool sends none we could rely on, and replayed bodies map to the same
event ids (deterministic), so a replay adds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from services.core.connectors.base import SignatureRefused
from services.core.connectors.generic.options import Signature


def _header(headers: Mapping[str, str], name: str) -> str | None:
    found = headers.get(name)
    if found is None:  # a plain dict from a test or a replay; HTTP headers ignore case
        lowered = name.lower()
        found = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return found


def expected_signature(scheme: Signature, body: bytes, secret: bytes) -> str:
    """What the header must hold (after the prefix) for `body` under `secret`."""
    if scheme.scheme == "token":
        return secret.decode()
    digest = hmac.new(secret, body, getattr(hashlib, scheme.algorithm)).digest()
    if scheme.encoding == "hex":
        return digest.hex()
    return base64.b64encode(digest).decode()


def verify_signature(
    scheme: Signature, headers: Mapping[str, str], body: bytes, secret: bytes
) -> None:
    """Raise `SignatureRefused` unless the configured header proves the body."""
    given = _header(headers, scheme.header)
    if given is None:
        raise SignatureRefused(f"missing {scheme.header} header")
    if scheme.prefix and not given.startswith(scheme.prefix):
        raise SignatureRefused(f"{scheme.header} does not start with {scheme.prefix!r}")
    given = given[len(scheme.prefix) :].strip()
    expected = expected_signature(scheme, body, secret)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignatureRefused(f"{scheme.header} does not match the body")
