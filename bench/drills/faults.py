"""The faults the drills inject into the processes (Redis, the cluster, the trader, the servers, a client's
connection), each given the `Scene`: the rig, its watchers, and where to write notes; those from outside
(hostile or slow clients, garbage) are in hostile.py.

Each returns the moment recovery is measured from (the fault, or the client's return). Blocking work
goes through `asyncio.to_thread`, so the watchers on this loop keep reading meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from bench.drills.rig import BOT, Rig
from bench.drills.watchers import Watcher


@dataclass
class Scene:
    rig: Rig
    stop: asyncio.Event
    args: argparse.Namespace
    notes: list[str]
    watchers: list[Watcher] = field(default_factory=list)
    partial: list[Watcher] = field(default_factory=list)  # judged on order and duplicates only
    recovering: list[Watcher] = field(default_factory=list)  # whose recovery is timed (default: all)
    failed: list[str] = field(default_factory=list)
    back_at: float | None = None  # when the faulty part was back; recovery counts trades made after it
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def add(self, watcher: Watcher, partial: bool = False) -> Watcher:
        (self.partial if partial else self.watchers).append(watcher)
        self.tasks.append(asyncio.create_task(watcher.run(self.stop)))
        return watcher

    async def all_subscribed(self, watchers: list[Watcher], timeout: float = 60) -> None:
        await asyncio.wait_for(asyncio.gather(*(w.subscribed.wait() for w in watchers)), timeout)

    async def close(self) -> None:
        for watcher in self.watchers + self.partial:
            watcher.allowed.clear()
            if watcher._ws is not None:
                watcher._ws.transport.abort()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def redis_restart(scene: Scene) -> float:
    since = time.time()
    await asyncio.to_thread(scene.rig.redis.kill)
    await asyncio.sleep(scene.args.down_s)
    await asyncio.to_thread(scene.rig.redis.start)
    scene.back_at = time.time()
    return since


async def cluster_failover(scene: Scene) -> float:
    """SIGKILL the master that owns the drill bot's slot; its replica takes over (node timeout 1 s)."""
    cluster, stream = scene.rig.cluster, scene.rig.topics.bot_stream(BOT)
    assert cluster is not None, "a cluster drill"
    owner = await asyncio.to_thread(cluster.master_of, stream)
    since = time.time()
    await asyncio.to_thread(cluster.kill, owner)
    promoted = await asyncio.to_thread(cluster.wait_for_new_master, stream, owner)
    scene.back_at = time.time()
    scene.notes.append(
        f"master :{owner.port} killed; replica :{promoted.port} promoted after {scene.back_at - since:.1f} s"
    )
    return since


async def cluster_reshard(scene: Scene) -> float:
    """Move the drill bot's slot to another master while it trades (CLUSTER SETSLOT + MIGRATE)."""
    cluster, stream = scene.rig.cluster, scene.rig.topics.bot_stream(BOT)
    assert cluster is not None, "a cluster drill"
    source = await asyncio.to_thread(cluster.master_of, stream)
    masters = [cluster.server_on(node.port) for node in await asyncio.to_thread(cluster.nodes) if node.master]
    target = next(server for server in masters if server is not source)
    since = time.time()
    await asyncio.to_thread(cluster.move_slot, stream, target)
    scene.back_at = time.time()
    scene.notes.append(f"slot moved :{source.port} -> :{target.port} in {scene.back_at - since:.1f} s")
    return since


async def trader_kill(scene: Scene) -> float:
    since = time.time()
    await asyncio.to_thread(scene.rig.trader.kill)
    await asyncio.sleep(1.0)
    await asyncio.to_thread(scene.rig.trader.start)
    scene.back_at = time.time()
    return since


async def _restart(scene: Scene, name: str, server: Any) -> float:
    since = time.time()
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(server.start)
    scene.back_at = time.time()
    scene.notes.append(f"{name} back after {time.time() - since:.1f} s")
    return since


async def dashboard_restart(scene: Scene) -> float:
    return await _restart(scene, "dashboard", scene.rig.dashboard)


async def gateway_restart(scene: Scene) -> float:
    return await _restart(scene, "gateway", scene.rig.gateway)


async def client_offline(scene: Scene) -> float:
    away = [w for w in scene.watchers if w.name in ("gateway-0", "dashboard-0")]
    for watcher in away:
        await watcher.go_offline()
    await asyncio.sleep(scene.args.offline_s)
    for watcher in away:
        watcher.come_back()
    scene.recovering.extend(away)
    scene.notes.append(f"offline for {scene.args.offline_s:.0f} s; recovery timed from their return")
    return time.time()


async def offline_across_redis_loss(scene: Scene) -> float:
    """Two clients are away while Redis loses everything; they come back with offsets of the old epoch."""
    away = [w for w in scene.watchers if w.name in ("gateway-0", "dashboard-0")]
    for watcher in away:
        await watcher.go_offline()
    await asyncio.sleep(1)
    await asyncio.to_thread(scene.rig.redis.kill)
    await asyncio.sleep(scene.args.down_s)
    await asyncio.to_thread(scene.rig.redis.start)
    await asyncio.sleep(2)
    for watcher in away:
        watcher.come_back()
    scene.recovering.extend(away)
    scene.back_at = time.time()
    return scene.back_at
