"""pytest fixtures for tradewire: `redis_server` and `persistent_redis_server` start a private Redis;
`redis_cluster` a private Redis Cluster (three masters, three replicas) that a test may break;
`redis_for_module` and `dashboard` one Redis and one real dashboard process for a whole test module.
`any_redis_url` and `any_redis_for_module` run a test (or a module) twice: on one Redis, then on the
session's cluster; `@pytest.mark.one_redis("why")` keeps a test to the first.

In CI (CI=true) a missing redis-server binary fails the test; on a developer machine it skips.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from tradewire_testing.dashboard_process import DashboardProcess
from tradewire_testing.redis_cluster import LocalCluster
from tradewire_testing.redis_server import RedisServer, RedisServerMissing


def _missing(missing: RedisServerMissing) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{missing}; CI must install it (.ci/run does)")
    pytest.skip(str(missing))


Started = TypeVar("Started", RedisServer, LocalCluster)


def _started(start: Callable[[], Started]) -> Iterator[Started]:
    """Start a server (or cluster) for the fixture's lifetime; a missing redis-server skips or fails."""
    try:
        running = start()
    except RedisServerMissing as missing:
        _missing(missing)
        raise
    with running:
        yield running


def _server(persistence: bool) -> Iterator[RedisServer]:
    return _started(lambda: RedisServer(persistence=persistence))


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server without persistence on a free port, killed after the test."""
    yield from _server(persistence=False)


@pytest.fixture
def persistent_redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server with the append-only file on, so restart() keeps the data."""
    yield from _server(persistence=True)


@pytest.fixture(scope="module")
def redis_for_module() -> Iterator[RedisServer]:
    """One private Redis for all the tests of a module (a real dashboard process starts once per module).
    Overridden by a module (or conftest) that wants the cluster round too: `any_redis_for_module`."""
    yield from _server(persistence=False)


@pytest.fixture(scope="module")
def dashboard_env() -> dict[str, str]:
    """Extra environment for the module's `dashboard`; a test module overrides this fixture to change it."""
    return {}


@pytest.fixture(scope="module")
def dashboard(
    redis_for_module: RedisServer | LocalCluster,
    dashboard_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DashboardProcess]:
    """A real dashboard server process (and its recorder) on `redis_for_module`, one for a module's tests."""
    data_dir = tmp_path_factory.mktemp("dashboard")
    with DashboardProcess(redis_for_module.url, data_dir, extra_env=dashboard_env) as process:
        yield process


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
def redis_cluster() -> Iterator[LocalCluster]:
    """A fresh Redis Cluster (3 masters, 3 replicas, node timeout 1 s) on free ports, killed after the test."""
    yield from _started(LocalCluster)


@pytest.fixture(scope="session")
def shared_redis_cluster() -> Iterator[LocalCluster]:
    """One Redis Cluster for a whole test session, for tests that leave it whole (`redis_topology`)."""
    yield from _started(LocalCluster)


TOPOLOGIES = ["single", "cluster"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked `one_redis` skips its cluster run, whichever fixture made it (for a module-scoped
    fixture the skip must be decided per test here: the fixture sees only its module)."""
    for item in items:
        marker = item.get_closest_marker("one_redis")
        params = getattr(getattr(item, "callspec", None), "params", {})
        if marker is not None and "cluster" in (params.get("any_redis_url"), params.get("any_redis_for_module")):
            why = marker.args[0] if marker.args else "see the test"
            item.add_marker(pytest.mark.skip(reason=f"one Redis only: {why}"))


def _emptied_shared_cluster(request: pytest.FixtureRequest) -> LocalCluster:
    cluster: LocalCluster = request.getfixturevalue("shared_redis_cluster")
    cluster.flush()
    return cluster


@pytest.fixture(params=TOPOLOGIES)
def any_redis_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh one-Redis server, then (second run of the test) of the session's Redis Cluster,
    emptied: a test written once runs on both. A test that breaks its Redis (restarts, kills) uses
    `redis_server` or `redis_cluster` instead."""
    if request.param == "single":
        server: RedisServer = request.getfixturevalue("redis_server")
        return server.url
    return _emptied_shared_cluster(request).url


@pytest.fixture(scope="module", params=TOPOLOGIES)
def any_redis_for_module(request: pytest.FixtureRequest) -> Iterator[RedisServer | LocalCluster]:
    """`any_redis_url` for a whole module: a private Redis for all its tests, then (second round) the
    session's Redis Cluster, emptied once before the round. A module's `redis_for_module` takes it with
    a one-line override (the dashboard's tests do), so its `dashboard` process runs on both. Such a
    module must not also take `any_redis_url`: that empties the cluster under the module's dashboard."""
    if request.param == "single":
        yield from _server(persistence=False)
    else:
        yield _emptied_shared_cluster(request)
