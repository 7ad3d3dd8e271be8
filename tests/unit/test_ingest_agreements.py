"""Ingest's cache of agreements: known ones for a while, unknown ones asked again each time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from services.ingest.agreements import KnownAgreement, KnownAgreements

ACME = KnownAgreement("acme", datetime(2026, 1, 1, tzinfo=UTC))


async def test_known_agreements_are_cached_and_a_new_one_is_found_at_once() -> None:
    stored: dict[str, KnownAgreement] = {"acme": ACME}
    asked: list[set[str]] = []
    now = [0.0]

    async def lookup(ids: Collection[str]) -> dict[str, KnownAgreement]:
        asked.append(set(ids))
        return {a: stored[a] for a in ids if a in stored}

    known = KnownAgreements(lookup, ttl_seconds=30, clock=lambda: now[0])
    assert await known.find({"acme", "new"}) == {"acme": ACME}
    stored["new"] = ACME  # created a moment later: the miss was not cached
    assert await known.find({"acme", "new"}) == {"acme": ACME, "new": ACME}
    assert asked == [{"acme", "new"}, {"new"}]
    now[0] = 31.0  # the cached entries expire and are read again
    del stored["acme"]
    assert await known.find({"acme"}) == {}
