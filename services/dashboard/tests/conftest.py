"""Fixtures for the dashboard's tests: Django configured once against a temporary SQLite file, and a
private Redis for the bus and the channel layer. A module's real dashboard process (`dashboard`, on
`redis_for_module`) comes from tradewire_testing's pytest plugin."""

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
from tradewire_testing import RedisServer, free_port

# Django is configured while this file is imported, before test modules import models. Its settings
# (the channel layer's Redis among them) are fixed from then on, so the session's one Redis gets a
# port chosen now and is started by the `dashboard_redis` fixture.
_REDIS_PORT = free_port()
_DATA_DIR = Path(tempfile.mkdtemp(prefix="tradewire-dashboard-tests-"))
SETTINGS = Settings(redis_url=f"redis://127.0.0.1:{_REDIS_PORT}/0", data_dir=_DATA_DIR)
if not django_settings.configured:
    configure_django(SETTINGS)
    # Tests create and log in many users; the production hasher is slow on purpose.
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def dashboard_redis() -> Iterator[RedisServer]:
    with RedisServer(port=_REDIS_PORT) as server:
        yield server


@pytest.fixture(scope="session")
def django_ready(dashboard_redis: RedisServer, django_db_blocker: Any) -> Iterator[Settings]:
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
def settings(django_ready: Settings, dashboard_redis: RedisServer) -> Settings:
    """Settings on a Redis emptied for this test, with a database emptied of trades."""
    import redis

    from tradewire_dashboard.models import Bot, Market, RecorderCursor, Trade

    client = redis.Redis.from_url(dashboard_redis.url)
    client.flushall()
    client.close()
    RecorderCursor.objects.all().delete()
    Trade.objects.all().delete()
    Market.objects.all().delete()
    Bot.objects.all().delete()
    return django_ready


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
async def controller(settings: Settings) -> Any:
    return await database_sync_to_async(_user)("carol", can_control=True)


@pytest.fixture
async def viewer(settings: Settings) -> Any:
    return await database_sync_to_async(_user)("victor", can_control=False)
