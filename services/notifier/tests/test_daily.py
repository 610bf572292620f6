from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

from tradewire_bus import RedisBus
from tradewire_notifier.daily import next_run
from tradewire_notifier.metrics import NotifierMetrics
from tradewire_notifier.service import Notifier
from tradewire_notifier.settings import Settings
from tradewire_notifier.store import Store
from tradewire_schemas import StatsUpdated
from tradewire_testing import eventually
from tradewire_testing.notifier_servers import WebhookReceiver


def stats(trades: int, wins: int, profit: str) -> StatsUpdated:
    return StatsUpdated(
        bot_id="demo",
        trades=trades,
        wins=wins,
        losses=trades // 2 - wins if trades // 2 > wins else 0,
        win_rate=Decimal(60),
        realized_profit=Decimal(profit),
        unrealized_profit=Decimal("-1.5"),
        equity=Decimal("10050"),
        max_drawdown=Decimal("1.25"),
        fees_paid=Decimal(2),
        quote_currency="USDT",
    )


def test_the_next_run_is_today_if_still_ahead_else_tomorrow_in_the_chosen_zone() -> None:
    now = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)  # 19:30 in Berlin
    assert next_run(time(20), "Europe/Berlin", now) == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert next_run(time(19), "Europe/Berlin", now) == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


@pytest.mark.redis
async def test_each_bots_day_is_summed_up_once_from_the_previous_summary(
    redis_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    destination = receiver.destination(batch_window_s=0)
    settings = Settings(
        redis_url=redis_url,
        state_file=tmp_path / "n.sqlite3",
        destinations=[destination],  # type: ignore[list-item]
        dashboard_url="http://127.0.0.1:8001",
        daily_summary_at=time(20),
    )
    store = Store(settings.state_file)
    async with RedisBus.connect(redis_url) as bus:
        notifier = Notifier(settings, bus, store, NotifierMetrics())
        task = asyncio.create_task(notifier.run())
        try:
            await bus.publish(stats(trades=10, wins=3, profit="40"))
            assert await notifier.daily.queue_day("2026-12-01") == 1
            assert await notifier.daily.queue_day("2026-12-01") == 0  # computed again: not sent again
            await bus.publish(stats(trades=16, wins=5, profit="52.5"))
            assert await notifier.daily.queue_day("2026-12-02") == 1
            await eventually(lambda: len(receiver.accepted) == 2, what="two daily summaries")
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            store.close()
    first, second = (body["text"] for body in receiver.accepted)
    assert first.startswith("demo on 2026-12-01: 10 trades, realized +40.00 USDT")
    assert second.startswith("demo on 2026-12-02: 6 trades, realized +12.50 USDT (2 won")
    assert "equity 10,050.00 USDT" in second and receiver.accepted[1]["url"] == "http://127.0.0.1:8001/trades/?bot=demo"
