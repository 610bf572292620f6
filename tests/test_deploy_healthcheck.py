"""The images' HEALTHCHECK commands, run natively against the services started with their image CMD.

No container runs here, so this is the nearest proof that the checks work: each Dockerfile's CMD and
HEALTHCHECK are read from the file, `python` becomes this interpreter, and container paths become
the repository files the Dockerfile copies there. Unhealthy before the service runs, healthy once it
serves, and (for the trader) unhealthy again once its heartbeats stop.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tradewire_stack import compose_project, dockerfile
from tradewire_testing import RedisServer, eventually_sync, free_port
from tradewire_testing.processes import service_environment, spawn

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[1]


def native(service: str, keyword: str) -> list[str]:
    """The runtime stage's CMD or HEALTHCHECK command, with host paths for the files it copied in."""
    final = dockerfile.parse(ROOT / "deploy" / service / "Dockerfile")[-1]
    instruction = final.last(keyword)
    assert instruction is not None, f"{service}: no {keyword}"
    copied = {}
    for copy in final.all("COPY"):
        words = copy.words()
        if not any(word.startswith("--from") for word in words):
            copied[words[-1]] = str(ROOT / words[-2])
    command = instruction.exec_form()
    assert command[0] == "python"
    return [sys.executable, *(copied.get(word, word) for word in command[1:])]


def healthy(service: str, env: dict[str, str], cwd: Path) -> bool:
    result = subprocess.run(native(service, "HEALTHCHECK"), env=env, cwd=cwd, capture_output=True, timeout=30)
    return result.returncode == 0


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def start(service: str, env: dict[str, str], cwd: Path, processes: list[subprocess.Popen[bytes]]) -> None:
    processes.append(spawn(native(service, "CMD"), env, cwd / f"{service}.log"))


def log_of(service: str, cwd: Path) -> str:
    return (cwd / f"{service}.log").read_text(errors="replace")[-3000:]


