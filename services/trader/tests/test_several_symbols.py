"""One bot, several symbols, one wallet: each symbol trades with its own market rules, positions, fills and
facts; the state file holds them all and a restart continues exactly as an uninterrupted run."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal as D
from pathlib import Path

import ccxt
import pytest
from candle_list import CandleList
from pydantic import ValidationError

from tradewire_bus import InMemoryPublisher
from tradewire_schemas import CandleClosed, MarketsLoaded, PositionsChanged, PriceUpdated, StatsUpdated, TradeExecuted
from tradewire_trader.candles import Candle
from tradewire_trader.components import build_market, build_paper_trader
from tradewire_trader.markets import MarketRules
from tradewire_trader.multi_market import MultiMarket
from tradewire_trader.orders import Balances
from tradewire_trader.paper_exchange import PaperExchange
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.synthetic import synthetic_series
from tradewire_trader.trader import Trader

RunToEnd = Callable[[Trader, MultiMarket], Awaitable[None]]  # the conftest fixture

SYMBOLS = "BTC/USDT,ETH/USDT"
STRATEGY = {"strategy": "sma_crossover", "strategy_params": {"fast": "5", "slow": "20"}, "stake_quote": D(500)}


def settings_for(tmp_path: Path, name: str = "state", **overrides: object) -> Settings:
    values: dict[str, object] = {
        "state_file": tmp_path / f"{name}.sqlite3", "speed": 0, "redis_url": "redis://127.0.0.1:1/0",
        "symbols": SYMBOLS, **STRATEGY,
    }  # fmt: skip
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


async def first(candles: AsyncIterator[Candle], count: int) -> list[Candle]:
    taken: list[Candle] = []
    async for candle in candles:
        taken.append(candle)
        if len(taken) == count:
            break
    return taken


async def per_symbol_lists(settings: Settings, rounds: int) -> dict[str, list[Candle]]:
    """The bot's own synthetic candles per symbol, as finite lists."""
    merged = await first(build_market(settings).candles(), rounds * len(settings.markets))
    return {s: [c for c in merged if c.symbol == s] for s in settings.markets}


def market_of(lists: dict[str, list[Candle]], end: int | None = None) -> MultiMarket:
    return MultiMarket({s: CandleList(c, end) for s, c in lists.items()})


def test_the_paper_exchange_trades_any_listed_market_by_its_own_rules() -> None:
    rules = [MarketRules.from_fixture(s) for s in ("BTC/USDT", "DOGE/USDT")]
    paper = PaperExchange(
        rules, Balances(free={"USDT": D(1000)}), taker_fee=D("0.001"), maker_fee=D("0.001"), slippage=D(0)
    )
    paper.match(Candle(0, D("0.08"), D("0.081"), D("0.079"), D("0.08"), D(10**6), "DOGE/USDT"))
    order = paper.place("DOGE/USDT", "market", "buy", D("100.7"))
    assert order.amount == D(100), "DOGE's lot step is 1"
    with pytest.raises(ccxt.InvalidOrder, match="no BTC/USDT price yet"):
        paper.place("BTC/USDT", "market", "buy", D("0.001"))
    with pytest.raises(ccxt.BadSymbol, match="trades BTC/USDT, DOGE/USDT, not PEPE/USDT"):
        paper.place("PEPE/USDT", "market", "buy", D(1))
    assert paper.match(Candle(60_000, D("0.08"), D("0.08"), D("0.08"), D("0.08"), D(10**6), "BTC/USDT")) == []
    (fill,) = paper.match(Candle(60_000, D("0.08"), D("0.081"), D("0.079"), D("0.08"), D(10**6), "DOGE/USDT"))
    assert fill.symbol == "DOGE/USDT" and paper.balances.total("DOGE") == D(100)


def test_settings_take_a_comma_separated_list_and_refuse_what_cannot_share_a_wallet() -> None:
    assert Settings(symbols="BTC/USDT, ETH/USDT").markets == ["BTC/USDT", "ETH/USDT"]
    assert Settings(symbols="ETH/USDT,BTC/USDT").symbol == "ETH/USDT"
    assert Settings().markets == ["BTC/USDT"]
    with pytest.raises(ValidationError, match="share one quote currency"):
        Settings(symbols="BTC/USDT,ETH/BTC")
    with pytest.raises(ValidationError, match="names a market twice"):
        Settings(symbols="BTC/USDT,BTC/USDT")
    with pytest.raises(ValidationError, match="paper only"):
        Settings(symbols=SYMBOLS, mode="live", api_key="k", api_secret="s")


async def test_synthetic_candles_are_distinct_per_symbol_seeded_and_on_each_markets_tick(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, symbols="BTC/USDT,ETH/USDT,DOGE/USDT")
    lists = await per_symbol_lists(settings, 300)
    assert lists == await per_symbol_lists(settings, 300), "the same seed, the same candles"
    btc = [c.close for c in lists["BTC/USDT"]]
    alone = [c.close for c in itertools.islice(synthetic_series(settings.seed, settings.start_price, 60), 300)]
    assert btc == alone, "the first symbol's series is the one-symbol bot's"
    eth, doge = [c.close for c in lists["ETH/USDT"]], [c.close for c in lists["DOGE/USDT"]]
    assert 1500 < eth[0] < 3000 and D("0.05") < doge[0] < D("0.12")
    assert all(p == p.quantize(D("0.00001")) for p in doge) and len(set(doge)) > 30
    times = {s: [c.timestamp_ms for c in cs] for s, cs in lists.items()}
    assert times["BTC/USDT"] == times["ETH/USDT"] == times["DOGE/USDT"]


