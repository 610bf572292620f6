"""The exceptions that mean "Redis is not reachable right now" rather than "you asked wrongly"."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from redis.exceptions import ClusterError, RedisClusterException, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tradewire_bus.errors import BusUnavailable

# On a cluster also: no node reachable or no master for a slot yet (RedisClusterException), the cluster
# down during a failover (ClusterDownError, a ClusterError), redirections that never settled.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    ClusterError,
    RedisClusterException,
)

# Worth waiting out as well: Redis answers, but refuses (a key broken by hand, out of memory, loading).
UNAVAILABLE_OR_REFUSING: tuple[type[BaseException], ...] = (*CONNECTION_ERRORS, ResponseError)


P = ParamSpec("P")
T = TypeVar("T")


def unavailable_as_bus_error(what: str) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Redis away, raised as the bus's own `BusUnavailable`: redis-py's exceptions never reach a service."""

    def decorate(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(method)
        async def reaching_redis(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await method(*args, **kwargs)
            except CONNECTION_ERRORS as error:
                raise BusUnavailable(f"cannot {what}: {error}") from error

        return reaching_redis

    return decorate
