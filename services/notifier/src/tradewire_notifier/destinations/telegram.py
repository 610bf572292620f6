"""Telegram through python-telegram-bot: messages out with `sendMessage`, commands in with `getUpdates`.

`base_url` points the library at the Bot API (a local stub in tests); the library speaks the protocol,
we only decide what to say.
"""

from __future__ import annotations

import datetime as dt
import warnings

from telegram import Bot
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from tradewire_notifier.destinations.base import DeliveryFailed
from tradewire_notifier.messages import Notice, render
from tradewire_notifier.settings import TelegramDestination

MESSAGE_LIMIT = 4096


def make_bot(destination: TelegramDestination) -> Bot:
    timeout = destination.delivery.timeout_s
    return Bot(
        destination.token.get_secret_value(),
        base_url=destination.base_url,
        request=HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout),
        # Long polls hold their own connection, so a poll never delays a message.
        get_updates_request=HTTPXRequest(read_timeout=destination.poll_timeout_s + timeout),
    )


def retry_after_s(flood: RetryAfter) -> float:
    # PTB 22 warns that `retry_after` becomes a timedelta in its next major version; either is fine here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        period = flood.retry_after
    return period.total_seconds() if isinstance(period, dt.timedelta) else float(period)


class TelegramOutlet:
    def __init__(self, destination: TelegramDestination, bot: Bot) -> None:
        self._chats = destination.chat_ids
        self.bot = bot

    async def send(self, notice: Notice) -> None:
        await self.say(render(notice))

    async def send_summary(self, notices: list[Notice], text: str) -> None:
        await self.say(text)

    async def say(self, text: str) -> None:
        for chat in self._chats:
            try:
                await self.bot.send_message(chat, text[:MESSAGE_LIMIT])
            except RetryAfter as flood:
                raise DeliveryFailed(str(flood), retry_after_s=retry_after_s(flood)) from flood
            except (BadRequest, Forbidden, InvalidToken) as refused:
                raise DeliveryFailed(f"{type(refused).__name__}: {refused}", permanent=True) from refused
            except TelegramError as error:  # NetworkError, TimedOut: the API is away for now
                raise DeliveryFailed(f"{type(error).__name__}: {error}") from error

    async def aclose(self) -> None:
        await self.bot.shutdown()
