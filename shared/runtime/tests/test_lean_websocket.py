"""The lean WebSocket protocol under a real uvicorn, talked to by a real websockets client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect

from tradewire_runtime.lean_websocket import Flag, Inbox, frame_bytes, lean_websocket_protocol
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
async def serving(deflate: bool = False) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    port = free_port()
    config = uvicorn.Config(
        echo,
        port=port,
        ws=lean_websocket_protocol(),
        ws_per_message_deflate=deflate,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), timeout=10, what="uvicorn listening")
        assert server.started, "uvicorn exited"
        yield f"ws://127.0.0.1:{port}/", server
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize("deflate", [False, True])  # with permessage-deflate, websockets builds the frames
async def test_messages_sent_at_once_come_back_in_order_and_a_close_reaches_the_app(deflate: bool) -> None:
    seen.clear()
    async with serving(deflate) as (url, server):
        async with connect(url, additional_headers={"X-Probe": "hello"}) as ws:
            assert await ws.recv() == "hello"  # the handshake's headers reached the app's scope
            (protocol,) = server.server_state.connections
            assert protocol.request is None and protocol.response is None  # not kept for the socket's life
            assert bool(protocol.conn.extensions) is deflate
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


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
async def test_texts_of_every_frame_length_arrive_whole(size: int) -> None:
    # Frames are built here, not by websockets, for an open socket: 7-, 16- and 64-bit lengths.
    text = ("é" * size)[: size // 2] + "x" * (size - size // 2)
    async with serving() as (url, _), connect(url, max_size=None) as ws:
        assert await ws.recv() == "?"
        await ws.send(text)
        assert await ws.recv() == text.upper()


def test_a_frame_is_made_once_per_text_and_the_cache_stays_bounded() -> None:
    from tradewire_runtime import lean_websocket

    text = "shared by every socket"
    assert frame_bytes(text) is frame_bytes(text)
    assert frame_bytes(text) == b"\x81\x16" + text.encode()
    for n in range(lean_websocket.FRAMES_KEPT * 2):
        frame_bytes(f"event {n}")
    assert len(lean_websocket._frames) == lean_websocket.FRAMES_KEPT
