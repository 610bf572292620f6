"""The real service processes a test starts: their environment, their launch with a log file, and
their end (politely first, as their users would)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

# Settings a developer's shell may hold for the services; a test's child process must not inherit them.
SERVICE_SETTINGS = ("TRADER_", "GATEWAY_", "DASHBOARD_", "NOTIFIER_", "REDIS_URL", "DATABASE_URL")


def service_environment(redis_url: str | None = None, **settings: str) -> dict[str, str]:
    """This environment without any service setting of its own, then `REDIS_URL` and `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(SERVICE_SETTINGS)}
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env | settings


def fast_trader_settings(bot_id: str, state_dir: Path) -> dict[str, str]:
    """A trader on synthetic candles at 3000 market seconds a second with SMA 2/3: a trade every few
    candles, so there is traffic to follow; heartbeats twice a second."""
    return {
        "TRADER_BOT_ID": bot_id,
        "TRADER_SPEED": "3000",
        "TRADER_FAST": "2",
        "TRADER_SLOW": "3",
        "TRADER_HEARTBEAT_S": "0.5",
        "TRADER_STATE_FILE": str(state_dir / f"{bot_id}.sqlite3"),
    }


def spawn(argv: Sequence[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process in the log's folder, its output appended to `log` (a restart adds to it)."""
    with log.open("ab") as sink:
        return subprocess.Popen(list(argv), env=dict(env), cwd=log.parent, stdout=sink, stderr=subprocess.STDOUT)


def stop_gracefully(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM, wait; SIGKILL only if it would not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
