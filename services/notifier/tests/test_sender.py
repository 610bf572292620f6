from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from notifier_harness import a_notice

from tradewire_notifier.destinations.base import DeliveryFailed
from tradewire_notifier.messages import Notice
from tradewire_notifier.metrics import NotifierMetrics
from tradewire_notifier.sender import Sender
from tradewire_notifier.settings import Delivery
from tradewire_notifier.store import Store
from tradewire_testing import eventually


class FakeOutlet:
    """Records what it was asked to send; fails the next `failures` sends the way it is told to."""

    def __init__(self) -> None:
        self.singles: list[Notice] = []
        self.summaries: list[list[Notice]] = []
        self.failures: list[DeliveryFailed] = []

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def send(self, notice: Notice) -> None:
        self._maybe_fail()
        self.singles.append(notice)

    async def send_summary(self, notices: list[Notice], text: str) -> None:
        self._maybe_fail()
        assert text.startswith(f"{len(notices)} notifications")
        self.summaries.append(notices)

    async def aclose(self) -> None:
        return None


@asynccontextmanager
async def running(
    tmp_path: Path, **delivery: float
) -> AsyncIterator[tuple[Sender, FakeOutlet, Store, Callable[..., None]]]:
    store = Store(tmp_path / "n.sqlite3")
    outlet = FakeOutlet()
    sender = Sender(
        "dest", outlet, Delivery(**{"batch_window_s": 0.05, "retry_min_s": 0.05, **delivery}), store, NotifierMetrics()
    )

    def queue(*notices: Notice, due: float = 0.0) -> None:
        store.record({}, [("dest", n, due) for n in notices])
        sender.wake.set()

    task = asyncio.create_task(sender.run())
    try:
        yield sender, outlet, store, queue
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        store.close()


async def test_a_burst_of_200_trades_becomes_one_summary(tmp_path: Path) -> None:
    async with running(tmp_path) as (_, outlet, store, queue):
        queue(*(a_notice(profit=str(i)) for i in range(200)))
        await eventually(lambda: outlet.summaries, what="a summary")
        assert [len(s) for s in outlet.summaries] == [200] and outlet.singles == []
        assert store.counts() == {("dest", "sent"): 200}


async def test_a_lone_trade_goes_out_as_itself(tmp_path: Path) -> None:
    async with running(tmp_path) as (_, outlet, _store, queue):
        notice = a_notice()
        queue(notice)
        await eventually(lambda: outlet.singles, what="the single")
        assert outlet.singles == [notice] and outlet.summaries == []


async def test_past_the_rate_limit_what_waits_is_summed_up(tmp_path: Path) -> None:
    # One message at once, then one a second: three trades a moment apart are one message and one summary.
    async with running(tmp_path, burst=1, per_minute=60, batch_from=2, batch_window_s=0) as (_, outlet, _, queue):
        queue(a_notice())
        await eventually(lambda: outlet.singles, what="the first")
        queue(a_notice(), a_notice())
        await eventually(lambda: outlet.summaries, timeout=5, what="a summary of the other two")
        assert len(outlet.singles) == 1 and [len(s) for s in outlet.summaries] == [2]


async def test_a_message_due_later_waits_until_then(tmp_path: Path) -> None:
    # What quiet hours do: the message is queued at once with the time it may go out.
    async with running(tmp_path, batch_window_s=0) as (_, outlet, _store, queue):
        due = time.time() + 0.3
        queue(a_notice(), due=due)
        await eventually(lambda: outlet.singles, timeout=5, what="the message once due")
        assert time.time() >= due


async def test_a_failed_send_is_retried_until_it_goes_through(tmp_path: Path) -> None:
    async with running(tmp_path) as (_, outlet, store, queue):
        outlet.failures = [DeliveryFailed("HTTP 503"), DeliveryFailed("connection refused")]
        notice = a_notice()
        queue(notice)
        await eventually(lambda: outlet.singles, timeout=5, what="delivery after two failures")
        assert outlet.singles == [notice] and store.counts() == {("dest", "sent"): 1}


async def test_a_permanent_failure_is_dead_lettered_with_its_reason(tmp_path: Path) -> None:
    async with running(tmp_path) as (_, outlet, store, queue):
        outlet.failures = [DeliveryFailed("HTTP 404: gone", permanent=True)]
        notice = a_notice()
        queue(notice)
        await eventually(lambda: store.dead_letters(), what="a dead letter")
        assert store.dead_letters() == [("dest", notice.event_id, "HTTP 404: gone", 1)] and outlet.singles == []


async def test_what_cannot_be_sent_in_time_is_dead_lettered(tmp_path: Path) -> None:
    async with running(tmp_path, give_up_after_s=0.1) as (_, outlet, store, queue):
        outlet.failures = [DeliveryFailed("timeout")] * 100
        queue(a_notice())
        await eventually(lambda: store.dead_letters(), timeout=5, what="a dead letter")
        assert outlet.singles == []


async def test_a_send_in_flight_when_stopped_finishes_and_is_recorded_so_a_restart_skips_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.sqlite3")
    outlet = FakeOutlet()
    started, release = asyncio.Event(), asyncio.Event()
    original = outlet.send

    async def slow_send(notice: Notice) -> None:
        started.set()
        await release.wait()  # the destination is still answering when the stop comes
        await original(notice)

    outlet.send = slow_send  # type: ignore[method-assign]
    sender = Sender("dest", outlet, Delivery(batch_window_s=0), store, NotifierMetrics())
    store.record({}, [("dest", a_notice(), 0.0)])
    task = asyncio.create_task(sender.run())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(outlet.singles) == 1
    assert store.counts() == {("dest", "sent"): 1}, "delivered but still pending: a restart would send it again"


def test_backoff_doubles_up_to_its_maximum_with_jitter(tmp_path: Path) -> None:
    sender = Sender("d", FakeOutlet(), Delivery(retry_min_s=1, retry_max_s=8), Store(tmp_path / "s"), NotifierMetrics())
    for attempts, full in [(1, 1), (2, 2), (3, 4), (4, 8), (10, 8)]:
        assert full / 2 <= sender.backoff(attempts) <= full
