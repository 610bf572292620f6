"""`python -m tradewire_dashboard serve` as a real process: credentials, access rules on the WebSocket.

The module's dashboard runs on one Redis, then on the Redis Cluster (conftest: `redis_for_module`)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tradewire_bus import RedisBus
from tradewire_testing import LocalCluster, RedisServer
from tradewire_testing.dashboard_process import DashboardProcess

from .test_consumer import status

pytestmark = pytest.mark.redis


@pytest.fixture
async def session_cookie(dashboard: DashboardProcess) -> str:
    return await asyncio.to_thread(dashboard.log_in)


def ws_url(dashboard: DashboardProcess) -> str:
    return f"ws://127.0.0.1:{dashboard.port}/ws/control/"


@pytest.mark.one_redis("the start-up banner; nothing on the bus")
def test_serve_prints_the_demo_credentials(dashboard: DashboardProcess) -> None:
    log = Path(dashboard.log_path).read_text()
    assert f"log in as  {dashboard.username}" in log
    assert f"password   {dashboard.password}" in log
    assert f"http://127.0.0.1:{dashboard.port}/" in log


async def test_a_logged_in_browser_from_our_origin_gets_the_status(
    dashboard: DashboardProcess, redis_for_module: RedisServer | LocalCluster, session_cookie: str
) -> None:
    async with RedisBus.connect(redis_for_module.url) as bus:
        await bus.publish(status("running", bot="served"))
    origin = dashboard.url.replace("127.0.0.1", "localhost")
    async with connect(ws_url(dashboard), origin=origin, additional_headers={"Cookie": session_cookie}) as ws:  # type: ignore[arg-type]
        message = json.loads(await ws.recv())
    assert (message["type"], message["bot_id"], message["data"]["status"]) == ("status", "served", "running")


@pytest.mark.one_redis("refused at the handshake, before the bus is asked")
async def test_a_websocket_from_a_foreign_origin_is_refused(dashboard: DashboardProcess, session_cookie: str) -> None:
    headers = {"Cookie": session_cookie}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(dashboard), origin="http://evil.example", additional_headers=headers):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.one_redis("closed at login, before the bus is asked")
async def test_a_websocket_without_a_session_is_closed_as_login_required(dashboard: DashboardProcess) -> None:
    async with connect(ws_url(dashboard), origin=dashboard.url) as ws:  # type: ignore[arg-type]
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()  # nothing comes before the close
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


@pytest.mark.one_redis("frame limits, checked before the bus is asked")
async def test_an_oversized_command_gets_an_error_and_a_huge_frame_closes_with_1009(
    dashboard: DashboardProcess, session_cookie: str
) -> None:
    headers = {"Cookie": session_cookie}
    async with connect(ws_url(dashboard), origin=dashboard.url, additional_headers=headers) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"command": "request_status", "bot_id": "x", "pad": "y" * 10_000}))
        reply = json.loads(await ws.recv())
        while reply["type"] != "error":
            reply = json.loads(await ws.recv())
        assert "larger than the 4096 allowed" in reply["data"]["message"]
        await ws.send("z" * 100_000)
        with pytest.raises(ConnectionClosedError) as closed:
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_metrics_expose_the_runtime_counters(dashboard: DashboardProcess) -> None:
    body = httpx.get(f"{dashboard.url}/metrics").text
    assert "tradewire_dashboard_connections " in body
    assert "tradewire_hub_relayed_total " in body
    assert "tradewire_bus_garbage_total " in body
    assert "tradewire_recorder_" not in body  # the recorder is its own process, with its own metrics


def test_the_recorder_process_answers_its_health_check_and_metrics(dashboard: DashboardProcess) -> None:
    assert httpx.get(f"{dashboard.recorder_url}/healthz").status_code == 200
    body = httpx.get(f"{dashboard.recorder_url}/metrics").text
    assert "tradewire_recorder_recorded_total " in body
    assert "tradewire_hub_clients 1.0" in body  # the recorder is its Hub's one client
    assert httpx.get(f"{dashboard.recorder_url}/admin/").status_code == 404


def test_the_recorder_runs_at_a_lower_cpu_priority_than_the_serving_process(dashboard: DashboardProcess) -> None:
    """On shared cores its batches must not preempt the process writing frames to browsers (issue 20)."""
    assert dashboard.pid is not None and dashboard.recorder_pid is not None
    serving = os.getpriority(os.PRIO_PROCESS, dashboard.pid)
    assert os.getpriority(os.PRIO_PROCESS, dashboard.recorder_pid) == min(19, serving + 10)
    # And below every normal process, not only weighted less: a waking `serve` preempts it at once.
    assert os.sched_getscheduler(dashboard.pid) == os.SCHED_OTHER
    assert os.sched_getscheduler(dashboard.recorder_pid) == os.SCHED_IDLE


async def test_daphne_serves_the_same_application(redis_server: RedisServer, tmp_path: Path) -> None:
    # One Redis: the ASGI server is what differs here; the bus path is uvicorn's, run on both above.
    async with RedisBus.connect(redis_server.url) as bus:
        await bus.publish(status("running", bot="on-daphne"))
    with DashboardProcess(redis_server.url, tmp_path, server="daphne") as daphne:
        cookie = await asyncio.to_thread(daphne.log_in)
        async with httpx.AsyncClient(base_url=daphne.url, headers={"Cookie": cookie}) as client:
            assert "dashboard-config" in (await client.get("/")).text
        async with connect(ws_url(daphne), origin=daphne.url, additional_headers={"Cookie": cookie}) as ws:  # type: ignore[arg-type]
            message = json.loads(await ws.recv())
        assert "(daphne," in daphne.log()
    assert (message["type"], message["bot_id"]) == ("status", "on-daphne")


def test_the_redis_password_never_reaches_the_log(tmp_path: Path) -> None:
    # Issue 17, finding 4: the dashboard printed and logged its Redis URL with the password in clear.
    # One Redis with an ACL user: the cluster's URL is written by the same function.
    password = "s3cret-redis-password"
    with RedisServer(acl=f"user dashboard on >{password} ~* &* +@all") as server:
        url = server.url_for("dashboard", password)
        with DashboardProcess(url, tmp_path) as served:
            assert httpx.get(f"{served.url}/metrics").status_code == 200  # the runtime is connected
            log = served.log_path.read_text(errors="replace")
    assert "dashboard:***@127.0.0.1" in log
    assert password not in log
