"""Builds what the settings ask for: the strategy, the exchange, the market data and the trader itself.

`build_trader` is the one place a `Trader` is put together, for the service, the tests and the benches.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from tradewire_trader.exchange import Exchange
from tradewire_trader.facts import timeframe
from tradewire_trader.market_data import CsvReplay, MarketData, Pacer, SyntheticMarket, sample_csv
from tradewire_trader.markets import MarketRules
from tradewire_trader.multi_market import MultiMarket, symbol_candles
from tradewire_trader.orders import Balances
from tradewire_trader.outbox import Outbox, PublishedLookup, SeqPublisher
from tradewire_trader.paper_exchange import PaperExchange
from tradewire_trader.risk import Risk
from tradewire_trader.settings import RISK_FIELDS, Settings
from tradewire_trader.sizing import Sizing
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import Strategy, load_strategy_class, read_params
from tradewire_trader.synthetic import synthetic_series
from tradewire_trader.trader import Trader


def build_strategy(settings: Settings, environ: Mapping[str, str] | None = None) -> Strategy:
    """The strategy the settings name, with its parameters from flags and `TRADER_<NAME>` variables."""
    strategy_class = load_strategy_class(settings.strategy)
    environ = os.environ if environ is None else environ
    params = read_params(strategy_class, settings.strategy_params, environ, set(Settings.model_fields))
    return strategy_class(params)


def risk_of(settings: Settings, strategy: Strategy) -> Risk:
    """The strategy's declared risk, with every setting that was given put over it."""
    overrides = {name: getattr(settings, name) for name in RISK_FIELDS if getattr(settings, name) is not None}
    return Risk.model_validate({**strategy.risk.model_dump(), **overrides})


def sizing_of(settings: Settings) -> Sizing:
    if settings.stake_pct is not None:
        return Sizing("percent", settings.stake_pct)
    if settings.stake_quote is not None:
        return Sizing("stake", settings.stake_quote)
    return Sizing("amount", settings.order_size)


def build_paper_exchange(settings: Settings) -> PaperExchange:
    balances = Balances(free={settings.quote: settings.starting_quote, settings.base: settings.starting_base})
    return PaperExchange(
        [MarketRules.from_fixture(symbol) for symbol in settings.markets],
        balances,
        taker_fee=settings.taker_fee,
        maker_fee=settings.maker_fee,
        slippage=settings.slippage,
        fee_side=settings.fee_side,
        impact=settings.impact,
        max_slippage=settings.max_slippage,
        volume_share=settings.volume_share,
    )


async def build_exchange(settings: Settings) -> Exchange:
    if settings.mode == "paper":
        return build_paper_exchange(settings)
    from tradewire_trader.live_exchange import LiveExchange

    return await LiveExchange.connect(settings)


def build_market(settings: Settings, exchange: Exchange | None = None) -> MarketData:
    if len(settings.markets) > 1:
        return build_multi_market(settings)
    pacer = Pacer(settings.speed, settings.candle_seconds)
    if settings.source == "synthetic":
        return SyntheticMarket(synthetic_series(settings.seed, settings.start_price, settings.candle_seconds), pacer)
    if settings.source == "replay":
        return CsvReplay(settings.replay_file or sample_csv(), pacer)
    from tradewire_trader.live_market import LiveMarket

    return LiveMarket.from_settings(settings, exchange)


def replay_path(settings: Settings, symbol: str) -> Path:
    """The replay file of one of several symbols: `{pair}` in --replay-file stands for BTC_USDT."""
    path = str(settings.replay_file or "")
    if "{pair}" not in path:
        raise ValueError(
            f"{len(settings.markets)} symbols replay one file each: give --replay-file with {{pair}} in it, "
            "e.g. data/{pair}-1m.csv for data/BTC_USDT-1m.csv"
        )
    return Path(path.replace("{pair}", symbol.replace("/", "_")))


def build_multi_market(settings: Settings) -> MultiMarket:
    """One source per symbol (distinct seeded synthetic series, or one replay file each), merged."""
    if settings.source not in ("synthetic", "replay"):
        raise ValueError(f"several symbols trade on synthetic or replayed candles, not on {settings.source} data")
    sources: dict[str, MarketData] = {}
    for position, symbol in enumerate(settings.markets):
        pacer = Pacer(settings.speed, settings.candle_seconds)
        if settings.source == "replay":
            sources[symbol] = CsvReplay(replay_path(settings, symbol), pacer)
            continue
        series = symbol_candles(settings.seed, symbol, position, settings.start_price, settings.candle_seconds)
        sources[symbol] = SyntheticMarket(series, pacer)
    return MultiMarket(sources)


def build_trader(
    settings: Settings, exchange: Exchange, store: StateStore, outbox: Outbox, strategy: Strategy | None = None
) -> Trader:
    strategy = strategy or build_strategy(settings)
    return Trader(
        bot_id=settings.bot_id,
        mode=settings.mode,
        exchange=exchange,
        strategy=strategy,
        store=store,
        outbox=outbox,
        price_every=settings.price_every,
        stats_every_s=settings.stats_every_s,
        outbox_limit=settings.outbox_limit,
        reconcile_every_s=settings.reconcile_every_s,
        risk=risk_of(settings, strategy),
        sizing=sizing_of(settings),
        timeframe=timeframe(settings.candle_seconds),
        # Candles are for charts, at a pace a person watches; a replay as fast as possible skips them.
        publish_candles=settings.speed > 0 or settings.source == "live",
        exchange_name="paper" if settings.mode == "paper" else f"{settings.exchange} (live)",
    )


def build_paper_trader(
    settings: Settings,
    store: StateStore,
    publisher: SeqPublisher,
    lookup: PublishedLookup | None = None,
    observe_publish: Callable[[float], None] | None = None,
    strategy: Strategy | None = None,
) -> Trader:
    """A paper trader without the bus around it: for backtests, benchmarks and tests."""
    outbox = Outbox(store, publisher, lookup=lookup, observe_publish=observe_publish)
    return build_trader(
        settings.model_copy(update={"mode": "paper"}), build_paper_exchange(settings), store, outbox, strategy
    )
