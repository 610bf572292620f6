"""The dashboard on PostgreSQL (`DATABASE_URL`): migrations, the recorder and the history, for real.

Starts a private PostgreSQL cluster in a temporary directory (skipped where its binaries are missing).
On one Redis only (`redis_server`): the database is what differs here, and the recorder's reading of
the bus on a Redis Cluster is tested on SQLite (test_recorder.py); a cluster round would add two
dashboard starts (~10-25 s under load) and test nothing new.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tradewire_bus import RedisBus
from tradewire_testing import RedisServer, eventually, eventually_sync, free_port
from tradewire_testing.dashboard_process import DashboardProcess

from .test_consumer import trade

pytestmark = pytest.mark.redis


class PostgresServer:
    """initdb + postgres on a free port, owned by the `postgres` user when we run as root."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="tradewire-pg-"))
        self.data = self.directory / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://tradewire@127.0.0.1:{self.port}/tradewire"

    def start(self) -> None:
        if self.as_user:
            shutil.chown(self.directory, "postgres")
        subprocess.run(
            [
                *self.as_user,
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "tradewire",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            [
                *self.as_user,
                "postgres",
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(self.directory),
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        eventually_sync(self._ready, timeout=20, interval=0.1, what="PostgreSQL accepts connections")
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "tradewire", "tradewire"],
            check=True,
            capture_output=True,
        )

    def _ready(self) -> bool:
        probe = ["pg_isready", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(probe, capture_output=True).returncode == 0

    def stop(self) -> None:
        if self.process is not None:
            # "fast" shutdown (no waiting for clients to leave), by pg_ctl: runuser does not pass signals on.
            subprocess.run([*self.as_user, "pg_ctl", "stop", "-D", str(self.data), "-m", "fast"], capture_output=True)
            self.process.wait(timeout=20)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    missing = [name for name in ("initdb", "postgres", "pg_ctl", "pg_isready", "createdb") if not shutil.which(name)]
    if missing:
        pytest.skip(f"PostgreSQL binaries missing: {missing}")
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


async def test_trades_are_recorded_in_postgresql_and_listed(
    postgres: PostgresServer, redis_server: RedisServer, tmp_path: Path
) -> None:
    async with RedisBus.connect(redis_server.url) as bus:
        published = [await bus.publish(trade(n)) for n in range(3)]
    with DashboardProcess(redis_server.url, tmp_path, extra_env={"DATABASE_URL": postgres.url}) as dashboard:
        assert not (tmp_path / "dashboard.sqlite3").exists()  # PostgreSQL, not the default
        cookie = await asyncio.to_thread(dashboard.log_in)
        async with httpx.AsyncClient(base_url=dashboard.url, headers={"Cookie": cookie}) as client:

            async def exported() -> str | None:
                text = (await client.get("/trades.csv")).text
                return text if text.count("\n") == 4 else None  # a header and three trades

            csv_text = await eventually(exported, timeout=10, interval=0.1, what="three trades recorded")
    for envelope in published:
        assert str(envelope.event.event_id) in csv_text


async def test_a_trade_postgresql_refuses_is_quarantined_and_recording_goes_on(
    postgres: PostgresServer, redis_server: RedisServer, tmp_path: Path
) -> None:
    async with RedisBus.connect(redis_server.url) as bus:
        await bus.publish(trade(1).model_copy(update={"price": Decimal("1e20")}))  # numeric overflow
        await bus.publish(trade(2).model_copy(update={"order_id": "x" * 129}))  # value too long
        fine = await bus.publish(trade(3))
    with DashboardProcess(redis_server.url, tmp_path, extra_env={"DATABASE_URL": postgres.url}) as dashboard:
        cookie = await asyncio.to_thread(dashboard.log_in)
        async with httpx.AsyncClient(base_url=dashboard.url, headers={"Cookie": cookie}) as client:

            async def quarantined() -> bool:
                return "tradewire_recorder_quarantined_total 2.0" in (await client.get(recorder_metrics)).text

            recorder_metrics = f"{dashboard.recorder_url}/metrics"
            await eventually(quarantined, timeout=10, interval=0.1, what="two trades quarantined")
            csv_text = (await client.get("/trades.csv")).text
            metrics = (await client.get(recorder_metrics)).text
        log = dashboard.log_path.read_text(errors="replace")
    assert str(fine.event.event_id) in csv_text and csv_text.count("\n") == 2
    assert "tradewire_recorder_restarts_total 0.0" in metrics
    assert log.count("recorder quarantined trade") == 2
