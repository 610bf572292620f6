"""The runtimes' lifetime: they start the Hub (and the recorder's) and always stop them, even when stubborn."""

from __future__ import annotations

import asyncio
import contextlib

from tradewire_dashboard.config import Settings
from tradewire_dashboard.recorder_process import recorder_runtime
from tradewire_dashboard.runtime import dashboard_runtime, stop_tasks


async def test_a_task_that_swallows_a_cancellation_is_cancelled_again() -> None:
    async def stubborn() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # swallowed, as redis-py sometimes does in a read
            await asyncio.sleep(30)
        await asyncio.sleep(30)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await stop_tasks([task], grace_s=0.2)
    assert task.cancelled()


async def test_stopping_at_once_leaves_no_task_running(settings: Settings) -> None:
    for _ in range(10):  # the stop often lands while the Hub is still subscribing
        async with dashboard_runtime(settings):
            pass
        async with recorder_runtime(settings):
            pass
        left = {task.get_name() for task in asyncio.all_tasks()} & {"tradewire-hub", "tradewire-recorder"}
        assert not left
