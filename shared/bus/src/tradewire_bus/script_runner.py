"""Run one Lua script with the least client overhead redis-py allows.

redis-py's generic command path (per-argument encoding, retry wrapper, observability hooks) costs
tens of microseconds for the publish script's ~17 arguments: most of a publish's latency budget
(docs/performance of the bus in bench/bus.py). Here the command bytes are packed directly and sent on
a pooled redis-py connection. A stale connection (Redis restarted) is retried once on a fresh one;
a server that forgot the script (restarted, or SCRIPT FLUSH) gets it loaded again.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tradewire_bus.reads import raise_if_cancelling
from tradewire_bus.redis_errors import CONNECTION_ERRORS


class ReplyLost(ConnectionError):
    """The command was sent but its answer never came: it may or may not have run."""


def pack(*parts: bytes) -> bytes:
    """One RESP array of bulk strings: the wire form of any Redis command."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


class ScriptRunner:
    def __init__(self, redis: Redis, script: str) -> None:
        self._redis = redis
        self._pool = redis.connection_pool
        self._script = script
        self._sha = hashlib.sha1(script.encode()).hexdigest().encode()

    async def __call__(self, keys: list[bytes], args: list[bytes]) -> Any:
        """Run the script once. A failure before the command left us (no connection, a stale one) is
        retried; a failure while waiting for the answer is not, since the script may have run: the
        caller gets `ReplyLost` and decides."""
        packed = pack(b"EVALSHA", self._sha, b"%d" % len(keys), *keys, *args)
        for attempt in (1, 2, 3):
            connection = await self._pool.get_connection()
            try:
                try:
                    await connection.send_packed_command(packed, check_health=False)
                except CONNECTION_ERRORS:
                    await connection.disconnect()
                    if attempt == 3:
                        raise
                    continue
                try:
                    reply = await connection.read_response()
                    raise_if_cancelling()
                    return reply
                except NoScriptError:
                    if attempt == 3:
                        raise
                except CONNECTION_ERRORS as error:
                    await connection.disconnect()
                    raise ReplyLost(str(error)) from error
            finally:
                await self._pool.release(connection)
            await self._redis.script_load(self._script)
        raise AssertionError("unreachable")


class ClusterScriptRunner:
    """The same on a Redis Cluster, through redis-py's cluster client (it follows MOVED and ASK and
    waits out TRYAGAIN during a slot move), sent to the node that owns the first key's slot with no
    retry of its own: a connection lost after sending may have run the script, so the caller gets
    `ReplyLost` and looks before sending again (after a failover, on the promoted replica).

    At most `limit` scripts run at once: the cluster client's pool per node fails a command at once
    (MaxConnectionsError) when it has no free connection, where one Redis's blocking pool waits, so a
    burst of publishes waits here instead."""

    def __init__(self, cluster: RedisCluster, script: str, limit: int) -> None:
        self._cluster = cluster
        self._script = script
        self._sha = hashlib.sha1(script.encode()).hexdigest().encode()
        self._slots = asyncio.Semaphore(limit)

    async def __call__(self, keys: list[bytes], args: list[bytes]) -> Any:
        async with self._slots:
            return await self._run(keys, args)

    async def _run(self, keys: list[bytes], args: list[bytes]) -> Any:
        for attempt in (1, 2, 3):
            await self._cluster.initialize()  # a no-op unless a lost connection asked for a fresh slot map
            node = self._cluster.get_node_from_key(keys[0].decode())
            try:
                reply = await self._cluster.execute_command(
                    "EVALSHA", self._sha, len(keys), *keys, *args, target_nodes=node
                )
                raise_if_cancelling()
                return reply
            except NoScriptError:
                # Scripts are not replicated to a replica's cache: a promoted one needs it loaded.
                if attempt == 3:
                    raise
                await self._cluster.execute_command("SCRIPT", "LOAD", self._script, target_nodes=node)
            except (RedisConnectionError, RedisTimeoutError, OSError) as error:
                raise ReplyLost(str(error)) from error
        raise AssertionError("unreachable")
