"""The real trader, on a real LiveExchange (ccxt), against the real-format Binance stub; a clock the test moves."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path

from tradewire_bus import InMemoryPublisher
from tradewire_schemas import StatusChanged, TradeExecuted
from tradewire_testing.binance_stub import BinanceStub
from tradewire_trader.candles import Candle
from tradewire_trader.components import build_trader
from tradewire_trader.live_exchange import LiveExchange
from tradewire_trader.outbox import Outbox
from tradewire_trader.positions import Position
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import Bar, Intent, Strategy
from tradewire_trader.trader import Trader


class Clock:
    """Wall-clock seconds that move only when the test says (grace periods, backoff, Retry-After)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Scripted(Strategy):
    """A strategy that asks for the queued intents, one per candle it is asked on (None: nothing that time);
    "sell all" sells the whole position."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        self.intents: deque[Intent | str | None] = deque()

    def decide(self, bar: Bar, position: Position | None) -> Intent | None:
        if not self.intents:
            return None
        intent = self.intents.popleft()
        if intent is None:
            return None
        if intent == "sell all":
            return Intent("sell", None, "sell all")
        assert isinstance(intent, Intent)
        return intent


def candle(price: D | str) -> Candle:
    p = D(price)
    return Candle(1_700_000_000_000, p, p, p, p, D(1))


async def live_exchange(stub: BinanceStub, settings: Settings, clock: Clock) -> LiveExchange:
    exchange = await LiveExchange.connect(settings)
    exchange.clock = clock
    exchange.client.timeout = 1_000  # ms: a delayed stub answer becomes a client timeout quickly
    return exchange


@dataclass
class LiveRun:
    stub: BinanceStub
    exchange: LiveExchange
    trader: Trader
    store: StateStore
    strategy: Scripted
    clock: Clock

    @classmethod
    async def start(
        cls,
        stub: BinanceStub,
        settings: Settings,
        clock: Clock,
        strategy: Scripted | None = None,
        reconcile_every_s: float = 3600,
    ) -> LiveRun:
        exchange = await live_exchange(stub, settings, clock)
        store = StateStore(settings.state_path)
        strategy = strategy or Scripted()
        settings = settings.model_copy(update={"mode": "live", "reconcile_every_s": reconcile_every_s})
        trader = build_trader(settings, exchange, store, Outbox(store, InMemoryPublisher()), strategy)
        trader.restore()
        trader.status = "running"
        await trader.reconcile()
        return cls(stub, exchange, trader, store, strategy, clock)

    async def close(self) -> None:
        await self.exchange.close()
        self.store.close()

    async def candle(self, price: D | str | None = None) -> None:
        await self.trader.on_candle(candle(price or self.stub.account.prices["BTCUSDT"]))

    def trades(self) -> list[TradeExecuted]:
        return self.store.trades()

    def statuses(self) -> list[StatusChanged]:
        return [e for _, e in self.store.pending() if isinstance(e, StatusChanged)]

    def assert_book_matches_account(self) -> None:
        """The book's position and the exchange's BTC, and the trader's balances and the stub's, to the last decimal."""
        account = self.stub.account
        assert self.trader.book.position == account.total("BTC")
        for asset in ("BTC", "USDT", "BNB"):
            assert self.exchange.balances.total(asset) == account.total(asset), asset


def settings_for_live(tmp_path: Path, url: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "state_file": tmp_path / "state.sqlite3",
        "redis_url": "redis://127.0.0.1:1/0",
        "mode": "live",
        "api_key": "test-key",
        "api_secret": "test-secret",
        "api_url": url,
        "retry_attempts": 3,
        "retry_delay_s": 0.01,
        "unknown_grace_s": 60,
        "lookup_delay_s": 1,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]
