"""Builds the exchange and the market data source that the settings ask for."""

from __future__ import annotations

from collections.abc import Callable

from tradewire_trader.exchange import Exchange
from tradewire_trader.market_data import CsvReplay, MarketData, Pacer, SyntheticMarket, sample_csv
from tradewire_trader.markets import MarketRules
from tradewire_trader.orders import Balances
from tradewire_trader.outbox import Outbox, PublishedLookup, SeqPublisher
from tradewire_trader.paper_exchange import PaperExchange
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import build_strategy
from tradewire_trader.trader import Trader


def build_paper_exchange(settings: Settings) -> PaperExchange:
    balances = Balances(free={settings.quote: settings.starting_quote, settings.base: settings.starting_base})
    return PaperExchange(
        MarketRules.from_fixture(settings.symbol),
        balances,
        taker_fee=settings.taker_fee,
        maker_fee=settings.maker_fee,
        slippage=settings.slippage,
        fee_side=settings.fee_side,
    )


async def build_exchange(settings: Settings) -> Exchange:
    if settings.mode == "paper":
        return build_paper_exchange(settings)
    from tradewire_trader.live_exchange import LiveExchange

    return await LiveExchange.connect(settings)


def build_market(settings: Settings, exchange: Exchange | None = None) -> MarketData:
    pacer = Pacer(settings.speed, settings.candle_seconds)
    if settings.source == "synthetic":
        return SyntheticMarket(settings.seed, settings.start_price, settings.candle_seconds, pacer)
    if settings.source == "replay":
        return CsvReplay(settings.replay_file or sample_csv(), pacer)
    from tradewire_trader.live_market import LiveMarket

    return LiveMarket.from_settings(settings, exchange)


def build_paper_trader(
    settings: Settings,
    store: StateStore,
    publisher: SeqPublisher,
    lookup: PublishedLookup | None = None,
    observe_publish: Callable[[float], None] | None = None,
) -> Trader:
    """A paper trader without the bus around it: for backtests, benchmarks and tests."""
    return Trader(
        bot_id=settings.bot_id,
        mode="paper",
        exchange=build_paper_exchange(settings),
        strategy=build_strategy(settings),
        store=store,
        outbox=Outbox(store, publisher, lookup=lookup, observe_publish=observe_publish),
        price_every=settings.price_every,
        stats_every_s=settings.stats_every_s,
        outbox_limit=settings.outbox_limit,
    )
