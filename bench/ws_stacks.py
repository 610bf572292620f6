"""The WebSocket server stacks for the fan-out path, compared by the server's CPU per delivery (issue 20).

One server process, N clients in another process, M rounds of one ~400-byte text frame to every client;
the server's own CPU time (time.process_time) over the rounds, divided by N x M. Stacks:

- `relay`: websockets' own server and `broadcast` (what the e2e bench's minimal relay uses);
- `sansio`: uvicorn's websockets-sansio protocol, a task and queue per client, `await send(...)` per frame
  (tradewire's path before the ring);
- `lean`: the same through `tradewire_runtime.lean_websocket` (shared frame bytes, lighter waits);
- `outlet`: the lean protocol written to directly (`try_write`), as the hub's ring does now: no task,
  queue or await per frame;
- `wsproto`: uvicorn's wsproto protocol, a task and queue per client;
- `picows`: picows (Cython, not ASGI), each frame sent from one loop over the transports.
`wsproto` and `picows` are not in uv.lock: install them into a scratch directory and put it on PYTHONPATH
(docs/performance.md, "WebSocket stacks").

    python -m bench.ws_stacks --stacks relay,sansio,lean,outlet --clients 500 --rounds 200 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

FRAME = json.dumps({"type": "trade_executed", "offset": "1700000000000-0", "data": {"x": "y" * 330}})


async def _serve(stack: str, port: int, clients: int, rounds: int) -> float:
    """Serve until `clients` are connected, send `rounds` frames to each; the CPU seconds it took."""
    connected: list[Any] = []
    all_in = asyncio.Event()
    done = asyncio.Event()
    sent = 0

    def joined(client: Any) -> None:
        connected.append(client)
        if len(connected) == clients:
            all_in.set()

    if stack == "relay":
        from websockets.asyncio.server import broadcast, serve

        async def handler(websocket: Any) -> None:
            joined(websocket)
            await done.wait()

        async with serve(handler, "127.0.0.1", port, backlog=2048, compression=None):
            await all_in.wait()
            await asyncio.sleep(0.5)
            began = time.process_time()
            for _ in range(rounds):
                broadcast(connected, FRAME)
                await asyncio.sleep(0)
            spent = time.process_time() - began
            done.set()
        return spent

    if stack == "picows":
        import picows

        class Listener(picows.WSListener):  # type: ignore[misc]
            def on_ws_connected(self, transport: Any) -> None:
                joined(transport)

        payload = FRAME.encode()
        server = await picows.ws_create_server(lambda _: Listener(), "127.0.0.1", port)
        await all_in.wait()
        await asyncio.sleep(0.5)
        began = time.process_time()
        for _ in range(rounds):
            for transport in connected:
                transport.send(picows.WSMsgType.TEXT, payload)
            await asyncio.sleep(0)
        spent = time.process_time() - began
        server.close()
        return spent

    import uvicorn

    from tradewire_runtime.lean_websocket import OUTLET, lean_websocket_protocol

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal sent
        if scope["type"] != "websocket":
            return
        await receive()
        await send({"type": "websocket.accept"})
        if stack == "outlet":
            joined(scope[OUTLET])
            await done.wait()
            return
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        joined(queue)
        while (text := await queue.get()) is not None:
            await send({"type": "websocket.send", "text": text})
            sent += 1
            if sent == clients * rounds:
                done.set()

    ws: Any = {"sansio": "websockets-sansio", "wsproto": "wsproto"}.get(stack) or lean_websocket_protocol()
    config = uvicorn.Config(app, port=port, ws=ws, loop="uvloop", log_level="warning", ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    await all_in.wait()
    await asyncio.sleep(0.5)
    began = time.process_time()
    for _ in range(rounds):
        for client in connected:
            if stack == "outlet":
                client.try_write(FRAME)  # the test clients keep up: no frame is refused here
            else:
                client.put_nowait(FRAME)
        await asyncio.sleep(0)
    if stack == "outlet":
        done.set()
    await done.wait()
    spent = time.process_time() - began
    if stack != "outlet":
        for client in connected:
            client.put_nowait(None)  # each client's task ends, so the server can shut down
    server.should_exit = True
    await serving
    return spent


async def _clients(port: int, count: int, rounds: int) -> None:
    from websockets.asyncio.client import connect

    async def one() -> None:
        async with connect(f"ws://127.0.0.1:{port}/", compression=None, max_queue=None) as websocket:
            for _ in range(rounds):
                await websocket.recv()

    await asyncio.gather(*(one() for _ in range(count)))


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--stacks", default="relay,sansio,lean,outlet")
    cli.add_argument("--clients", type=int, default=500)
    cli.add_argument("--rounds", type=int, default=200)
    cli.add_argument("--runs", type=int, default=3)
    cli.add_argument("--serve", help=argparse.SUPPRESS)  # STACK:PORT, the server child
    cli.add_argument("--connect", type=int, help=argparse.SUPPRESS)  # PORT, the clients' child
    args = cli.parse_args()
    import uvloop

    if args.serve:
        stack, port = args.serve.split(":")
        spent = uvloop.run(_serve(stack, int(port), args.clients, args.rounds))
        print(json.dumps({"us_per_delivery": spent / (args.clients * args.rounds) * 1e6}))
        return 0
    if args.connect:
        uvloop.run(_clients(args.connect, args.clients, args.rounds))
        return 0
    from bench.e2e.servers import port_open
    from tradewire_testing import eventually_sync, free_port

    figures: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for stack in args.stacks.split(","):  # interleaved, so a busy moment hits every stack alike
            port = free_port()
            common = ["--clients", str(args.clients), "--rounds", str(args.rounds)]
            server = subprocess.Popen(
                [sys.executable, "-m", "bench.ws_stacks", "--serve", f"{stack}:{port}", *common], stdout=subprocess.PIPE
            )
            eventually_sync(lambda: port_open(port), timeout=30, interval=0.05, what=f"{stack} server")  # noqa: B023
            clients = subprocess.Popen([sys.executable, "-m", "bench.ws_stacks", "--connect", str(port), *common])
            out, _ = server.communicate(timeout=300)
            clients.wait(timeout=60)
            figures.setdefault(stack, []).append(json.loads(out)["us_per_delivery"])
    for stack, values in figures.items():
        print(
            f"{stack:8} CPU per delivery: median {statistics.median(values):.2f} us,"
            f" range {min(values):.2f}-{max(values):.2f} us over {len(values)} runs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
