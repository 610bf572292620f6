"""The lean WebSocket protocol under a real uvicorn, talked to by a real websockets client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect

from tradewire_runtime.lean_websocket import Flag, Inbox, lean_websocket_protocol
from tradewire_testing import free_port
from tradewire_testing.waiting import eventually

seen: dict[str, Any] = {}


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accepts, tells the client its own X-Probe header, then echoes each text upper-cased."""
    if scope["type"] != "websocket":
        return
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    headers = dict(scope["headers"])
    await send({"type": "websocket.send", "text": headers.get(b"x-probe", b"?").decode()})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            seen["disconnect"] = message["code"]
            return
        await send({"type": "websocket.send", "text": message["text"].upper()})


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[tuple[str, uvicorn.Server]]:
    port = free_port()
    config = uvicorn.Config(echo, port=port, ws=lean_websocket_protocol(), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), timeout=10, what="uvicorn listening")
        assert server.started, "uvicorn exited"
        yield f"ws://127.0.0.1:{port}/", server
    finally:
        server.should_exit = True
        await task


async def test_messages_sent_at_once_come_back_in_order_and_a_close_reaches_the_app() -> None:
    seen.clear()
    async with serving() as (url, server):
        async with connect(url, additional_headers={"X-Probe": "hello"}) as ws:
            assert await ws.recv() == "hello"  # the handshake's headers reached the app's scope
            (protocol,) = server.server_state.connections
            assert protocol.request is None and protocol.response is None  # not kept for the socket's life
            for text in ("a", "b", "c"):
                await ws.send(text)
            assert [await ws.recv() for _ in range(3)] == ["A", "B", "C"]
        await eventually(lambda: "disconnect" in seen, timeout=10, what="the app told of the close")
    assert seen["disconnect"] == 1000


async def test_inbox_hands_items_out_in_order_and_wakes_a_waiting_taker() -> None:
    inbox = Inbox()
    assert inbox.empty()
    taker = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not taker.done()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await taker == 1
    assert not inbox.empty()
    assert await inbox.get() == 2


async def test_flag_wakes_every_waiter_when_set_and_cleared_flag_makes_them_wait() -> None:
    flag = Flag()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.gather(*waiters) == [True, True, True]
    flag.clear()
    late = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    assert not late.done() and not flag.is_set()
    late.cancel()
    with pytest.raises(asyncio.CancelledError):
        await late
    flag.set()
    assert await flag.wait()
