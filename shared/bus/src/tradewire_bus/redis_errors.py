"""The exceptions that mean "Redis is not reachable right now" rather than "you asked wrongly"."""

from redis.exceptions import ClusterError, RedisClusterException, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

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
