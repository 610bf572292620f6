"""`python -m tradewire_gateway` as an operator runs it: settings from the environment, uvicorn, quick-start token."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from tradewire_testing import RedisServer, eventually_sync, free_port


@pytest.fixture
def gateway_process(redis_server: RedisServer) -> Iterator[tuple[subprocess.Popen[str], int, list[str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update({"GATEWAY_PORT": str(port), "REDIS_URL": redis_server.url})
    process = subprocess.Popen(
        [sys.executable, "-m", "tradewire_gateway"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        yield process, port, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_without_tokens_it_logs_a_generated_control_token_that_works(
    gateway_process: tuple[subprocess.Popen[str], int, list[str]],
) -> None:
    process, port, lines = gateway_process
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/readyz").status_code == 200
        except httpx.TransportError:
            return False

    eventually_sync(ready, timeout=20, what="gateway process ready")
    found = re.search(r"Authorization: Bearer (\S+)'", "".join(lines))
    assert found, "".join(lines)
    token = found.group(1)
    assert httpx.get(f"{url}/api/v1/bots", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(f"{url}/api/v1/bots").status_code == 401

    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells who stopped it.
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)
    eventually_sync(lambda: "Application shutdown complete" in "".join(lines), what="graceful shutdown logged")
