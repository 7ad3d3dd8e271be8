"""The suite's one polling helper: returns the first satisfying value, fails in bounded time
with what it last saw, and treats only the listed exceptions as "not yet"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.polling import eventually, eventually_sync


def counter(ready_at: int) -> tuple[list[int], Callable[[], int | None]]:
    calls: list[int] = []

    def check() -> int | None:
        calls.append(len(calls) + 1)
        return calls[-1] if calls[-1] >= ready_at else None

    return calls, check


async def test_returns_the_first_truthy_value_of_a_plain_or_async_check() -> None:
    calls, check = counter(3)
    assert await eventually(check, interval=0) == 3
    assert calls == [1, 2, 3]

    async def ready() -> str:
        return "yes"

    assert await eventually(ready) == "yes"


async def test_until_accepts_a_falsy_value_and_is_what_decides() -> None:
    values = iter([5, 3, 0, 7])
    assert await eventually(lambda: next(values), until=lambda v: v == 0, interval=0) == 0


async def test_fails_after_the_timeout_with_the_message_and_the_last_value() -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        await eventually(
            lambda: ["still", "empty"][1:0], timeout=0.05, interval=0.01, message=lambda: "no rows"
        )
    assert "no rows (not within 0.05 s; last: [])" in str(failed.value)


async def test_only_the_listed_exceptions_mean_not_yet() -> None:
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("not listening yet")
        return "up"

    assert await eventually(flaky, interval=0, ignoring=(ConnectionError,)) == "up"

    def broken() -> str:
        raise KeyError("a bug, not a wait")

    with pytest.raises(KeyError):
        await eventually(broken, ignoring=(ConnectionError,))

    def away() -> str:
        raise ConnectionError("refused")

    with pytest.raises(pytest.fail.Exception, match=r"last: ConnectionError\('refused'\)"):
        await eventually(away, timeout=0, ignoring=(ConnectionError,))


def test_the_sync_variant_behaves_the_same() -> None:
    calls, check = counter(2)
    assert eventually_sync(check, interval=0) == 2
    assert calls == [1, 2]
    with pytest.raises(pytest.fail.Exception, match="never"):
        eventually_sync(lambda: False, timeout=0.02, interval=0.01, message="never")