@pytest.mark.parametrize("service", ["gateway", "dashboard"])
def test_http_health_check_turns_healthy_when_the_service_serves(
    service: str, redis_server: RedisServer, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    prefix = service.upper()
    env = service_environment(
        REDIS_URL=redis_server.url,
        **{
            f"{prefix}_PORT": str(free_port()),
            f"{prefix}_LOG_LEVEL": "warning",
            "DASHBOARD_DATA_DIR": str(tmp_path / "dashboard"),
            "GATEWAY_TOKENS": '[{"name": "ops", "token": "health-check-test-token", "scopes": ["read"]}]',
        },
    )
    assert not healthy(service, env, tmp_path), "healthy before anything listens"
    start(service, env, tmp_path, started)
    eventually_sync(
        lambda: healthy(service, env, tmp_path), timeout=60, interval=0.2, what=f"{service} health check passing"
    )
    assert started[0].poll() is None, log_of(service, tmp_path)


def test_the_recorders_health_check_turns_healthy_once_it_records(
    redis_server: RedisServer, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    # The recorder runs the dashboard's image with its own command and health check (compose).
    project = compose_project.load(ROOT / "deploy" / "compose.yaml")
    spec = project.services["recorder"].spec
    test = spec["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"]
    # What podman's Docker API runs (it joins the words and splits them at blanks): the same command.
    assert as_podman_runs_it(test) == test
    check = [sys.executable, *test[2:]]
    env = service_environment(
        REDIS_URL=redis_server.url,
        DASHBOARD_PORT=str(free_port()),
        DASHBOARD_RECORDER_PORT=str(free_port()),
        DASHBOARD_LOG_LEVEL="warning",
        DASHBOARD_DATA_DIR=str(tmp_path / "dashboard"),
    )

    def recorder_healthy() -> bool:
        return subprocess.run(check, env=env, cwd=tmp_path, capture_output=True, timeout=30).returncode == 0

    started.append(spawn([sys.executable, *spec["command"][1:]], env, tmp_path / "recorder.log"))
    assert not recorder_healthy(), "healthy before the dashboard migrated the database"
    start("dashboard", env, tmp_path, started)  # `serve` migrates; the recorder waits for it
    eventually_sync(recorder_healthy, timeout=60, interval=0.2, what="recorder health check passing")
    assert started[0].poll() is None, log_of("recorder", tmp_path)


def as_podman_runs_it(test: list[str]) -> list[str]:
    """An exec-form compose health check as podman's Docker-compatible API stores it (podman 4 and 5:
    `strings.Join(Test, " ")`, then `strings.Fields` when the first word is CMD)."""
    joined = " ".join(test)
    return joined.split() if test[0] == "CMD" else test


def test_every_compose_health_check_runs_the_same_under_podman() -> None:
    # The recorder's check was `python -c "import urllib.request; ..."`: podman ran `python -c import`,
    # so the recorder never turned healthy in the container stack although it recorded.
    checked = 0
    for file in ("compose.yaml", "compose.cluster.yaml"):
        for name, service in compose_project.load(ROOT / "deploy" / file).services.items():
            test = service.spec.get("healthcheck", {}).get("test")
            if isinstance(test, list) and test[0] == "CMD":
                checked += 1
                assert as_podman_runs_it(test) == test, f"{file} {name}: a word of its health check holds a blank"
    assert checked, "no exec-form health check found: the recorder's is one"


def test_the_recorders_probe_says_why_it_is_unhealthy(tmp_path: Path) -> None:
    env = service_environment(DASHBOARD_RECORDER_PORT=str(free_port()))
    result = subprocess.run(
        [sys.executable, "-m", "tradewire_dashboard.probe", "recorder"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "recorder unhealthy" in result.stderr and "/healthz" in result.stderr


def test_trader_health_check_follows_the_heartbeats_on_the_bus(
    redis_server: RedisServer, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    env = service_environment(
        REDIS_URL=redis_server.url,
        TRADER_BOT_ID="healthy",
        TRADER_HEARTBEAT_S="0.3",
        TRADER_STATE_FILE=str(tmp_path / "healthy.sqlite3"),
    )
    assert not healthy("trader", env, tmp_path), "healthy before the bot ever ran"
    start("trader", env, tmp_path, started)
    eventually_sync(
        lambda: healthy("trader", env, tmp_path),
        timeout=30,
        interval=0.2,
        what="trader heartbeats seen by the health check",
    )
    started[0].send_signal(signal.SIGTERM)
    assert started[0].wait(timeout=20) == 0, log_of("trader", tmp_path)
    eventually_sync(
        lambda: not healthy("trader", env, tmp_path),
        timeout=30,
        interval=0.2,
        what="health check failing once the heartbeats stopped",
    )


def test_trader_health_check_fails_when_redis_is_unreachable(tmp_path: Path) -> None:
    env = service_environment(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", TRADER_BOT_ID="nobody")
    result = subprocess.run(
        native("trader", "HEALTHCHECK"), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "cannot read the bus" in result.stderr


def test_notifier_health_check_turns_healthy_when_it_serves_its_metrics(
    redis_server: RedisServer, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    env = service_environment(
        REDIS_URL=redis_server.url,
        NOTIFIER_METRICS_PORT=str(free_port()),
        NOTIFIER_STATE_FILE=str(tmp_path / "notifier.sqlite3"),
        NOTIFIER_DESTINATIONS='[{"kind": "slack", "name": "s", "url": "http://127.0.0.1:9/hook"}]',
    )
    assert not healthy("notifier", env, tmp_path), "healthy before anything listens"
    start("notifier", env, tmp_path, started)
    eventually_sync(lambda: healthy("notifier", env, tmp_path), timeout=60, interval=0.2, what="notifier healthy")
    assert started[0].poll() is None, log_of("notifier", tmp_path)
