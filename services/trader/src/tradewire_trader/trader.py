"""The engine: candles in, exits and strategy decisions, orders, fills, accounting, every fact to the outbox.

A bot trades one symbol or several from one wallet: per-symbol state lives in a `Lane` (lanes.py);
candles of several symbols arrive round-robin, each tagged with its symbol (multi_market.py).

State that must survive a crash (balances, open orders, the book, open positions, the iteration reached,
the status) is written to the state store together with the events describing the change, before
anything else happens. After a restart the trader resumes at the saved iteration, replaying the
strategy's warm-up candles first so it decides exactly as it would have.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from tradewire_runtime.logs import trace
from tradewire_schemas import BotStatus, Event, Mode, StatusChanged
from tradewire_trader.accounting import Book
from tradewire_trader.candles import Candle
from tradewire_trader.exchange import Exchange
from tradewire_trader.exits import ExitWatch, drawdown_breached
from tradewire_trader.facts import OrderNote
from tradewire_trader.gc_tuning import long_lived_settled
from tradewire_trader.lanes import Lane, candles_before
from tradewire_trader.live_rails import report_exchange_trouble
from tradewire_trader.market_data import MarketData
from tradewire_trader.multi_market import MultiMarket
from tradewire_trader.outbox import Outbox
from tradewire_trader.positions import Position
from tradewire_trader.risk import Risk
from tradewire_trader.sizing import Sizing
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import Intent, Strategy
from tradewire_trader.strategies.feed import IndicatorFeed
from tradewire_trader.trader_orders import Orders
from tradewire_trader.trader_state import restore_state, state_snapshot

log = logging.getLogger("tradewire.trader")
TRADER = "trader"
YIELD_EVERY = 64  # candles between yields to the event loop when data comes as fast as possible
NOTHING = Decimal(0)  # held when flat: not a new Decimal per candle


class Trader(Orders):
    def __init__(
        self, *, bot_id: str, mode: Mode, exchange: Exchange, strategy: Strategy, store: StateStore, outbox: Outbox,
        price_every: int = 10, stats_every_s: float = 10.0, outbox_limit: int = 10_000,
        reconcile_every_s: float = 300.0, risk: Risk | None = None, sizing: Sizing | None = None,
        timeframe: str = "1m", publish_candles: bool = True, exchange_name: str = "paper",
    ) -> None:  # fmt: skip
        self.bot_id, self.mode, self.exchange, self.strategy = bot_id, mode, exchange, strategy
        markets = getattr(exchange, "markets", None) or {exchange.rules.symbol: exchange.rules}
        self.lanes = [Lane.of(rules, strategy, bot_id, mode) for rules in markets.values()]
        self.by_symbol = {lane.symbol: lane for lane in self.lanes}
        self.primary = self.lanes[0]
        self.symbol, self.base, self.quote = self.primary.symbol, self.primary.base, self.primary.rules.quote
        self.symbols = list(self.by_symbol)
        self.several = len(self.lanes) > 1
        self.store, self.outbox = store, outbox
        self.price_every, self.stats_every_s, self.outbox_limit = price_every, stats_every_s, outbox_limit
        self.risk = risk or strategy.risk
        self.sizing = sizing or Sizing("amount", Decimal("0.01"))
        self.timeframe, self.publish_candles = timeframe, publish_candles
        self.facts = self.primary.facts
        # What the state file belongs to: a file of another bot, market, strategy or exchange is refused.
        self.identity = {
            "bot_id": bot_id, "symbol": ",".join(self.symbols), "strategy": strategy.name or type(strategy).__name__,
            "exchange": exchange_name,
        }  # fmt: skip
        for lane in self.lanes:
            lane.book.position = exchange.balances.total(lane.base)
        self.account = Book()  # the bot's equity peak and drawdown (`mark`); trades are in the lanes' books
        self.positions: dict[str, Position] = {}
        self.notes: dict[str, OrderNote] = {}  # order id -> why it was placed, until it fills
        self._watches: dict[str, ExitWatch] = {}
        self.status: BotStatus = "stopped"
        self.iteration = 0  # candles traded, every symbol's together
        self.clean_exit = True
        self.rejected_orders = 0
        self.fills: Counter[str] = Counter()  # by side, since this process started
        self._refusals_in_a_row = 0
        self._stats_due = 0.0
        self._reconcile_due = 0.0
        self.reconcile_every_s = reconcile_every_s
        self.reported_read_error: str | None = None  # the exchange trouble last published, if any
        self.reconcile_difference = Decimal(0)  # base coins the exchange holds beyond the book (metric)
        # A live order is saved under its client id before it is sent (see live_exchange).
        exchange.checkpoint = self._save

    @property
    def book(self) -> Book:
        """The first symbol's book (a one-symbol bot's only one)."""
        return self.primary.book

    @property
    def first_price(self) -> Decimal | None:
        return self.primary.first_price

    # --- state ----------------------------------------------------------------------------------
    def restore(self) -> bool:
        """Load the saved state; True if there was one."""
        return restore_state(self, self.store.load())

    def snapshot(self, *, clean_exit: bool = False) -> dict[str, Any]:
        return state_snapshot(self, clean_exit=clean_exit)

    def _save(self) -> None:
        self.store.save(self.snapshot())

    def record(self, *events: Event, clean_exit: bool = False) -> None:
        """Persist the state with these durable events in one transaction, then queue them to publish."""
        ids = self.store.save(self.snapshot(clean_exit=clean_exit), events)
        for outbox_id, event in zip(ids, events, strict=True):
            self.outbox.add_durable(outbox_id, event)

    # --- status ---------------------------------------------------------------------------------
    def change_status(self, status: BotStatus, reason: str, actor: str = TRADER, *, clean_exit: bool = False) -> None:
        self.status = status
        change = StatusChanged(bot_id=self.bot_id, status=status, reason=reason, actor=actor)
        log.info(
            "status %s: %s (by %s)", status, reason, actor, extra=trace(bot_id=self.bot_id, event_id=change.event_id)
        )
        self.record(change, clean_exit=clean_exit)

    # --- the loop -------------------------------------------------------------------------------
    async def run(self, market: MarketData) -> None:
        """Trade every candle the market yields, until it ends or the task is cancelled."""
        histories = market.histories() if isinstance(market, MultiMarket) else {self.symbol: market.history()}
        for lane in self.lanes:
            lane.feed = IndicatorFeed(self.strategy, histories.get(lane.symbol))
        lanes, resume_at = len(self.lanes), self.iteration
        index = max(0, resume_at - self.primary.feed.window * lanes)
        for position, lane in enumerate(self.lanes):  # where each symbol's candles stand at `index`
            lane.count = candles_before(index, position, lanes)
        with long_lived_settled():
            if self.mode == "live":
                await self.reconcile()
            async for candle in market.candles(index):
                if index < resume_at:  # warm-up after a restart: the strategy sees it, nothing trades
                    lane = self.by_symbol[candle.symbol] if candle.symbol else self.primary
                    lane.feed.observe(candle)
                    lane.count += 1
                    index += 1
                    continue
                index += 1
                await self.on_candle(candle)
                if index % YIELD_EVERY == 0 or self.outbox.durable_backlog:
                    # Let the outbox drain and commands arrive. When candles come as fast as possible this
                    # is where price and stats updates conflate; trades make us yield at once.
                    await asyncio.sleep(0)

    async def on_candle(self, candle: Candle) -> None:
        lane = self.by_symbol[candle.symbol] if candle.symbol else self.primary
        self.iteration += 1
        lane.count += 1
        lane.last_price = candle.close
        if lane.first_price is None:
            lane.first_price = candle.close
            lane.book.cost_basis = lane.book.position * candle.close  # a starting position, valued at entry
            if lane.book.position > 0:
                self.positions[lane.symbol] = Position(
                    lane.symbol, lane.book.position, candle.close, candle.timestamp_ms, candle.close
                )
        self.book_fills(await self.exchange.settle(candle))
        for order in self.exchange.take_rejections():  # refused at fill time: said, counted, never silent
            note = self.notes.pop(order.id, None)
            intent = Intent(order.side, order.amount, "" if note is None else note.tag, order.price)
            self.refused(intent, order.amount, order.price or candle.open, f"refused at fill: {order.reason}", lane)
        if self.mode == "live":
            report_exchange_trouble(self)
            if time.monotonic() >= self._reconcile_due:
                await self.reconcile()
        if lane.book.position or self.several:  # flat: equity has not moved since a fill marked it
            self.account.mark(self.equity())
        bar = lane.feed.bar(lane.count - 1, candle)
        position = self.positions.get(lane.symbol)
        if position is not None and candle.close > position.peak and self.watch(position).raise_peak(candle.close):
            lane.stop_moved = True  # published with the next price update, not on every new high
        if self.status == "running" and not (self.exchange.open_orders and self.busy(lane)):
            await self.decide(lane, candle, bar, position)
        if self.publish_candles:
            plots = bar.values_at(bar.index, self.strategy.plots)  # read now: the feed's bar moves on
            facts = lane.facts
            self.outbox.add_latest(lambda: facts.candle(candle, self.timeframe, plots()), key=f"candle:{lane.symbol}")
        if lane.count % self.price_every == 0:
            last, quote = candle.close, self.exchange.bid_ask(candle.close, lane.symbol)
            price = lane.facts.price_later(last, quote, lane.count, lane.first_price)
            self.outbox.add_latest(price, key=f"price:{lane.symbol}")
            if lane.stop_moved:
                lane.stop_moved = False
                self.publish_positions()
        now = time.monotonic()
        if now >= self._stats_due:
            self.publish_stats()
            self.store.save(self.snapshot())  # progress, so a restart does not redo much
            self._stats_due = now + self.stats_every_s

    def busy(self, lane: Lane) -> bool:
        """An order of this symbol is open: no new decision until it fills or is canceled."""
        open_orders = self.exchange.open_orders
        if not open_orders or not self.several:
            return bool(open_orders)
        return any(getattr(order, "symbol", lane.symbol) == lane.symbol for order in open_orders.values())

    async def decide(self, lane: Lane, candle: Candle, bar: Any, position: Position | None) -> None:
        """Exit rules first, then the drawdown stop, then the strategy."""
        held = self.sellable(lane) if position is not None else NOTHING
        if position is not None and held > 0:
            fired = self.watch(position).fired(candle.close, candle.timestamp_ms)
            if fired is not None:
                await self.place(Intent("sell", tag=fired[1]), fired[0], lane)
                return
        if self.risk.max_drawdown_pct is not None and self.account.peak_equity > 0:
            drawdown = drawdown_breached(self.risk, self.account.peak_equity, self.equity())
            if drawdown is not None:
                await self.stop_for_drawdown(drawdown)
                return
        if not lane.feed.ready(lane.count - 1):
            return
        intent = self.strategy.decide(bar, position if held > 0 else None)
        if intent is None:
            return
        if intent.side == "buy":
            # Adding to the open position is the strategy's call; a NEW position counts against the limit.
            opening = lane.symbol not in self.positions
            if (opening and len(self.positions) >= self.risk.max_open_positions) or lane.count <= lane.cooldown_until:
                return
        if intent.side == "sell" and held <= 0:
            return
        await self.place(intent, "signal", lane)

    async def stop_for_drawdown(self, drawdown: Decimal) -> None:
        self.status = "stopped"
        for lane in self.lanes:
            if self.sellable(lane) > 0:
                await self.place(Intent("sell", tag=f"drawdown {drawdown:.2f}%"), "drawdown_stop", lane, force=True)
        self.change_status("stopped", f"max drawdown {self.risk.max_drawdown_pct}% reached ({drawdown:.2f}%)")

    async def reconcile(self) -> None:
        from tradewire_trader.reconcile import reconcile

        self._reconcile_due = time.monotonic() + self.reconcile_every_s
        await reconcile(self)
