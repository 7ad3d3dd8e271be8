"""Waiting in tests for something to become true: `eventually` (async) and `eventually_sync`.

No fixed sleep decides a test's outcome: a test waits for a condition it can observe (a row
committed, a log line written, a message on a topic), polled with a generous but bounded
deadline, so the test neither fails on a loaded machine nor hangs when the condition never
holds. On timeout the test fails with a message naming what never happened and the last
value seen (or the exception the check raised last).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import pytest

T = TypeVar("T")

# Generous: the suite runs on a loaded two-core machine; a condition that holds at all
# holds well within it.
DEFAULT_TIMEOUT = 60.0
DEFAULT_INTERVAL = 0.2
Message = str | Callable[[], str]


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    until: Callable[[T], object] = ...,
    timeout: float = ...,  # noqa: ASYNC109 (see below)
    interval: float = ...,
    message: Message = ...,
    ignoring: tuple[type[Exception], ...] = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    *,
    until: Callable[[T], object] = ...,
    timeout: float = ...,  # noqa: ASYNC109 (see below)
    interval: float = ...,
    message: Message = ...,
    ignoring: tuple[type[Exception], ...] = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    *,
    until: Callable[[Any], object] = bool,
    # Not `asyncio.timeout` around the call: that would cancel a check halfway (a query,
    # a consumer poll) instead of letting it finish and failing with what it saw.
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    interval: float = DEFAULT_INTERVAL,
    message: Message = "the condition never held",
    ignoring: tuple[type[Exception], ...] = (),
) -> object:
    """Call `check` (plain or async) until its value satisfies `until` (by default: until
    it is truthy); return that value.

    `check` runs at least once and then every `interval` seconds; an exception of a type in
    `ignoring` counts as "not yet", any other fails the test at once. After `timeout`
    seconds the test fails with `message` (a callable is called then, e.g. to add a log
    tail) and the last value or exception.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await value
        except ignoring as exc:
            value = exc
        else:
            if until(value):
                return value
        if time.monotonic() >= deadline:
            pytest.fail(_failure(message, timeout, value))
        await asyncio.sleep(interval)


def eventually_sync(
    check: Callable[[], T],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
    message: Message = "the condition never held",
) -> T:
    """`eventually` for plain (not async) tests: blocks, sleeping `interval` between calls."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(_failure(message, timeout, value))
        time.sleep(interval)


def _failure(message: Message, timeout: float, last: object) -> str:
    text = message() if callable(message) else message
    shown = repr(last)
    if len(shown) > 500:
        shown = shown[:500] + "..."
    return f"{text} (not within {timeout:g} s; last: {shown})"
