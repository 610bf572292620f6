"""`python -m tradewire_gateway` as an operator runs it: settings from the environment, flags over them, uvicorn,
quick-start token."""

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

from tradewire_gateway.__main__ import main, parser, settings_from
from tradewire_testing import eventually_sync, free_port


def test_help_prints_usage_and_exits_without_serving(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--help"])
    assert raised.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m tradewire_gateway")


@pytest.mark.parametrize("argv", [["--bogus"], ["serve"], ["--port", "http"]])
def test_unknown_flags_and_arguments_are_refused_before_serving(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2


def test_flags_override_the_environment_and_the_rest_still_comes_from_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_HOST", "10.0.0.1")
    monkeypatch.setenv("GATEWAY_PORT", "8100")
    settings = settings_from(parser().parse_args(["--port", "9000"]))
    assert (settings.host, settings.port) == ("10.0.0.1", 9000)


def test_an_invalid_setting_exits_2_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "70000"]) == 2
    assert "invalid settings" in capsys.readouterr().err


def test_a_short_token_is_refused_without_being_echoed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 17, finding 10: pydantic's message quoted the token itself.
    monkeypatch.setenv("GATEWAY_TOKENS", '[{"name": "ops", "token": "short-secret", "scopes": ["read"]}]')
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "tokens.0.token" in err and "16" in err
    assert "short-secret" not in err


@pytest.fixture
def gateway_process(any_redis_url: str) -> Iterator[tuple[subprocess.Popen[str], int, list[str]]]:
    """The gateway as a process from its environment alone: REDIS_URL names one Redis, then a cluster node."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update({"GATEWAY_PORT": str(port), "REDIS_URL": any_redis_url})
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
