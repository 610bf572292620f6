"""The exceptions that mean "Redis is not reachable right now" rather than "you asked wrongly"."""

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)

# Worth waiting out as well: Redis answers, but refuses (a key broken by hand, out of memory, loading).
UNAVAILABLE_OR_REFUSING: tuple[type[BaseException], ...] = (*CONNECTION_ERRORS, ResponseError)
