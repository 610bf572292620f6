"""Fixtures: a real uvicorn server running the gateway on a free port, a bus client, a test responder."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tradewire_bus import RedisBus
from tradewire_gateway.app import create_app, server_options
from tradewire_gateway.settings import Settings
from tradewire_schemas import (
    BotStatus,
    Command,
    CommandResult,
    Heartbeat,
    PriceUpdated,
    StatsUpdated,
    StatusChanged,
    TradeExecuted,
)
from tradewire_testing import eventually_sync, free_port

TOKENS = {
    "ops": ("ops-token-0123456789abcdef", ["read", "control"]),
    "viewer": ("viewer-token-0123456789abc", ["read"]),
    "robot": ("robot-token-0123456789abcd", ["control"]),
}


@dataclass
class RunningGateway:
    url: str
    settings: Settings
    app: Any
    server: uvicorn.Server

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    @staticmethod
    def auth(name: str = "ops") -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[name][0]}"}


class _ServerThread:
    """uvicorn in its own thread and event loop, as separate from the test's loop as another process."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=settings.port, log_level="warning", **server_options(settings)
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="gateway-under-test", daemon=True)

    def __enter__(self) -> _ServerThread:
        self._thread.start()
        eventually_sync(lambda: self.server.started or not self._thread.is_alive(), timeout=15, what="uvicorn start")
        assert self.server.started, "uvicorn did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=15)


@pytest.fixture
def gateway_factory(any_redis_url: str) -> Iterator[Callable[..., RunningGateway]]:
    """Start a gateway with setting overrides; waits until /readyz says the hub is subscribed. Every test
    using it runs on one Redis, then again on a Redis Cluster (tradewire_testing's `any_redis_url`)."""
    with contextlib.ExitStack() as stack:

        def start(**overrides: Any) -> RunningGateway:
            values: dict[str, Any] = {
                "redis_url": any_redis_url,
                "port": free_port(),
                "tokens": [
                    {"name": name, "token": token, "scopes": scopes} for name, (token, scopes) in TOKENS.items()
                ],
            }
            values.update(overrides)
            settings = Settings(**values)
            thread = stack.enter_context(_ServerThread(settings))
            url = f"http://127.0.0.1:{settings.port}"
            eventually_sync(lambda: httpx.get(f"{url}/readyz").status_code == 200, timeout=10, what="gateway ready")
            return RunningGateway(url=url, settings=settings, app=thread.app, server=thread.server)

        yield start


@pytest.fixture
def gateway(gateway_factory: Callable[..., RunningGateway]) -> RunningGateway:
    return gateway_factory()


@pytest.fixture
async def http(gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        yield client


@pytest.fixture
async def bus(any_redis_url: str) -> AsyncIterator[RedisBus]:
    async with RedisBus.connect(any_redis_url) as connected:
        yield connected


@dataclass
class Responder:
    """Plays the trader for one bot: answers every command it receives, as `behaviour` says."""

    bus: RedisBus
    bot_id: str
    behaviour: str = "complete"  # complete | reject | accept_only (never finishes)
    received: list[Command] = field(default_factory=list)

    async def run(self, ready: asyncio.Event) -> None:
        async with self.bus.commands(self.bot_id) as inbox:
            ready.set()
            async for command in inbox:
                self.received.append(command)
                outcome = {"complete": "completed", "reject": "rejected", "accept_only": "accepted"}[self.behaviour]
                if command.type in ("start_bot", "stop_bot") and outcome == "completed":
                    status = "running" if command.type == "start_bot" else "stopped"
                    await self.bus.publish(
                        StatusChanged(bot_id=self.bot_id, status=status, reason=command.type, actor=command.actor)
                    )
                await self.bus.publish(
                    CommandResult(
                        bot_id=self.bot_id,
                        command_id=command.command_id,
                        command=command.type,
                        outcome=outcome,
                        message=f"{command.type} {outcome} by the test responder",
                    )
                )


@pytest.fixture
async def responder(bus: RedisBus) -> AsyncIterator[Callable[..., Any]]:
    """`await responder("alpha", behaviour="complete")` starts answering commands for that bot."""
    tasks: list[asyncio.Task[None]] = []

    async def start(bot_id: str, behaviour: str = "complete") -> Responder:
        answering = Responder(bus, bot_id, behaviour)
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(answering.run(ready)))
        await asyncio.wait_for(ready.wait(), 10)
        return answering

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Events:
    """Valid events with little ceremony."""

    @staticmethod
    def trade(bot_id: str, n: int = 1, currencies: int = 0) -> TradeExecuted:
        """A buy or sell; `currencies` pads the balances to make a large frame (~25 bytes each)."""
        balances = {"USDT": Decimal("1000"), "BTC": Decimal("0.001")}
        balances.update({f"COIN{i}": Decimal("1234.56789") for i in range(currencies)})
        price = Decimal("42000") + n
        return TradeExecuted(
            bot_id=bot_id,
            mode="paper",
            side="buy" if n % 2 else "sell",
            symbol="BTC/USDT",
            price=price,
            amount=Decimal("0.001"),
            cost=price * Decimal("0.001"),
            fee=Decimal("0.01"),
            fee_currency="USDT",
            order_id=f"order-{n}",
            position=Decimal("0.001"),
            balances=balances,
        )

    @staticmethod
    def price(bot_id: str, n: int = 1) -> PriceUpdated:
        last = Decimal("42000") + n
        return PriceUpdated(
            bot_id=bot_id,
            symbol="BTC/USDT",
            last=last,
            bid=last - 1,
            ask=last + 1,
            change_pct=Decimal("0.5"),
            iteration=n,
        )

    @staticmethod
    def status(bot_id: str, status: BotStatus = "running") -> StatusChanged:
        return StatusChanged(bot_id=bot_id, status=status, reason="test", actor="trader")

    @staticmethod
    def heartbeat(bot_id: str, interval_s: float = 5.0, status: BotStatus = "running") -> Heartbeat:
        return Heartbeat(bot_id=bot_id, status=status, interval_s=interval_s)

    @staticmethod
    def stats(bot_id: str, trades: int = 1) -> StatsUpdated:
        zero = Decimal("0")
        return StatsUpdated(
            bot_id=bot_id,
            trades=trades,
            wins=0,
            losses=0,
            win_rate=zero,
            realized_profit=zero,
            unrealized_profit=zero,
            equity=Decimal("1000"),
            max_drawdown=zero,
            fees_paid=zero,
            quote_currency="USDT",
        )


