"""The engine: candles in, exits and strategy decisions, orders, fills, accounting, every fact to the outbox.

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
from dataclasses import replace
from decimal import Decimal
from typing import Any

import ccxt  # type: ignore[import-untyped]

from tradewire_runtime.logs import trace
from tradewire_schemas import BotStatus, Event, Mode, PriceUpdated, StatsUpdated, StatusChanged, TradeExecuted
from tradewire_trader.accounting import Book
from tradewire_trader.candles import Candle
from tradewire_trader.exchange import Exchange
from tradewire_trader.exits import ExitWatch, drawdown_breached
from tradewire_trader.facts import Facts, OrderNote
from tradewire_trader.gc_tuning import settle_long_lived
from tradewire_trader.live_rails import report_exchange_trouble
from tradewire_trader.market_data import MarketData
from tradewire_trader.orders import Fill
from tradewire_trader.outbox import Outbox
from tradewire_trader.positions import Position
from tradewire_trader.risk import Risk
from tradewire_trader.sizing import Sizing, entry_amount
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import Intent, Strategy
from tradewire_trader.strategies.feed import IndicatorFeed

log = logging.getLogger("tradewire.trader")
TRADER = "trader"
YIELD_EVERY = 64  # candles between yields to the event loop when data comes as fast as possible


def describe(identity: dict[str, str]) -> str:
    return ", ".join(f"{key} {identity.get(key)}" for key in ("bot_id", "symbol", "strategy", "exchange"))


class Trader:
    def __init__(
        self, *, bot_id: str, mode: Mode, exchange: Exchange, strategy: Strategy, store: StateStore, outbox: Outbox,
        price_every: int = 10, stats_every_s: float = 10.0, outbox_limit: int = 10_000,
        reconcile_every_s: float = 300.0, risk: Risk | None = None, sizing: Sizing | None = None,
        timeframe: str = "1m", publish_candles: bool = True, exchange_name: str = "paper",
    ) -> None:  # fmt: skip
        self.bot_id, self.mode, self.exchange, self.strategy = bot_id, mode, exchange, strategy
        self.symbol = exchange.rules.symbol
        self.base, self.quote = self.symbol.split("/")
        self.store, self.outbox = store, outbox
        self.price_every, self.stats_every_s, self.outbox_limit = price_every, stats_every_s, outbox_limit
        self.risk = risk or strategy.risk
        self.sizing = sizing or Sizing("amount", Decimal("0.01"))
        self.timeframe, self.publish_candles = timeframe, publish_candles
        self.facts = Facts(bot_id, mode, self.symbol, self.quote)
        # What the state file belongs to: a file of another bot, market, strategy or exchange is refused.
        self.identity = {
            "bot_id": bot_id, "symbol": self.symbol, "strategy": strategy.name or type(strategy).__name__,
            "exchange": exchange_name,
        }  # fmt: skip
        self.feed = IndicatorFeed(strategy)
        self.book = Book(position=exchange.balances.total(self.base))
        self.positions: dict[str, Position] = {}
        self.notes: dict[str, OrderNote] = {}  # order id -> why it was placed, until it fills
        self._watches: dict[str, ExitWatch] = {}
        self._stop_moved = False
        self.cooldown_until = 0  # no entry before this iteration (after a losing exit)
        self.status: BotStatus = "stopped"
        self.iteration = 0
        self.first_price: Decimal | None = None
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

    # --- state ----------------------------------------------------------------------------------
    def restore(self) -> bool:
        """Load the saved state; True if there was one."""
        saved = self.store.load()
        if saved is None:
            return False
        owner = saved.get("identity", self.identity)  # files from before identities are adopted
        if owner != self.identity:
            raise ValueError(
                f"the state file {self.store.path} belongs to {describe(owner)}, not to {describe(self.identity)}: "
                "give this bot its own --state-file (or move that one away)"
            )
        self.exchange.restore(saved["exchange"])
        self.book = Book.from_json(saved["book"])
        self.iteration = saved["iteration"]
        self.first_price = None if saved["first_price"] is None else Decimal(saved["first_price"])
        self.clean_exit = saved["clean_exit"]
        self.positions = {p["symbol"]: Position.from_json(p) for p in saved.get("positions", [])}
        self.notes = {k: OrderNote(*v) for k, v in saved.get("notes", {}).items()}
        self.cooldown_until = saved.get("cooldown_until", 0)
        return True

    def snapshot(self, *, clean_exit: bool = False) -> dict[str, Any]:
        return {
            "exchange": self.exchange.state(),
            "book": self.book.to_json(),
            "iteration": self.iteration,
            "first_price": None if self.first_price is None else str(self.first_price),
            "status": self.status,
            "clean_exit": clean_exit,
            "positions": [p.to_json() for p in self.positions.values()],
            "notes": {k: n.to_json() for k, n in self.notes.items()},
            "cooldown_until": self.cooldown_until,
            "identity": self.identity,
        }

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

    async def cancel_open_orders(self) -> int:
        canceled = 0
        for order_id in list(self.exchange.open_orders):
            try:
                await self.exchange.cancel_order(order_id, self.symbol)
                canceled += 1
            except ccxt.BaseError as error:
                log.warning("could not cancel order %s: %s: %s", order_id, type(error).__name__, error)
        self.book_fills(await self.exchange.follow_orders())  # live: what filled before the cancel
        if canceled:
            self.store.save(self.snapshot())
        return canceled

    # --- the loop -------------------------------------------------------------------------------
    async def run(self, market: MarketData) -> None:
        """Trade every candle the market yields, until it ends or the task is cancelled."""
        self.feed = IndicatorFeed(self.strategy, market.history())
        settle_long_lived()
        resume_at = self.iteration
        index = max(0, resume_at - self.feed.window)
        if self.mode == "live":
            await self.reconcile()
        async for candle in market.candles(index):
            if index < resume_at:  # warm-up after a restart: the strategy sees it, nothing trades
                self.feed.observe(candle)
                index += 1
                continue
            index += 1
            await self.on_candle(candle)
            if index % YIELD_EVERY == 0 or self.outbox.durable_backlog:
                # Let the outbox drain and commands arrive. When candles come as fast as possible this is
                # where price and stats updates conflate; trades make us yield at once.
                await asyncio.sleep(0)

    async def on_candle(self, candle: Candle) -> None:
        self.iteration += 1
        if self.first_price is None:
            self.first_price = candle.close
            self.book.cost_basis = self.book.position * candle.close  # a starting position, valued at entry
            if self.book.position > 0:
                self.positions[self.symbol] = Position(
                    self.symbol, self.book.position, candle.close, candle.timestamp_ms, candle.close
                )
        self.book_fills(await self.exchange.settle(candle))
        for order in self.exchange.take_rejections():  # refused at fill time: said, counted, never silent
            note = self.notes.pop(order.id, None)
            intent = Intent(order.side, order.amount, "" if note is None else note.tag, order.price)
            self.refused(intent, order.amount, order.price or candle.open, f"refused at fill: {order.reason}")
        if self.mode == "live":
            report_exchange_trouble(self)
            if time.monotonic() >= self._reconcile_due:
                await self.reconcile()
        if self.book.position:  # flat: equity cannot have moved since the last fill marked it
            self.book.mark(self.equity(candle.close))
        bar = self.feed.bar(self.iteration - 1, candle)
        position = self.positions.get(self.symbol)
        if position is not None and candle.close > position.peak and self.watch(position).raise_peak(candle.close):
            self._stop_moved = True  # published with the next price update, not on every new high
        if self.status == "running" and not self.exchange.open_orders:
            await self.decide(candle, bar, position)
        if self.publish_candles:
            plots = bar.values_at(bar.index, self.strategy.plots)  # read now: the feed's bar moves on
            self.outbox.add_latest(
                lambda: self.facts.candle(candle, self.timeframe, plots()), key=f"candle:{self.symbol}"
            )
        if self.iteration % self.price_every == 0:
            last, first = candle.close, self.first_price
            quote = self.exchange.bid_ask(last)
            self.outbox.add_latest(self.facts.price_later(last, quote, self.iteration, first), key="price_update")
            if self._stop_moved:
                self._stop_moved = False
                self.publish_positions()
        now = time.monotonic()
        if now >= self._stats_due:
            self.publish_stats()
            self.store.save(self.snapshot())  # progress, so a restart does not redo much
            self._stats_due = now + self.stats_every_s

    async def decide(self, candle: Candle, bar: Any, position: Position | None) -> None:
        """Exit rules first, then the drawdown stop, then the strategy."""
        held = self.sellable() if position is not None else Decimal(0)
        if position is not None and held > 0:
            fired = self.watch(position).fired(candle.close, candle.timestamp_ms)
            if fired is not None:
                await self.place(Intent("sell", tag=fired[1]), fired[0])
                return
        if self.risk.max_drawdown_pct is not None and self.book.peak_equity > 0:
            drawdown = drawdown_breached(self.risk, self.book.peak_equity, self.equity(candle.close))
            if drawdown is not None:
                await self.stop_for_drawdown(drawdown)
                return
        if not self.feed.ready(self.iteration - 1):
            return
        intent = self.strategy.decide(bar, position if held > 0 else None)
        if intent is None:
            return
        if intent.side == "buy":
            # Adding to the open position is the strategy's call; a NEW position counts against the limit.
            opening = self.symbol not in self.positions
            if (
                opening and len(self.positions) >= self.risk.max_open_positions
            ) or self.iteration <= self.cooldown_until:
                return
        if intent.side == "sell" and held <= 0:
            return
        await self.place(intent, "signal")

    async def stop_for_drawdown(self, drawdown: Decimal) -> None:
        self.status = "stopped"
        if self.sellable() > 0:
            await self.place(Intent("sell", tag=f"drawdown {drawdown:.2f}%"), "drawdown_stop", force=True)
        self.change_status("stopped", f"max drawdown {self.risk.max_drawdown_pct}% reached ({drawdown:.2f}%)")

    async def place(self, intent: Intent, reason: str, *, force: bool = False) -> str | None:
        """Send the order the intent asks for; a refusal is published and counted. The order id, or None."""
        if self.outbox.durable_backlog >= self.outbox_limit and not force:
            log.warning("not placing %s: %d events wait to be published", intent.side, self.outbox.durable_backlog)
            return None
        price = intent.limit_price or self.exchange.last_price or Decimal(0)
        if intent.side == "buy":
            amount = entry_amount(intent, self.sizing, price, self.equity(price)) if price else Decimal(0)
        else:
            amount = self.sellable() if intent.amount is None else min(intent.amount, self.sellable())
        try:
            order = await self.exchange.create_order(
                self.symbol, intent.order_type, intent.side, amount, intent.limit_price
            )
        except (ccxt.InsufficientFunds, ccxt.InvalidOrder, ccxt.BadSymbol) as refused:
            self.refused(intent, amount, price, f"refused: {refused}")
            return None
        except ccxt.BaseError as error:  # the exchange is unreachable or failing: trade on, decide again later
            self.refused(intent, amount, price, f"failed: {type(error).__name__}: {error}")
            return None
        self._refusals_in_a_row = 0
        order_id = str(order["id"])
        self.notes[order_id] = OrderNote(reason, intent.tag, intent.order_type)
        if self.mode == "live":
            # A live order exists out there: remember it before anything else. A paper order needs no
            # write of its own: after a crash the replayed candles lead to the very same order again.
            self.store.save(self.snapshot())
        return order_id

    def refused(self, intent: Intent, amount: Decimal, price: Decimal, message: str) -> None:
        self.rejected_orders += 1
        self._refusals_in_a_row += 1
        in_a_row = self._refusals_in_a_row
        # A strategy that keeps asking while funds are short would flood: say it at 1, 2, 4, 8, ... in a row.
        if in_a_row & (in_a_row - 1) == 0:
            log.warning("%s %s order %s (%d in a row)", intent.side, intent.order_type, message, in_a_row)
            price_shown = intent.limit_price or (price or None)
            rules = self.exchange.rules
            refusal = self.facts.refused(
                intent.side, intent.order_type, amount, price_shown, message, rules, in_a_row, intent.tag
            )
            self.record(refusal)

    def sellable(self) -> Decimal:
        """The position the strategy may sell: what the book holds, but never more than the account has free."""
        free = self.exchange.balances.free.get(self.base)
        held = self.book.position if free is None else min(self.book.position, free)
        return self.exchange.rules.floor_amount(held)

    async def reconcile(self) -> None:
        from tradewire_trader.reconcile import reconcile

        self._reconcile_due = time.monotonic() + self.reconcile_every_s
        await reconcile(self)

    def book_fills(self, fills: list[Fill]) -> None:
        """Book fills and save them with the state in one transaction: a crash keeps all of them or none."""
        if not fills:
            return
        trades = [self.on_fill(fill) for fill in fills]
        self.record(*trades)
        self.publish_stats()
        self.publish_positions()

    def on_fill(self, fill: Fill) -> TradeExecuted:
        realized = self.book.apply(fill)
        self.fills[fill.side] += 1
        # An order may fill in parts: its note stays until the last part.
        note = self.notes.get(fill.order_id)
        if fill.order_id not in self.exchange.open_orders:
            self.notes.pop(fill.order_id, None)
        position, closed = self.positions.get(fill.symbol), None
        if fill.side == "buy":
            if position is None:
                self.positions[fill.symbol] = Position(
                    fill.symbol,
                    fill.amount,
                    fill.price,
                    fill.timestamp_ms,
                    fill.price,
                    "" if note is None else note.tag,
                )
            else:
                position.add(fill.amount, fill.price)
                self.watch(position).reset()
        elif position is not None and self.sellable() <= 0:
            closed = self.positions.pop(fill.symbol)
            if realized is not None and realized.profit < 0:
                self.cooldown_until = self.iteration + self.risk.cooldown_candles
        trade = self.facts.trade(
            fill, realized, note, closed, self.exchange.balances.total(self.base), self.exchange.balances
        )
        profit = "" if realized is None else f" profit {realized.profit} {self.quote} ({realized.percent}%)"
        why = "" if note is None else f" [{note.reason}{': ' + note.tag if note.tag else ''}]"
        log.info(
            "%s %s %s at %s fee %s %s%s%s", fill.side, fill.amount, self.base, fill.price, fill.fee,
            fill.fee_currency, profit, why, extra=trace(bot_id=self.bot_id, event_id=trade.event_id),
        )  # fmt: skip
        return trade

    # --- facts ----------------------------------------------------------------------------------
    def equity(self, price: Decimal) -> Decimal:
        balances = self.exchange.balances
        return balances.total(self.quote) + balances.total(self.base) * price

    def price_event(self, last: Decimal) -> PriceUpdated:
        return self.facts.price(last, self.exchange.bid_ask(last), self.iteration, self.first_price)

    def stats_event(self) -> StatsUpdated:
        price = self.exchange.last_price or self.first_price or Decimal(0)
        return self.facts.stats(self.book, price, self.equity(price))

    def publish_stats(self) -> None:
        price = self.exchange.last_price or self.first_price or Decimal(0)
        self.outbox.add_latest(self.facts.stats_later(self.book, price, self.equity(price)), key="stats_update")

    def watch(self, position: Position) -> ExitWatch:
        """The position's exit thresholds (rebuilt after a restart or a new entry fill)."""
        watch = self._watches.get(position.symbol)
        if watch is None or watch.position is not position:
            watch = self._watches[position.symbol] = ExitWatch(self.risk, position)
        return watch

    def publish_positions(self) -> None:
        """Queue the open positions as they are now; described only when sent (a fast replay moves on)."""
        held = self.exchange.balances.total(self.base)
        open_now = [(replace(p), held, self.watch(p).stop, self.watch(p).take) for p in self.positions.values()]
        self.outbox.add_latest(lambda: self.facts.positions(open_now), key="positions_changed")
