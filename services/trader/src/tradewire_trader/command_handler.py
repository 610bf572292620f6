"""Answers `start_bot`, `stop_bot`, `request_status` and `halt_bot`: one method per command, found by its type.

Every command gets exactly one `command_result`, queued after the facts it caused, so a sender that
sees the result can already see the status change. Repeats are no-ops with a result that says so.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from tradewire_runtime.logs import trace
from tradewire_schemas import (
    ClosePosition,
    Command,
    CommandResult,
    HaltBot,
    Heartbeat,
    Outcome,
    RequestStatus,
    StartBot,
    StatusChanged,
    StopBot,
)
from tradewire_trader.live_rails import cancel_everything
from tradewire_trader.strategies import Intent
from tradewire_trader.trader import Trader

log = logging.getLogger("tradewire.trader.commands")


class CommandHandler:
    def __init__(self, trader: Trader, heartbeat_s: float) -> None:
        self.trader = trader
        self.heartbeat_s = heartbeat_s
        self.answered: Counter[tuple[str, Outcome]] = Counter()  # (command, outcome), for metrics

    async def handle(self, command: Command) -> CommandResult:
        # The method named as the command's type: a `Command` is one of the schema's, never another name.
        answer: Callable[[Command], Awaitable[tuple[Outcome, str]]] = getattr(self, command.type)
        outcome, message = await answer(command)
        self.answered[command.type, outcome] += 1
        log.info(
            "%s %s from %s: %s (%s)",
            command.type,
            command.command_id,
            command.actor,
            outcome,
            message,
            extra=trace(command_id=command.command_id, bot_id=command.bot_id),
        )
        result = CommandResult(
            bot_id=self.trader.bot_id,
            command_id=command.command_id,
            command=command.type,
            outcome=outcome,
            message=message,
        )
        self.trader.record(result)
        return result

    async def start_bot(self, command: StartBot) -> tuple[Outcome, str]:
        trader = self.trader
        if trader.status == "running":
            return "completed", f"{trader.bot_id} is already running; nothing changed"
        previous = trader.status
        trader.change_status("running", f"started by {command.actor}", command.actor)
        return "completed", f"{trader.bot_id} started (was {previous})"

    async def stop_bot(self, command: StopBot) -> tuple[Outcome, str]:
        trader = self.trader
        if trader.status != "running":
            return "completed", f"{trader.bot_id} is already {trader.status}; nothing changed"
        trader.status = "stopped"  # no new orders from here on, even while (live) cancels are in flight
        canceled = await trader.cancel_open_orders()
        trader.change_status("stopped", f"stopped by {command.actor}", command.actor)
        return "completed", f"{trader.bot_id} stopped; {canceled} open order(s) canceled"

    async def halt_bot(self, command: HaltBot) -> tuple[Outcome, str]:
        """The kill switch: no new orders at once, every open order of the market canceled, then stopped.

        Unlike `stop_bot` it also acts when the bot is already stopped, and on the exchange it cancels every
        open order of the symbol, ours or not, and orders whose fate is still unknown.
        """
        trader = self.trader
        trader.status = "stopped"
        canceled, failed = await cancel_everything(trader)
        trader.change_status("stopped", f"halted by {command.actor}: {canceled} open order(s) canceled", command.actor)
        if failed:
            return "rejected", f"{trader.bot_id} stopped, but canceling failed: {failed}; check the exchange by hand"
        return "completed", f"{trader.bot_id} halted; {canceled} open order(s) canceled"

    async def close_position(self, command: ClosePosition) -> tuple[Outcome, str]:
        """Sell the position at market now, reason "manual"; open orders of the market are canceled first.

        It acts on a stopped bot too (closing is how a person gets out), and a bot with nothing to close
        answers so. The sell fills like any market order (paper: on the next candle)."""
        trader = self.trader
        if command.symbol is not None and command.symbol not in trader.by_symbol:
            trades = ", ".join(trader.symbols)
            return "rejected", f"{trader.bot_id} trades {trades}, not {command.symbol}; nothing closed"
        lanes = trader.lanes if command.symbol is None else [trader.by_symbol[command.symbol]]
        canceled = await trader.cancel_open_orders()
        closing = []
        for lane in lanes:
            held = trader.sellable(lane)
            if held <= 0:
                continue
            intent = Intent("sell", tag=f"closed by {command.actor}")
            order_id = await trader.place(intent, "manual", lane, force=True)
            if order_id is None:
                return "rejected", f"{trader.bot_id} could not close {held} {lane.base}: the order was refused"
            closing.append(f"{held} {lane.base} at market (order {order_id})")
        if not closing:
            where = ", ".join(lane.symbol for lane in lanes)
            return "completed", f"{trader.bot_id} has no open position in {where}; {canceled} order(s) canceled"
        return "completed", f"{trader.bot_id} closing {'; '.join(closing)}"

    async def request_status(self, command: RequestStatus) -> tuple[Outcome, str]:
        # Re-publish the current picture so every reader's snapshot is fresh.
        trader = self.trader
        trader.record(
            StatusChanged(
                bot_id=trader.bot_id,
                status=trader.status,
                reason=f"unchanged; status requested by {command.actor}",
                actor=command.actor,
            )
        )
        stats = trader.stats_event()
        trader.outbox.add_latest(stats)
        trader.outbox.add_latest(Heartbeat(bot_id=trader.bot_id, status=trader.status, interval_s=self.heartbeat_s))
        for lane in trader.lanes:
            if lane.last_price is not None:
                trader.outbox.add_latest(trader.price_event(lane.last_price, lane), key=f"price:{lane.symbol}")
        trader.publish_markets()
        return "completed", (
            f"{trader.bot_id} is {trader.status}: position {trader.book.position} {trader.base}, "
            f"equity {stats.equity} {trader.quote}, {stats.trades} trades, realized {stats.realized_profit}"
        )