async def test_each_symbol_trades_with_its_own_positions_and_facts_from_one_wallet(
    tmp_path: Path, run_to_end: RunToEnd
) -> None:
    settings = settings_for(tmp_path)
    lists = await per_symbol_lists(settings, 1500)
    publisher = InMemoryPublisher()
    trader = build_paper_trader(settings, StateStore(settings.state_path), publisher)
    trader.status = "running"
    trader.publish_markets()
    await run_to_end(trader, market_of(lists))
    trader.publish_stats()
    await run_to_end(trader, MultiMarket({s: CandleList([]) for s in lists}))
    events = publisher.events()
    trades = [e for e in events if isinstance(e, TradeExecuted)]
    for symbol in settings.markets:
        mine = [t for t in trades if t.symbol == symbol]
        assert sum(t.side == "sell" for t in mine) >= 3, f"{symbol} traded"
        base = symbol.split("/")[0]
        assert all(t.position == t.balances.get(base, D(0)) for t in mine), "position is the symbol's own coin"
        bought = D(0)
        for trade in mine:  # each symbol's profit from its own fills alone
            if trade.side == "buy":
                bought += trade.cost + trade.fee
            else:
                assert trade.realized_profit == trade.cost - trade.fee - bought
                bought = D(0)
    stats = [e for e in events if isinstance(e, StatsUpdated)][-1]
    assert stats.trades == len(trades)
    assert stats.realized_profit == sum((t.realized_profit or D(0) for t in trades), D(0))
    assert stats.symbols is not None and [share.symbol for share in stats.symbols] == settings.markets
    for share in stats.symbols:  # each symbol's share, from its own trades
        mine = [t for t in trades if t.symbol == share.symbol]
        assert share.trades == len(mine) and share.position == mine[-1].position
        assert share.realized_profit == sum((t.realized_profit or D(0) for t in mine), D(0))
    assert sum(share.unrealized_profit for share in stats.symbols) == stats.unrealized_profit
    prices = {e.symbol for e in events if isinstance(e, PriceUpdated)}
    assert prices == set(settings.markets)
    held = {p.symbol for e in events if isinstance(e, PositionsChanged) for p in e.positions}
    assert held == set(settings.markets)
    (markets,) = [e for e in events if isinstance(e, MarketsLoaded)]
    assert [(m.symbol, m.price_tick, m.amount_step) for m in markets.markets] == [
        ("BTC/USDT", D("0.01"), D("0.00001")),
        ("ETH/USDT", D("0.01"), D("0.0001")),
    ]
    assert not any(isinstance(e, CandleClosed) for e in events), "a replay as fast as possible sends no candles"


async def test_a_restart_resumes_every_symbol_where_it_stopped(tmp_path: Path, run_to_end: RunToEnd) -> None:
    settings = settings_for(tmp_path, "whole")
    lists = await per_symbol_lists(settings, 1200)
    whole = InMemoryPublisher()
    trader = build_paper_trader(settings, StateStore(settings.state_path), whole)
    trader.status = "running"
    await run_to_end(trader, market_of(lists))

    parts, halves = InMemoryPublisher(), settings_for(tmp_path, "halves")
    first_half = build_paper_trader(halves, StateStore(halves.state_path), parts)
    first_half.status = "running"
    await run_to_end(first_half, market_of(lists, end=517))  # stops mid-way, positions and cooldowns open or not
    first_half.store.close()  # as a crash would: the state is what the last trade or progress save wrote
    second_half = build_paper_trader(halves, StateStore(halves.state_path), parts)
    assert second_half.restore() and 0 < second_half.iteration <= 2 * 517
    second_half.status = "running"
    await run_to_end(second_half, market_of(lists))

    def described(publisher: InMemoryPublisher) -> list[tuple[object, ...]]:
        trades = [e for e in publisher.events() if isinstance(e, TradeExecuted)]
        return [(t.symbol, t.side, t.price, t.amount, t.realized_profit, t.reason) for t in trades]

    assert len(described(whole)) > 10 and described(parts) == described(whole)
    assert second_half.book.trades == trader.book.trades
    assert second_half.by_symbol["ETH/USDT"].book.realized_profit == trader.by_symbol["ETH/USDT"].book.realized_profit


def test_a_state_file_of_other_symbols_is_refused_with_both_named(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    trader = build_paper_trader(settings, StateStore(settings.state_path), InMemoryPublisher())
    trader.store.save(trader.snapshot())
    trader.store.close()
    one = settings_for(tmp_path, symbols="BTC/USDT")
    other = build_paper_trader(one, StateStore(one.state_path), InMemoryPublisher())
    with pytest.raises(ValueError, match=r"belongs to .*symbol BTC/USDT,ETH/USDT.*not to .*symbol BTC/USDT,"):
        other.restore()
