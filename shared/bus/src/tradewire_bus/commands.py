"""Commands over the bus: a sender that waits for the result, and the trader's inbox.

Commands travel on a per-bot pub/sub channel, so PUBLISH's receiver count tells the sender at once
whether any trader listens. Results are ordinary `command_result` events on the bot's event stream.
A command id is claimed once in Redis (SET NX), so a repeated id is never executed twice; a finished
command's result is kept, so a retried send returns it instead of running again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from types import TracebackType
from typing import Self
from uuid import UUID

from tradewire_bus.config import BusConfig
from tradewire_bus.errors import BusUnavailable, CommandTimeout, NoTraderListening
from tradewire_bus.listener import Listener
from tradewire_bus.publisher import Publisher
from tradewire_bus.redis_clients import RedisClients
from tradewire_bus.redis_errors import CONNECTION_ERRORS
from tradewire_bus.stats import BusStats
from tradewire_runtime.backoff import Backoff
from tradewire_runtime.logs import trace
from tradewire_schemas import (
    COMMAND_TYPES,
    Command,
    CommandExpired,
    CommandResult,
    MessageRejected,
    decode_command,
    decode_envelope,
    decode_event,
    encode,
)

log = logging.getLogger("tradewire.bus.commands")


async def _subscribed(listener: Listener, channel: str) -> None:
    await listener.subscribe(channel)
    while True:  # wait for Redis to confirm, so nothing published afterwards can slip past us
        message = await listener.next_message()
        if message is not None and message["type"] == "subscribe":
            return


async def send_command(
    clients: RedisClients, config: BusConfig, command: Command, timeout: float | None = None
) -> CommandResult:
    """Publish `command` and return its final result (`completed` or `rejected`).

    Raises NoTraderListening at once when no trader subscribes to the bot's command channel, and
    CommandTimeout when no final result arrives within `timeout` seconds.
    """
    topics, redis = clients.topics, clients.redis
    timeout = config.command_timeout_s if timeout is None else timeout
    listener = clients.listener()
    try:
        await _subscribed(listener, topics.bot_events(command.bot_id))
        # Looked up only once subscribed: a result published before now is kept, one published after
        # reaches us live. (Looking first left a gap where a retry sent through another process, while
        # the first send was finishing, saw neither and waited for an answer that had already gone by.)
        if (kept := await redis.get(topics.command_result(command.command_id, command.bot_id))) is not None:
            return _as_result(decode_event(kept))
        receivers = await clients.publish(topics.bot_commands(command.bot_id), encode(command))
        if receivers == 0:
            raise NoTraderListening(f"no trader is listening for bot {command.bot_id!r}; is it running?")
        accepted = False
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message = await listener.next_message()
                    if message is None or message["type"] != "message":
                        continue
                    try:
                        event = decode_envelope(message["data"]).event
                    except ValueError:
                        continue  # garbage is the subscription's business to count, not ours
                    if isinstance(event, CommandResult) and event.command_id == command.command_id:
                        if event.outcome != "accepted":
                            return event
                        accepted = True
        except TimeoutError:
            state = "accepted it but did not finish" if accepted else "did not answer"
            raise CommandTimeout(
                f"{command.type} {command.command_id}: the trader for {command.bot_id!r} {state} within {timeout}s"
            ) from None
    finally:
        await listener.aclose()


def _as_result(event: object) -> CommandResult:
    assert isinstance(event, CommandResult)
    return event


class CommandInbox:
    """`async with bus.commands(bot_id) as inbox: async for command in inbox:`

    Yields only commands that are well formed, for this bot, not expired and never seen before.
    The others are answered here with a `rejected` command_result and counted, and change nothing.
    """

    def __init__(
        self, clients: RedisClients, config: BusConfig, stats: BusStats, bot_id: str, publisher: Publisher
    ) -> None:
        self._clients = clients
        self._redis = clients.redis
        self._config = config
        self._topics = clients.topics
        self._stats = stats
        self._bot_id = bot_id
        self._publisher = publisher
        self._backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s)
        self._pubsub: Listener | None = None
        self._closed = False

    async def __aenter__(self) -> Self:
        await self._connect_with_backoff()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._closed = True
        if self._pubsub is not None:
            await self._pubsub.aclose()
            self._pubsub = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Command:
        while not self._closed:
            if self._pubsub is None:
                await self._connect_with_backoff()
                continue
            try:
                message = await self._pubsub.next_message()
                if message is None or message["type"] != "message":
                    continue
                command = await self._admit(message["data"])
            except BusUnavailable as error:
                log.warning("could not answer a refused command for %s: %s", self._bot_id, error)
                continue
            except CONNECTION_ERRORS as error:
                log.warning("command inbox for %s lost its connection (%s); reconnecting", self._bot_id, error)
                await self._pubsub_close()
                continue
            if command is not None:
                return command
        raise StopAsyncIteration

    async def _connect_with_backoff(self) -> None:
        while not self._closed:
            pubsub = self._clients.listener()
            try:
                await self._clients.refresh()  # on a cluster, the command channel's shard may have changed
                await _subscribed(pubsub, self._topics.bot_commands(self._bot_id))
                self._pubsub = pubsub
                self._backoff.reset()
                return
            except CONNECTION_ERRORS as error:
                await pubsub.aclose()
                delay = self._backoff.delay()
                log.warning("command inbox cannot reach Redis (%s); retrying in %.2fs", error, delay)
                await asyncio.sleep(delay)

    async def _pubsub_close(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except Exception:
                log.debug("closing a broken pubsub connection failed", exc_info=True)

    async def _admit(self, raw: bytes) -> Command | None:
        try:
            command = decode_command(raw)
        except MessageRejected as error:
            self._stats.commands_malformed += 1
            log.warning("malformed command for %s: %s", self._bot_id, error)
            await self._reject_unreadable(raw, str(error))
            return None
        if command.bot_id != self._bot_id:
            self._stats.commands_malformed += 1
            await self._reject(command, f"sent to {self._bot_id!r} but addressed to {command.bot_id!r}")
            return None
        try:
            command.ensure_fresh()
        except CommandExpired as expired:
            self._stats.commands_expired += 1
            log.warning("%s", expired, extra=trace(command_id=command.command_id, bot_id=self._bot_id))
            await self._reject(command, str(expired))
            return None
        claimed = await self._redis.set(
            self._topics.command_claim(command.command_id), self._bot_id, nx=True, ex=self._config.command_memory_s
        )
        if not claimed:
            self._stats.commands_duplicate += 1
            log.info(
                "ignored %s %s: this command id was already received",
                command.type,
                command.command_id,
                extra=trace(command_id=command.command_id, bot_id=self._bot_id),
            )
            return None
        return command

    async def _reject(self, command: Command, reason: str) -> None:
        await self._publisher.publish(
            CommandResult(
                bot_id=self._bot_id,
                command_id=command.command_id,
                command=command.type,
                outcome="rejected",
                message=reason,
            )
        )

    async def _reject_unreadable(self, raw: bytes, reason: str) -> None:
        # Answer whoever waits, if the id at least can be read; otherwise no one can be waiting.
        try:
            parsed = json.loads(raw)
            command_id = UUID(str(parsed["command_id"]))
        except (ValueError, KeyError, TypeError):
            return
        name = parsed.get("type")
        await self._publisher.publish(
            CommandResult(
                bot_id=self._bot_id,
                command_id=command_id,
                command=name if name in COMMAND_TYPES else None,
                outcome="rejected",
                message=reason,
            )
        )
