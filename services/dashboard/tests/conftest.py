"""Fixtures for the dashboard's tests: Django configured once against a temporary SQLite file; the bus
on one Redis and again on the session's Redis Cluster.

Every test that talks to the bus runs twice: `settings` (and `bus`, `runtime` on it) takes
`any_redis_url`, and the module's real dashboard process (`dashboard`) runs on `redis_for_module`,
overridden here by `any_redis_for_module`. A test that does not talk to the bus (views, the admin,
logins) takes `database` and runs once; `@pytest.mark.one_redis("why")` keeps a bus test to one Redis.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings

from tradewire_bus import RedisBus
from tradewire_dashboard.config import Settings
from tradewire_dashboard.django_config import configure_django
from tradewire_dashboard.runtime import DashboardRuntime, dashboard_runtime
from tradewire_testing import LocalCluster, RedisServer

# Django is configured while this file is imported, before test modules import models. Django itself
# never talks to Redis (no channel layer, no Redis cache): each test's `settings` carry its own bus URL,
# and the one here is a port nothing listens on, so a test that reaches Redis without asking fails.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="tradewire-dashboard-tests-"))
SETTINGS = Settings(redis_url="redis://127.0.0.1:1/0", data_dir=_DATA_DIR)
if not django_settings.configured:
    configure_django(SETTINGS)
    # Tests create and log in many users; the production hasher is slow on purpose.
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def redis_for_module(any_redis_for_module: RedisServer | LocalCluster) -> RedisServer | LocalCluster:
    """The module's dashboard process runs on one Redis, then on the cluster."""
    return any_redis_for_module


@pytest.fixture(scope="session")
def django_ready(django_db_blocker: Any) -> Iterator[Settings]:
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("migrate", interactive=False, verbosity=0)
    yield SETTINGS
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _database_allowed(django_db_blocker: Any) -> Iterator[None]:
    """pytest-django blocks the database outside its own test databases; ours is a private temp file."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(django_ready: Settings) -> Settings:
    """The settings, with a database emptied of what the recorder writes; no bus."""
    from tradewire_dashboard.models import Bot, Market, QuarantinedTrade, RecorderCursor, Trade

    QuarantinedTrade.objects.all().delete()
    RecorderCursor.objects.all().delete()
    Trade.objects.all().delete()
    Market.objects.all().delete()
    Bot.objects.all().delete()
    return django_ready


@pytest.fixture
def settings(database: Settings, any_redis_url: str) -> Settings:
    """`database` with a bus on an empty Redis: a fresh one, then (second run) the session's cluster."""
    return database.model_copy(update={"redis_url": any_redis_url})


@pytest.fixture
async def bus(settings: Settings) -> AsyncIterator[RedisBus]:
    async with RedisBus.connect(settings.redis_url, settings.bus) as connected:
        yield connected


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[DashboardRuntime]:
    async with dashboard_runtime(settings) as running:
        await asyncio.wait_for(running.hub.ready.wait(), 5)
        yield running


def _user(username: str, *, can_control: bool) -> Any:
    from django.contrib.auth.models import Permission, User

    user, _ = User.objects.get_or_create(username=username)
    user.user_permissions.clear()
    if can_control:
        user.user_permissions.add(Permission.objects.get(codename="control_bot", content_type__app_label="dashboard"))
    return User.objects.get(pk=user.pk)  # fresh, so no permission cache from before


@pytest.fixture
async def controller(database: Settings) -> Any:
    return await database_sync_to_async(_user)("carol", can_control=True)


@pytest.fixture
async def viewer(database: Settings) -> Any:
    return await database_sync_to_async(_user)("victor", can_control=False)