@pytest.fixture
def make() -> type[Events]:
    return Events


class SocketClient:
    """A thin wrapper over a websockets client connection that speaks JSON frames."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.connection.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
        return frame

    async def receive_until(self, wanted: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        """The first frame `wanted` accepts; the frames before it are kept in `skipped`."""
        self.skipped: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while not wanted(frame := await self.receive(timeout)):
                self.skipped.append(frame)
        return frame

    async def closed_with(self, timeout: float = 10.0) -> tuple[int | None, str]:
        """Read until the server closes; the close code and reason."""
        async with asyncio.timeout(timeout):
            with contextlib.suppress(ConnectionClosed):
                while True:
                    await self.connection.recv()
        received = self.connection.protocol.close_rcvd
        return (received.code, received.reason) if received else (None, "")


@pytest.fixture
def ws_to() -> Callable[[RunningGateway], Callable[..., contextlib.AbstractAsyncContextManager[SocketClient]]]:
    """For tests that start their own gateway: `async with ws_to(gateway)("bots=alpha") as client:`."""
    return socket_opener


@pytest.fixture
def ws(gateway: RunningGateway) -> Callable[..., contextlib.AbstractAsyncContextManager[SocketClient]]:
    """`async with ws("bots=alpha", token="ops") as client:` opens /ws on the gateway under test."""
    return socket_opener(gateway)


def socket_opener(gateway: RunningGateway) -> Callable[..., contextlib.AbstractAsyncContextManager[SocketClient]]:
    @contextlib.asynccontextmanager
    async def open_socket(query: str = "", token: str | None = "ops", **options: Any) -> AsyncIterator[SocketClient]:
        headers = gateway.auth(token) if token else {}
        url = gateway.ws_url + (f"?{query}" if query else "")
        async with connect(url, additional_headers=headers, open_timeout=10, **options) as connection:
            yield SocketClient(connection)

    return open_socket


class StalledSocket:
    """A WebSocket client on a plain socket with a tiny receive buffer that reads only when told to.

    While it does not read, the server's writes to it block once the TCP window and buffers are full:
    exactly what a stuck browser tab or an overloaded consumer looks like from the server.
    """

    def __init__(self, gateway: RunningGateway, query: str, token: str = "ops") -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(15)
        self.sock.connect(("127.0.0.1", gateway.settings.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /ws?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {TOKENS[token][0]}\r\n\r\n".encode()
        )
        self._buffer = b""
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._recv()
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the TCP connection")
        return chunk

    def _read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._buffer += self._recv()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def frame(self) -> tuple[int, bytes]:
        """The next (opcode, payload) from the server; server frames are never masked."""
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack(">H", self._read(2))
        elif length == 127:
            (length,) = struct.unpack(">Q", self._read(8))
        return first & 0x0F, self._read(length)

    def messages_until(self, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Every JSON text frame up to and with the first one `done` is true of."""
        messages: list[dict[str, Any]] = []
        while not messages or not done(messages[-1]):
            opcode, payload = self.frame()
            if opcode == 0x8:
                raise ConnectionError(f"closed with {struct.unpack('>H', payload[:2])[0]} after {len(messages)} frames")
            if opcode == 0x1:
                messages.append(json.loads(payload))
        return messages

    def messages_until_close(self) -> tuple[list[dict[str, Any]], int]:
        """Every JSON text frame up to the close frame, and the close code."""
        messages: list[dict[str, Any]] = []
        while True:
            opcode, payload = self.frame()
            if opcode == 0x8:
                return messages, struct.unpack(">H", payload[:2])[0]
            if opcode == 0x1:
                messages.append(json.loads(payload))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def stalled_sockets() -> Iterator[Callable[..., StalledSocket]]:
    opened: list[StalledSocket] = []

    def open_stalled(gateway: RunningGateway, query: str, token: str = "ops") -> StalledSocket:
        opened.append(StalledSocket(gateway, query, token))
        return opened[-1]

    yield open_stalled
    for stalled in opened:
        stalled.close()
