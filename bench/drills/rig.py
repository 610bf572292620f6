"""The system under a drill: a private redis-server, a real paper trader, a gateway and a dashboard.

Every one is a real child process started the way an operator starts it. Blocking operations
(starting, stopping, reading the ledger) are meant to be called through `asyncio.to_thread` so the
watching clients, which run on the drill's event loop, never stall because of the harness.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path

import redis as redis_sync

from bench.e2e.servers import ChildProcess, Dashboard, Gateway
from bench.sample import rss_bytes
from tradewire_bus import Topics
from tradewire_testing import LocalCluster, RedisServer, eventually_sync

BOT = "drill"
LOAD_BOT = "drill-load"


class Trader:
    """`python -m tradewire_trader run` on synthetic data, fast; its SQLite file is the ledger."""

    def __init__(self, redis_url: str, folder: Path, speed: float) -> None:
        self.state_file = folder / f"{BOT}.sqlite3"
        args = [
            sys.executable,
            "-m",
            "tradewire_trader",
            "run",
            "--bot-id",
            BOT,
            "--speed",
            str(speed),
            "--state-file",
            str(self.state_file),
            "--redis-url",
            redis_url,
            "--heartbeat-s",
            "1",
            "--stats-every-s",
            "2",
        ]
        self.child = ChildProcess(args, {}, folder / "trader.log")

    def start(self) -> None:
        self.child.start()

    def kill(self) -> None:
        """SIGKILL, as a crash would: no chance to flush anything."""
        self.child.stop(kill=True)

    def stop(self) -> None:
        """SIGTERM: the trader finishes publishing what it recorded, then exits."""
        if self.child.alive():
            self.child.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            self.child.process.wait(30)  # type: ignore[union-attr]

    def ledger(self) -> list[tuple[str, float]]:
        """Every trade the trader recorded, in order: (event id, when it happened as a Unix time)."""
        with sqlite3.connect(f"file:{self.state_file}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT event_id, event FROM trades ORDER BY id").fetchall()
        return [(event_id, _unix(json.loads(event)["ts"])) for event_id, event in rows]


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class Rig:
    """On one Redis, or (`cluster`) on a local Redis Cluster of three masters and three replicas, every
    process given the URL of one node, as an operator would."""

    def __init__(self, folder: Path, *, persistence: bool, speed: float, cluster: bool = False) -> None:
        self.folder = folder
        self.redis = RedisServer(persistence=persistence)
        self.cluster = LocalCluster(persistence=persistence) if cluster else None
        # The node the services are given: on a cluster, one the drills do not kill (see victim()).
        self.url = self.cluster.servers[-1].url if self.cluster else self.redis.url
        self.topics = Topics(sharded=cluster)
        self.trader = Trader(self.url, folder, speed)
        channel = self.topics.bot_events(BOT)
        self.gateway = Gateway(self.url, channel, BOT, folder)
        self.dashboard = Dashboard(self.url, channel, BOT, folder)

    def client(self) -> redis_sync.Redis | redis_sync.RedisCluster:
        if self.cluster is not None:
            return redis_sync.RedisCluster.from_url(self.url)
        return redis_sync.Redis.from_url(self.url)

    def start(self) -> None:
        if self.cluster is not None:
            self.cluster.start()
        else:
            self.redis.start()
        self.trader.start()
        eventually_sync(self.trader_published, timeout=60, interval=0.05, what="the trader's first events")
        self.gateway.start()
        self.dashboard.start()

    def trader_published(self) -> bool:
        client = self.client()
        try:
            return bool(client.xlen(self.topics.bot_stream(BOT)) > 0)
        except redis_sync.ConnectionError:
            return False
        finally:
            client.close()

    def stream_trades(self) -> list[str]:
        """Event ids of the trades in the bot's stream, oldest first."""
        client = self.client()
        try:
            entries = client.xrange(self.topics.bot_stream(BOT))
        finally:
            client.close()
        events = [json.loads(fields[b"event"]) for _, fields in entries]
        return [e["event_id"] for e in events if e.get("type") == "trade_executed"]

    def recorded_trades(self) -> set[str]:
        """Event ids (hex, no dashes) of the drill bot's trades the dashboard's recorder has stored."""
        path = self.dashboard.process.data_dir / "dashboard.sqlite3"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
            rows = db.execute(
                "SELECT t.event_id FROM dashboard_trade t JOIN dashboard_bot b ON t.bot_id = b.id WHERE b.bot_id = ?",
                (BOT,),
            ).fetchall()
        return {str(event_id).replace("-", "") for (event_id,) in rows}

    def alive(self) -> dict[str, bool]:
        return {
            "gateway": self.gateway.child.alive(),
            "dashboard": self.dashboard.process.pid is not None
            and self.dashboard.process._process is not None
            and self.dashboard.process._process.poll() is None,
        }

    def server_rss(self) -> dict[str, int]:
        return {"gateway": rss_bytes(self.gateway.child.pid), "dashboard": rss_bytes(self.dashboard.process.pid or 0)}

    def stop(self) -> None:
        redis_close = self.cluster.close if self.cluster is not None else self.redis.close
        for stop in (self.trader.kill, self.gateway.stop, self.dashboard.stop, redis_close):
            try:
                stop()
            except Exception as error:  # tear down as much as possible
                print(f"  (teardown: {error})")


def wait_for(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)  # polling a condition owned by child processes
    return bool(check())
