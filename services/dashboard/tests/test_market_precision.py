"""Each market's precision as its trader published it (`markets_loaded`), kept by the recorder and used by
the history and the admin: prices to the market's tick, amounts to its step."""

from __future__ import annotations

from decimal import Decimal

from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client

from tradewire_bus import RedisBus
from tradewire_dashboard.config import Settings
from tradewire_dashboard.models import Market
from tradewire_dashboard.recorder_process import recorder_runtime
from tradewire_dashboard.storage import store
from tradewire_schemas import Envelope, MarketLimits, MarketsLoaded, MarketTraded
from tradewire_testing import eventually

from .test_consumer import BOT, status, trade
from .test_views import PASSWORD, _a_profitable_sell


def markets(tick: str, step: str = "0.00001", symbol: str = "BTC/USDT") -> MarketsLoaded:
    base, quote = symbol.split("/")
    market = MarketTraded(
        symbol=symbol,
        base=base,
        quote=quote,
        price_tick=Decimal(tick),
        amount_step=Decimal(step),
        limits=MarketLimits(min_amount=Decimal(step)),
    )
    return MarketsLoaded(bot_id=BOT, markets=[market])


def _ticks() -> dict[str, Decimal]:
    return {m.symbol: m.price_tick.normalize() for m in Market.objects.all()}


async def test_the_recorder_keeps_the_latest_precision_of_each_market(settings: Settings, bus: RedisBus) -> None:
    await bus.publish(status("running"))
    await bus.publish(markets("0.1"))  # before the recorder starts: from the bot's snapshot or stream
    await bus.publish(trade(1))
    async with recorder_runtime(settings):

        async def kept(expected: dict[str, Decimal]) -> bool:
            return await database_sync_to_async(_ticks)() == expected

        await eventually(lambda: kept({"BTC/USDT": Decimal("0.1")}), what="the market published before the start")
        await bus.publish(markets("0.01"))
        await eventually(lambda: kept({"BTC/USDT": Decimal("0.01")}), what="a newer precision replaces it")


def test_the_history_and_the_admin_write_a_market_at_its_tick_and_step(client: Client, database: Settings) -> None:
    User.objects.create_superuser("mia", password=PASSWORD)
    assert client.login(username="mia", password=PASSWORD)
    store([Envelope(epoch="e1", offset="1-0", event=markets("0.1")), _a_profitable_sell(1)])
    history = client.get("/trades/").content.decode()
    assert '<td class="num" data-field="price">40,800.9</td>' in history  # tick 0.1, not 2 decimals
    assert '<td class="num" data-field="amount">0.01</td>' in history  # step 0.00001, trailing zeros dropped
    listing = client.get("/admin/dashboard/trade/").content.decode()
    assert "40,800.9<" in listing and "0.01<" in listing
    # A market never published keeps the rules by quote currency.
    Market.objects.all().delete()
    assert '<td class="num" data-field="price">40,800.93</td>' in client.get("/trades/").content.decode()
