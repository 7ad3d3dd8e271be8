"""API keys without I/O: tokens, salted hashes, the permissions table, scopes, resolution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr, ValidationError

from services.core.auth.access import (
    KEY_ID_LENGTH,
    ApiKeyRecord,
    Permission,
    Principal,
    Role,
    hash_token,
    issue_key,
    key_id_of,
    new_token,
    principal_of,
    verify_token,
)
from services.core.auth.authenticator import Authenticator, KeyStoreUnavailable, Unauthenticated
from services.core.settings import SecuritySettings
from tests.auth import ADMIN, ADMIN_TOKEN, MemoryKeys

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_tokens_are_random_and_start_with_their_public_id() -> None:
    tokens = {new_token() for _ in range(100)}

    assert len(tokens) == 100
    for token in tokens:
        assert token.startswith("sw_")
        assert len(token) == 3 + 43  # 32 bytes, URL-safe base64 without padding
        assert key_id_of(token) == token[:KEY_ID_LENGTH]


@pytest.mark.parametrize("token", ["", "sw_", "sw_short", "Bearer sw_x", "xx_" + "a" * 43])
def test_strings_that_are_no_token_have_no_key_id(token: str) -> None:
    assert key_id_of(token) is None


def test_hashes_are_salted_per_key_and_verify_only_their_token() -> None:
    token = new_token()
    first, second = hash_token(token), hash_token(token)

    assert first != second  # a salt per key: equal tokens do not give equal hashes
    assert token not in first
    assert verify_token(token, first)
    assert verify_token(token, second)
    assert not verify_token(token + "x", first)
    assert not verify_token(new_token(), first)
    assert hash_token(token, b"salt") == hash_token(token, b"salt")


@pytest.mark.parametrize(
    "stored", ["", "plain", "md5$00$00", "hmac-sha256$zz$00", "hmac-sha256$00$", "hmac-sha256"]
)
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert not verify_token(new_token(), stored)


PERMISSIONS = [
    (Role.ADMIN, Permission.READ, True),
    (Role.ADMIN, Permission.MANAGE, True),
    (Role.ADMIN, Permission.PUBLISH, True),  # the demo's one admin key also feeds ingest
    (Role.PUBLISHER, Permission.READ, False),
    (Role.PUBLISHER, Permission.MANAGE, False),
    (Role.PUBLISHER, Permission.PUBLISH, True),
    (Role.VIEWER, Permission.READ, True),
    (Role.VIEWER, Permission.MANAGE, False),
    (Role.VIEWER, Permission.PUBLISH, False),
]


@pytest.mark.parametrize(("role", "permission", "allowed"), PERMISSIONS)
def test_permissions_table(role: Role, permission: Permission, allowed: bool) -> None:
    assert Principal("k", role, "acme" if role is Role.VIEWER else None).can(permission) is allowed


def test_the_table_covers_every_role_and_permission() -> None:
    assert {(r, p) for r, p, _ in PERMISSIONS} == {(r, p) for r in Role for p in Permission}


def test_a_viewer_sees_its_client_only_and_the_others_see_all() -> None:
    assert Principal("k", Role.VIEWER, "acme").sees("acme")
    assert not Principal("k", Role.VIEWER, "acme").sees("initech")
    assert Principal("k", Role.ADMIN).sees("initech")


@pytest.mark.parametrize(
    ("role", "client"),
    [(Role.VIEWER, None), (Role.VIEWER, ""), (Role.PUBLISHER, None), (Role.ADMIN, "acme")],
)
def test_viewers_and_publishers_need_a_client_and_admins_have_none(
    role: Role, client: str | None
) -> None:
    with pytest.raises(ValueError, match="client"):
        issue_key(role, client, "n", NOW)


@pytest.mark.parametrize(
    ("role", "agreements", "connector"),
    [
        (Role.VIEWER, frozenset({"a"}), None),
        (Role.VIEWER, None, "zendesk"),
        (Role.PUBLISHER, frozenset(), None),
        (Role.PUBLISHER, frozenset({""}), None),
        (Role.PUBLISHER, None, ""),
    ],
)
def test_only_publishers_narrow_to_agreements_or_a_connector(
    role: Role, agreements: frozenset[str] | None, connector: str | None
) -> None:
    with pytest.raises(ValueError, match=r"agreement|connector"):
        issue_key(role, "acme", "n", NOW, agreements=agreements, connector=connector)


def test_an_issued_key_resolves_until_revoked() -> None:
    token, record = issue_key(Role.VIEWER, "acme", "portal", NOW)

    assert record.key_id == key_id_of(token)
    assert principal_of(token, record) == Principal(record.key_id, Role.VIEWER, "acme")
    assert principal_of(token, None) is None
    assert principal_of(new_token(), record) is None
    assert principal_of(token, replace(record, revoked_at=NOW)) is None


async def test_authenticator_order_bootstrap_then_store() -> None:
    keys = MemoryKeys()
    viewer = keys.issue(Role.VIEWER, "acme")
    auth = Authenticator(ADMIN, keys.lookup)

    assert (await auth.principal(ADMIN_TOKEN)).role is Role.ADMIN
    assert await auth.principal(viewer) == Principal(viewer[:KEY_ID_LENGTH], Role.VIEWER, "acme")
    for bad in (None, "", "nonsense", new_token(), viewer + "x"):
        with pytest.raises(Unauthenticated):
            await auth.principal(bad)
    keys.revoke(viewer)
    with pytest.raises(Unauthenticated):
        await auth.principal(viewer)


async def test_a_failing_key_store_is_unavailable_not_unauthenticated() -> None:
    async def broken(key_id: str) -> ApiKeyRecord | None:
        raise OSError("database down")

    auth = Authenticator(ADMIN, broken)
    with pytest.raises(KeyStoreUnavailable):
        await auth.principal(new_token())
    assert (await auth.principal(ADMIN_TOKEN)).role is Role.ADMIN  # needs no lookup


async def test_disabled_auth_makes_everyone_admin() -> None:
    auth = Authenticator(SecuritySettings(enabled=False), MemoryKeys().lookup)
    assert (await auth.principal(None)).role is Role.ADMIN


@pytest.mark.parametrize("value", ["", "   "])
def test_a_blank_bootstrap_token_is_no_token(value: str) -> None:
    assert SecuritySettings(bootstrap_admin_token=SecretStr(value)).bootstrap_admin_token is None


def test_a_short_bootstrap_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least"):
        SecuritySettings(bootstrap_admin_token=SecretStr("admin"))
