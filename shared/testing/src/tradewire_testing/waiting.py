"""Wait on a condition with a deadline instead of sleeping a guessed amount of time."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = ..., interval: float = ..., what: str = ...
) -> T: ...


@overload
async def eventually(check: Callable[[], T], *, timeout: float = ..., interval: float = ..., what: str = ...) -> T: ...


async def eventually(check: Callable[[], Any], *, timeout: float = 5.0, interval: float = 0.01, what: str = "") -> Any:
    """Return the first truthy result of `check()`, or fail once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        result = check()
        last = await result if isinstance(result, Awaitable) else result
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {what or check!r} (last result: {last!r})")
        await asyncio.sleep(interval)


def eventually_sync(check: Callable[[], T], *, timeout: float = 5.0, interval: float = 0.01, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {what or check!r} (last result: {last!r})")
        time.sleep(interval)


def answers_ok(url: str) -> bool:
    """True once `url` answers 200 (a service's /readyz, say); False while nothing listens or it answers
    otherwise. For `eventually_sync(lambda: answers_ok(url), ...)`."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:  # refused, reset, timed out, or an HTTP error status (urllib's errors are OSErrors)
        return False
