"""From a request's token to a `Principal`: the logic the API and ingest share.

services/core/auth/http.py wraps this in the FastAPI dependency both services use, which
turns the exceptions into problem answers (401, 503). The key store is a function, so
services pass their database lookup and tests an in-memory one.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from services.core.auth.access import ApiKeyRecord, Principal, Role, key_id_of, principal_of
from services.core.settings import SecuritySettings

log = logging.getLogger(__name__)
KeyLookup = Callable[[str], Awaitable[ApiKeyRecord | None]]

BOOTSTRAP_KEY_ID = "bootstrap"
AUTH_DISABLED_KEY_ID = "auth-disabled"


class Unauthenticated(Exception):
    """No token, or one that is unknown, wrong or revoked (answer 401)."""


class KeyStoreUnavailable(Exception):
    """The key store could not be asked (answer 503: the caller may well be entitled)."""


class Authenticator:
    """Resolves tokens: the bootstrap admin token first, then the key store."""

    def __init__(self, settings: SecuritySettings, lookup: KeyLookup) -> None:
        self.settings = settings
        self.lookup = lookup

    async def principal(self, token: str | None) -> Principal:
        """The caller of `token`; raises `Unauthenticated` or `KeyStoreUnavailable`."""
        if not self.settings.enabled:
            return Principal(AUTH_DISABLED_KEY_ID, Role.ADMIN)
        if not token:
            raise Unauthenticated("an API key is required")
        bootstrap = self.settings.bootstrap_admin_token
        if bootstrap is not None and hmac.compare_digest(
            token.encode(), bootstrap.get_secret_value().encode()
        ):
            return Principal(BOOTSTRAP_KEY_ID, Role.ADMIN)
        key_id = key_id_of(token)
        if key_id is None:
            raise Unauthenticated("the API key is not valid")
        try:
            record = await self.lookup(key_id)
        except Exception as exc:
            log.exception("looking up API key %s failed", key_id)
            raise KeyStoreUnavailable("the API keys cannot be checked now; retry") from exc
        principal = principal_of(token, record)
        if principal is None:
            raise Unauthenticated("the API key is not valid")
        return principal
