"""Commands from Telegram: `/status`, `/profit`, `/stop <bot>`, `/start <bot>`, from allowed chats only.

Each one goes through the bus like a gateway command (`send_command`, actor `telegram:<chat id>`), and
the trader's result is the answer. Updates are read raw and parsed one by one, so a malformed update
is logged, counted and skipped instead of stopping every later one.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.warnings import PTBUserWarning

from tradewire_bus import BusError, CommandTimeout, NoTraderListening, RedisBus
from tradewire_notifier.destinations.telegram import MESSAGE_LIMIT
from tradewire_notifier.messages import money, percent
from tradewire_notifier.metrics import NotifierMetrics
from tradewire_runtime.backoff import Backoff
from tradewire_schemas import Command, RequestStatus, StartBot, StopBot, is_bot_id

log = logging.getLogger("tradewire.notifier.telegram")

HELP = "Commands: /status [bot], /profit [bot], /stop <bot>, /start <bot>"

# We read getUpdates raw on purpose (see the module docstring); the library warns that a typed method exists.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)


@dataclass(frozen=True)
class Request:
    chat_id: int
    command: str
    args: list[str]


def parse(raw: Any, bot: Bot) -> Request | None:
    """One raw update as a command request; None for updates that carry none (edits, stickers, joins)."""
    update = Update.de_json(raw, bot)
    message = update.message if update is not None else None
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    word, *args = message.text.split()
    return Request(chat_id=message.chat.id, command=word[1:].split("@", 1)[0].lower(), args=args)


class TelegramCommands:
    def __init__(
        self,
        name: str,
        bot: Bot,
        bus: RedisBus,
        allowed: set[int],
        metrics: NotifierMetrics,
        *,
        poll_timeout_s: int,
        command_timeout_s: float,
    ) -> None:
        self._name = name
        self._bot = bot
        self._bus = bus
        self._allowed = allowed
        self._metrics = metrics
        self._poll_timeout_s = poll_timeout_s
        self._command_timeout_s = command_timeout_s
        self._offset: int | None = None
        self._backoff = Backoff(bus.config.reconnect_min_s, bus.config.reconnect_max_s)
        self._handlers: dict[str, Callable[[Request], Awaitable[str]]] = {
            "status": self.status,
            "profit": self.profit,
            "stop": self.stop,
            "start": self.start,
            "help": self.help,
        }

    async def run(self) -> None:
        while True:
            try:
                updates = await self._bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": self._offset,
                        "timeout": self._poll_timeout_s,
                        "allowed_updates": ["message"],
                    },
                )
            except TelegramError as error:
                log.warning("telegram %s: getUpdates failed (%s); retrying", self._name, error)
                await self._backoff.wait()
                continue
            self._backoff.reset()
            for raw in updates if isinstance(updates, list) else []:
                await self._one(raw)

    async def _one(self, raw: Any) -> None:
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if isinstance(update_id, int):
            self._offset = max(self._offset or 0, update_id + 1)  # never read again, whatever happens below
        try:
            request = parse(raw, self._bot)
        except Exception as error:  # the library's parser raises whatever the malformed dict provokes
            self._metrics.commands.labels(self._name, "malformed").inc()
            log.warning("telegram %s: skipped a malformed update (%s): %.200r", self._name, error, raw)
            return
        if request is None:
            return
        if request.chat_id not in self._allowed:
            self._metrics.commands.labels(self._name, "refused").inc()
            log.warning(
                "telegram %s: refused /%s from chat %d (not allowed)", self._name, request.command, request.chat_id
            )
            await self._reply(request.chat_id, "This chat is not allowed to control tradewire.")
            return
        handler = self._handlers.get(request.command)
        if handler is None:
            self._metrics.commands.labels(self._name, "unknown").inc()
            log.info("telegram %s: unknown command /%s from chat %d", self._name, request.command, request.chat_id)
            await self._reply(request.chat_id, f"Unknown command /{request.command}. {HELP}")
            return
        self._metrics.commands.labels(self._name, request.command).inc()
        log.info("telegram %s: /%s %s from chat %d", self._name, request.command, request.args, request.chat_id)
        try:
            answer = await handler(request)
        except Exception:
            log.exception("telegram %s: /%s failed", self._name, request.command)
            answer = f"/{request.command} failed; see the notifier's log."
        await self._reply(request.chat_id, answer)

    async def _reply(self, chat_id: int, text: str) -> None:
        try:
            await self._bot.send_message(chat_id, text[:MESSAGE_LIMIT])
        except TelegramError as error:
            log.warning("telegram %s: cannot answer chat %d: %s", self._name, chat_id, error)

    # -- the commands -----------------------------------------------------------------------------

    async def _bots(self, request: Request) -> list[str] | str:
        if request.args:
            bot = request.args[0]
            return [bot] if is_bot_id(bot) else f"{bot!r} is not a bot id."
        return await self._bus.bots() or "No bots on the bus yet."

    async def _send(self, command: Command) -> str:
        try:
            result = await self._bus.send_command(command, timeout=self._command_timeout_s)
        except NoTraderListening:
            return f"{command.bot_id}: no trader is running."
        except CommandTimeout:
            return f"{command.bot_id}: no answer within {self._command_timeout_s:g} s (it may still happen)."
        except BusError as error:
            return f"{command.bot_id}: the bus is unavailable ({error})."
        return f"{command.bot_id}: {command.type} {result.outcome}: {result.message}"

    async def status(self, request: Request) -> str:
        bots = await self._bots(request)
        if isinstance(bots, str):
            return bots
        actor = f"telegram:{request.chat_id}"
        answers = await asyncio.gather(*(self._send(RequestStatus(bot_id=bot, actor=actor)) for bot in bots))
        return "\n".join(answers)

    async def profit(self, request: Request) -> str:
        bots = await self._bots(request)
        if isinstance(bots, str):
            return bots
        lines = []
        for bot in bots:
            stats = (await self._bus.snapshot(bot)).stats
            if stats is None:
                lines.append(f"{bot}: no statistics yet.")
                continue
            currency = stats.quote_currency
            lines.append(
                f"{bot}: realized {money(stats.realized_profit, currency, signed=True)}, unrealized "
                f"{money(stats.unrealized_profit, currency, signed=True)}, equity {money(stats.equity, currency)}; "
                f"{stats.trades} trades, win rate {stats.win_rate:.1f} %, max drawdown {percent(-stats.max_drawdown)}"
            )
        return "\n".join(lines)

    async def stop(self, request: Request) -> str:
        return await self._one_bot(request, StopBot)

    async def start(self, request: Request) -> str:
        return await self._one_bot(request, StartBot)

    async def _one_bot(self, request: Request, kind: type[StopBot] | type[StartBot]) -> str:
        if len(request.args) != 1:
            return f"Usage: /{request.command} <bot>"
        bots = await self._bots(request)
        if isinstance(bots, str):
            return bots
        return await self._send(kind(bot_id=bots[0], actor=f"telegram:{request.chat_id}"))

    async def help(self, request: Request) -> str:
        return HELP
