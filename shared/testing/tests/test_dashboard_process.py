"""DashboardProcess leaves no child behind when it cannot start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tradewire_testing import RedisServer
from tradewire_testing.dashboard_process import DashboardProcess
from tradewire_testing.waiting import eventually_sync

pytestmark = pytest.mark.redis


class Watched(DashboardProcess):
    """Remembers every child it waited for, to look for them after the failed start."""

    seen: list[int]

    def _wait_for(self, process: subprocess.Popen[bytes], *args: object) -> None:
        self.seen.append(process.pid)
        super()._wait_for(process, *args)  # type: ignore[arg-type]


def running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_recorder_that_cannot_start_leaves_no_serving_process_behind(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    dashboard = Watched(redis_server.url, tmp_path / "dashboard")
    dashboard.seen = []
    try:
        # Another program holds the recorder's port: `serve` starts, then `record` cannot bind and exits.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", dashboard.recorder_port))
            taken.listen()
            with pytest.raises(RuntimeError, match="record"), dashboard:
                pytest.fail("the dashboard started although its recorder's port was taken")
        assert len(dashboard.seen) == 2, f"expected serve then record: {dashboard.log()}"
        assert dashboard.pid is None and dashboard.recorder_pid is None
        eventually_sync(
            lambda: not any(running(pid) for pid in dashboard.seen), timeout=20, interval=0.1, what="no child left"
        )
    finally:
        for pid in dashboard.seen:  # only if the test failed: never leave its own children running
            if running(pid):
                os.kill(pid, signal.SIGKILL)
