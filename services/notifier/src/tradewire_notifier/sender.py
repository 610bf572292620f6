"""One sender per destination: drains its outbox at its own pace, batching, limiting and retrying.

A message waits `batch_window_s` for company; when `batch_from` or more are due together (a burst of
trades, a backlog after an outage or quiet hours) they go out as one summary. Sends are limited by a
token bucket; a refused or failed send is retried with exponential backoff and jitter (or when the
destination's own Retry-After says), and dead-lettered when retrying cannot help or has taken too long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable

from tradewire_notifier.destinations.base import DeliveryFailed, Outlet
from tradewire_notifier.messages import summary
from tradewire_notifier.metrics import NotifierMetrics
from tradewire_notifier.settings import Delivery
from tradewire_notifier.store import Pending, Store
from tradewire_runtime.rate_limit import RateLimited, RateLimiter

log = logging.getLogger("tradewire.notifier.sender")

MAX_BATCH = 1000  # notices in one summary; a larger backlog becomes several


class Sender:
    def __init__(
        self,
        name: str,
        outlet: Outlet,
        delivery: Delivery,
        store: Store,
        metrics: NotifierMetrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.outlet = outlet
        self._delivery = delivery
        self._store = store
        self._metrics = metrics
        self._clock = clock
        self._limiter = RateLimiter(delivery.per_minute, delivery.burst, clock=time.monotonic)
        self.wake = asyncio.Event()  # set by the reader when it queues something for us

    async def run(self) -> None:
        while True:
            self.wake.clear()
            now = self._clock()
            due = self._store.due(self.name, now, MAX_BATCH)
            if not due:
                await self._idle(now)
                continue
            window_left = max(p.due for p in due[:1]) + self._delivery.batch_window_s - now
            if window_left > 0 and len(due) < MAX_BATCH:
                # The batch window: a message that just became due waits a moment for the rest of a burst.
                await asyncio.sleep(window_left)
                continue
            try:
                self._limiter.acquire(self.name)
            except RateLimited as limited:
                # Whatever arrives meanwhile joins the next send (as a summary once there are enough).
                await asyncio.sleep(limited.retry_after_s)
                continue
            if len(due) >= self._delivery.batch_from:
                await self._attempt(due, "summary")
            else:
                await self._attempt(due[:1], "single")

    async def _idle(self, now: float) -> None:
        upcoming = self._store.next_due(self.name)
        timeout = None if upcoming is None else max(0.0, upcoming - now)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout)

    async def _attempt(self, batch: list[Pending], shape: str) -> None:
        # A send in flight when the notifier is stopped is let finish (each is bounded by timeout_s) and its
        # outcome recorded: cancelled half-way, the destination could have the message while the outbox
        # still says pending, and a graceful restart would send it again.
        delivery = asyncio.ensure_future(self._deliver(batch, shape))
        try:
            await asyncio.shield(delivery)
        except asyncio.CancelledError:
            await asyncio.wait({delivery}, timeout=self._delivery.timeout_s + 1)
            if not delivery.done():
                delivery.cancel()
            raise

    async def _deliver(self, batch: list[Pending], shape: str) -> None:
        ids = [p.event_id for p in batch]
        started = time.monotonic()
        try:
            if shape == "summary":
                notices = [p.notice for p in batch]
                await self.outlet.send_summary(notices, summary(notices))
            else:
                await self.outlet.send(batch[0].notice)
        except DeliveryFailed as failed:
            self._failed(batch, failed)
            return
        except Exception as error:  # an outlet bug must not stop this destination for good
            log.exception("%s: unexpected failure sending %d notice(s)", self.name, len(batch))
            self._failed(batch, DeliveryFailed(f"{type(error).__name__}: {error}"))
            return
        finally:
            self._metrics.send_seconds.labels(self.name).observe(time.monotonic() - started)
        self._store.sent(self.name, ids)
        self._metrics.sends.labels(self.name, shape, "ok").inc()
        self._metrics.delivered.labels(self.name).inc(len(batch))
        log.info("%s: sent %s of %d notice(s)", self.name, shape, len(batch), extra={"event_id": ids[0]})

    def _failed(self, batch: list[Pending], failed: DeliveryFailed) -> None:
        ids = [p.event_id for p in batch]
        attempts = max(p.attempts for p in batch) + 1
        shape = "summary" if len(batch) > 1 else "single"
        waited = self._clock() - min(p.created for p in batch)
        if failed.permanent or waited > self._delivery.give_up_after_s:
            self._store.dead(self.name, ids, str(failed))
            self._metrics.sends.labels(self.name, shape, "dead").inc()
            self._metrics.dead_lettered.labels(self.name).inc(len(batch))
            log.error("%s: gave up on %d notice(s) after %d attempt(s): %s", self.name, len(batch), attempts, failed)
            return
        delay = failed.retry_after_s if failed.retry_after_s is not None else self.backoff(attempts)
        self._store.retry(self.name, ids, self._clock() + delay, str(failed))
        self._metrics.sends.labels(self.name, shape, "retry").inc()
        log.warning(
            "%s: send of %d notice(s) failed (attempt %d: %s); retrying in %.1f s",
            self.name,
            len(batch),
            attempts,
            failed,
            delay,
        )

    def backoff(self, attempts: int) -> float:
        """Doubling from `retry_min_s` up to `retry_max_s`; half of it random so retries spread out."""
        full = min(self._delivery.retry_max_s, self._delivery.retry_min_s * 2.0 ** (attempts - 1))
        return full / 2 + random.uniform(0, full / 2)
