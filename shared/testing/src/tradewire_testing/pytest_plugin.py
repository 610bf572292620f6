"""pytest fixtures for tradewire: `redis_server` and `persistent_redis_server` start a private Redis;
`redis_cluster` a private Redis Cluster (three masters, three replicas) that a test may break.

In CI (CI=true) a missing redis-server binary fails the test; on a developer machine it skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tradewire_testing.redis_cluster import LocalCluster
from tradewire_testing.redis_server import RedisServer, RedisServerMissing


def _missing(missing: RedisServerMissing) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{missing}; CI must install it (.ci/run does)")
    pytest.skip(str(missing))


def _server(persistence: bool) -> Iterator[RedisServer]:
    try:
        server = RedisServer(persistence=persistence)
    except RedisServerMissing as missing:
        _missing(missing)
        raise
    with server:
        yield server


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server without persistence on a free port, killed after the test."""
    yield from _server(persistence=False)


@pytest.fixture
def persistent_redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server with the append-only file on, so restart() keeps the data."""
    yield from _server(persistence=True)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
def redis_cluster() -> Iterator[LocalCluster]:
    """A fresh Redis Cluster (3 masters, 3 replicas, node timeout 1 s) on free ports, killed after the test."""
    try:
        cluster = LocalCluster()
    except RedisServerMissing as missing:
        _missing(missing)
        raise
    with cluster:
        yield cluster
