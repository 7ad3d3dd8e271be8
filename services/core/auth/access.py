"""API keys: tokens, how they are stored, roles and what each role may do.

Why hashed with a per-key salt and a fast hash: a token carries 256 random bits, so no
password-style slow hash is needed, but a leaked `api_keys` table must not hand out working
keys. A token starts with its public `key_id` (`sw_` and 12 characters), which is how its
row is found; only the salted HMAC-SHA256 of the whole token is stored and compared in
constant time. docs/security.md describes roles and scopes for operators.

Why publishers are scoped: a publisher key belongs to one client's connector, and an event it
posts lands in that client's figures; without a scope any connector could write into any
client's agreements. `publish_refusal` is the one rule ingest applies per event.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

TOKEN_PREFIX = "sw_"
KEY_ID_LENGTH = len(TOKEN_PREFIX) + 12
TOKEN_BYTES = 32
_HASH_SCHEME = "hmac-sha256"


class Role(StrEnum):
    ADMIN = "admin"  # manages agreements, reads everything, may also publish events
    PUBLISHER = "publisher"  # posts events to ingest, nothing else
    VIEWER = "viewer"  # reads the agreements of one client


class Permission(StrEnum):
    READ = "read"  # GET on the API
    MANAGE = "manage"  # PUT, PATCH, DELETE, POST on the API
    PUBLISH = "publish"  # POST /v1/events on ingest


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.PUBLISHER: frozenset({Permission.PUBLISH}),
    Role.VIEWER: frozenset({Permission.READ}),
}


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as stored: never the token, only its salted hash."""

    key_id: str
    hash: str
    role: Role
    client: str | None  # the one client a viewer sees or a publisher writes for; None: admin
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    # A publisher only: the agreements (of its client) it may write, None meaning all of them,
    # and the connector its events must name as `source`, None meaning any source.
    agreements: frozenset[str] | None = None
    connector: str | None = None
    agent_detail: bool = False  # granted by an admin: may read per-agent breakdowns


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's id and role, and the client it is limited to (or None)."""

    key_id: str
    role: Role
    client: str | None = None
    agreements: frozenset[str] | None = None
    connector: str | None = None
    agent_detail: bool = False

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def sees(self, client: str) -> bool:
        """Whether agreements of `client` are in this caller's scope."""
        return self.client is None or self.client == client

    def sees_agents(self) -> bool:
        """Whether per-agent figures (personal data) may be shown: admins and granted keys."""
        return self.role is Role.ADMIN or self.agent_detail


def check_scope(
    role: Role,
    client: str | None,
    agreements: frozenset[str] | None = None,
    connector: str | None = None,
) -> None:
    """Raise ValueError unless the scope fits the role.

    Viewers and publishers need a client; admins have none. Only publishers can be narrowed
    further, to agreements (a non-empty set) and to a connector.
    """
    if role is Role.ADMIN and client is not None:
        raise ValueError("an admin key sees every client; give no client")
    if role is not Role.ADMIN and not client:
        raise ValueError(f"a {role} key needs a client")
    if role is not Role.PUBLISHER and (agreements is not None or connector is not None):
        raise ValueError("only a publisher key can be limited to agreements or a connector")
    if agreements is not None and (not agreements or not all(agreements)):
        raise ValueError("give at least one agreement id, or none for all of the client's")
    if connector is not None and not connector:
        raise ValueError("the connector name must not be empty")


def publish_refusal(
    principal: Principal, agreement_id: str, owner: str | None, source: str | None
) -> str | None:
    """Why `principal` may not publish an event of `agreement_id`, or None when it may.

    `owner` is the agreement's client (None: no such agreement). A key without a client is
    an admin or auth is off: not limited. A stored publisher key without a client (made
    before keys were scoped) may publish nothing: the safe reading of a missing scope.
    """
    refusal = agreement_refusal(principal, agreement_id, owner)
    if refusal is None and principal.connector is not None and source != principal.connector:
        return f"this key publishes only events with source {principal.connector!r}"
    return refusal


def agreement_refusal(principal: Principal, agreement_id: str, owner: str | None) -> str | None:
    """Why `principal` may not write for `agreement_id` at all (whatever the event's source),
    or None when it may: `publish_refusal` without the connector check."""
    if principal.role is Role.ADMIN:
        return None
    if principal.client is None:
        return "this key has no client scope; create a publisher key with --client"
    if owner != principal.client:
        # The same words for another client's agreement and a missing one: a key must not
        # learn which agreement ids exist elsewhere.
        return f"agreement {agreement_id!r} is not one of client {principal.client!r}"
    if principal.agreements is not None and agreement_id not in principal.agreements:
        return f"this key may not publish for agreement {agreement_id!r}"
    return None


def new_token() -> str:
    """A fresh random token: `sw_` and 43 URL-safe characters (32 bytes)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def key_id_of(token: str) -> str | None:
    """The public id at the start of `token`, or None when it is no slawatch token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) < KEY_ID_LENGTH + 16:
        return None
    return token[:KEY_ID_LENGTH]


def _digest(salt: bytes, token: str) -> str:
    return hmac.new(salt, token.encode(), hashlib.sha256).hexdigest()


def hash_token(token: str, salt: bytes | None = None) -> str:
    """`hmac-sha256$<salt hex>$<digest hex>`; a new random salt unless one is given."""
    salt = secrets.token_bytes(16) if salt is None else salt
    return f"{_HASH_SCHEME}${salt.hex()}${_digest(salt, token)}"


def verify_token(token: str, stored_hash: str) -> bool:
    """Whether `token` is the one `stored_hash` was made from (constant-time compare)."""
    scheme, _, rest = stored_hash.partition("$")
    salt_hex, _, digest = rest.partition("$")
    if scheme != _HASH_SCHEME or not digest:
        return False
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(_digest(salt, token), digest)


def issue_key(
    role: Role,
    client: str | None,
    name: str,
    now: datetime,
    *,
    agreements: frozenset[str] | None = None,
    connector: str | None = None,
) -> tuple[str, ApiKeyRecord]:
    """A new token and the record to store for it; the token is shown once, never stored."""
    check_scope(role, client, agreements, connector)
    token = new_token()
    key_id = key_id_of(token)
    assert key_id is not None
    record = ApiKeyRecord(
        key_id, hash_token(token), role, client, name, now, None, agreements, connector
    )
    return token, record


def principal_of(token: str, record: ApiKeyRecord | None) -> Principal | None:
    """The caller `token` identifies given its stored record; None if unknown, wrong or revoked."""
    if record is None or record.revoked_at is not None or not verify_token(token, record.hash):
        return None
    return Principal(
        record.key_id,
        record.role,
        record.client,
        record.agreements,
        record.connector,
        record.agent_detail,
    )
