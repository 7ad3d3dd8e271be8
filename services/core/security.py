"""API keys: tokens, how they are stored, roles and what each role may do.

Why hashed with a per-key salt and a fast hash: a token carries 256 random bits, so no
password-style slow hash is needed, but a leaked `api_keys` table must not hand out working
keys. A token starts with its public `key_id` (`sw_` and 12 characters), which is how its
row is found; only the salted HMAC-SHA256 of the whole token is stored and compared in
constant time. docs/security.md describes roles and scopes for operators.
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
    client: str | None  # the one client a viewer sees; None for the other roles
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    agent_detail: bool = False  # granted by an admin: may read per-agent breakdowns


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's id and role, and the client it is limited to (or None)."""

    key_id: str
    role: Role
    client: str | None = None
    agent_detail: bool = False

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def sees(self, client: str) -> bool:
        """Whether agreements of `client` are in this caller's scope."""
        return self.client is None or self.client == client

    def sees_agents(self) -> bool:
        """Whether per-agent figures (personal data) may be shown: admins and granted keys."""
        return self.role is Role.ADMIN or self.agent_detail


def check_scope(role: Role, client: str | None) -> None:
    """Raise ValueError unless a viewer has a client and no other role has one."""
    if role is Role.VIEWER and not client:
        raise ValueError("a viewer key needs a client")
    if role is not Role.VIEWER and client is not None:
        raise ValueError(f"a {role} key sees every client; give no client")


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


def issue_key(role: Role, client: str | None, name: str, now: datetime) -> tuple[str, ApiKeyRecord]:
    """A new token and the record to store for it; the token is shown once, never stored."""
    check_scope(role, client)
    token = new_token()
    key_id = key_id_of(token)
    assert key_id is not None
    return token, ApiKeyRecord(key_id, hash_token(token), role, client, name, now)


def principal_of(token: str, record: ApiKeyRecord | None) -> Principal | None:
    """The caller `token` identifies given its stored record; None if unknown, wrong or revoked."""
    if record is None or record.revoked_at is not None or not verify_token(token, record.hash):
        return None
    return Principal(record.key_id, record.role, record.client, record.agent_detail)
