"""The images and deploy/compose.yaml, built and run for real: a trade from the trader's container
reaches a WebSocket client of the gateway's container and a logged-in dashboard page; a stop sent
through the gateway stops the bot; the dashboard's recorder writes the trade to the PostgreSQL
container; `down -v` leaves nothing behind. Then all of it again on the Redis Cluster of
deploy/compose.cluster.yaml (six nodes joined by its one-shot job, with its cluster ACL), with the
images built once.

The engine is a Docker Engine when one answers, else a private podman (root, Debian's podman and
runc); bases that no registry serves are stand-ins built from Debian's packages (tradewire_stack.bases).
The stack publishes no port: it shares one private network namespace, reached through relays
(tradewire_stack.relay). Run alone with `./tw stack-test`; every step logs its time.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright
from websockets.asyncio.client import ClientConnection, connect

from tradewire_stack import bases, images
from tradewire_stack.__main__ import home
from tradewire_stack.engine import Engine, EngineMissing, engine
from tradewire_stack.relay import Relay
from tradewire_stack.stack import Stack
from tradewire_stack.steps import step
from tradewire_testing import eventually_sync
from tradewire_testing.chromium import CHROMIUM, CHROMIUM_ARGS
from tradewire_testing.redis_acl import service_users

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1200)]

BOT = "stack"
REDIS_DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "redis"
ACL_EXAMPLES = {"single": REDIS_DEPLOY / "users.acl.example", "cluster": REDIS_DEPLOY / "users.cluster.acl.example"}
TOKEN = "stack-test-control-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEMO_PASSWORD = "stack-test-demo-password"
DB_PASSWORD = "stack-test-db-password"
NEEDS = ("socat", "nsenter", CHROMIUM)

ENV_FILES = {
    "tradewire.env": {
        "POSTGRES_USER": "tradewire",
        "POSTGRES_PASSWORD": DB_PASSWORD,
        "POSTGRES_DB": "tradewire",
        "DATABASE_URL": f"postgresql://tradewire:{DB_PASSWORD}@postgres:5432/tradewire",
    },
    # Fast market time and short SMA windows: a trade within seconds of the start.
    "trader.env": {
        "TRADER_BOT_ID": BOT,
        "TRADER_SPEED": "3000",
        "TRADER_FAST": "2",
        "TRADER_SLOW": "3",
        "TRADER_HEARTBEAT_S": "1",
    },
    "gateway.env": {"GATEWAY_TOKENS": json.dumps([{"name": "ops", "token": TOKEN, "scopes": ["read", "control"]}])},
    "dashboard.env": {
        "DASHBOARD_ALLOWED_HOSTS": '["localhost", "127.0.0.1"]',
        # The test logs in as the demo user; production leaves demo mode off.
        "DASHBOARD_DEMO": "true",
        "DASHBOARD_DEMO_PASSWORD": DEMO_PASSWORD,
    },
}


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must install it (.ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def container_engine() -> Iterator[Engine]:
    missing = [tool for tool in NEEDS if shutil.which(tool) is None]
    if missing:
        unavailable(f"{', '.join(missing)} missing")
    try:
        with engine(home(), os.environ.get("TW_STACK_ENGINE", "auto")) as chosen:
            yield chosen
    except EngineMissing as error:
        unavailable(str(error))


@pytest.fixture(scope="module")
def built(container_engine: Engine) -> list[images.Built]:
    with step("bases"):
        found = bases.ensure_all(container_engine)
    print("\n".join(f"stack: base {b.name}: {b.origin}" for b in found))
    made = images.build_all(container_engine)
    print(images.table(made))
    return made


def write_env_files(folder: Path, variant: str) -> str:
    """The env files and Redis's ACL file (and on a cluster its replication password, returned)."""
    # Redis runs with the ACL users of deploy/redis/users*.acl.example, fresh passwords for this run;
    # each service reaches it as its own user.
    users = service_users(ACL_EXAMPLES[variant], BOT)
    (folder / "users.acl").write_text(users.acl)
    cluster_password = users.passwords.pop("cluster", "")
    (folder / "cluster.password").write_text(cluster_password)
    urls = {
        f"{service}.env": {f"{service.upper()}_REDIS_URL": users.url(service, host="redis")}
        for service in users.passwords
    }
    for name, values in ENV_FILES.items():
        # Compose reads env files literally: JSON values need no quoting beyond their own.
        lines = {**values, **urls.get(name, {})}
        (folder / name).write_text("".join(f"{key}={value}\n" for key, value in lines.items()))
    return cluster_password


def cluster_formed(stack: Stack, password: str) -> dict[str, str]:
    """The cluster as its first node sees it: state, size, and each node's role and announced name."""
    auth = ("redis-cli", "--user", "cluster", "--pass", password, "--no-auth-warning")
    info = dict(
        line.split(":", 1) for line in stack.exec("redis", *auth, "cluster", "info").splitlines() if ":" in line
    )
    # CLUSTER NODES: "<id> <ip>:<port>@<bus port>,<hostname> <flags> ...", the hostname being what the
    # node announces and clients are told to use.
    nodes = [line.split() for line in stack.exec("redis", *auth, "cluster", "nodes").splitlines() if line.strip()]
    roles = [node[2].split(",")[-1] for node in nodes]
    return {
        "state": info["cluster_state"].strip(),
        "masters": str(roles.count("master")),
        "replicas": str(roles.count("slave")),
        "hostnames": " ".join(sorted(node[1].partition(",")[2] for node in nodes)),
    }


async def next_frame(ws: ClientConnection, wanted: Any, timeout: float = 60) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if wanted(frame):
                return frame


async def logged_in_page(page: Page, url: str) -> None:
    await page.add_init_script(f"localStorage.setItem('tradewire.bot', {BOT!r});")
    await page.goto(f"{url}/")
    await page.fill("#id_username", "demo")
    await page.fill("#id_password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}/")
    await page.wait_for_selector("#connection[data-state=live]")


async def scenario(stack: Stack, gateway: Relay, dashboard: Relay) -> str:
    """The trade the clients saw; asserts the path of a trade and of a stop through the containers."""
    ws_url = gateway.url.replace("http://", "ws://") + f"/ws?bots={BOT}&types=trade_executed,status_change"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        with step("dashboard page logged in and live"):
            await logged_in_page(page, dashboard.url)
        # The WebSocket client joins once the page is live: a trade it hears is then one the page gets
        # live too. Joined before the login (seconds earlier, at about eight trades a second), its first
        # trade could be older than the 50 recent trades the page renders, and never shown.
        async with connect(ws_url, additional_headers=AUTH) as ws:
            with step("a trade from the trader's container reaches the gateway's WebSocket client"):
                trade = await next_frame(ws, lambda f: f["type"] == "trade_executed")
            event_id = trade["data"]["event_id"]
            assert trade["bot_id"] == BOT
            with step("... and the dashboard page"):
                await page.wait_for_selector(f'#trades tr[data-event-id="{event_id}"]', timeout=30_000)
            with step("stop_bot through the gateway"):
                async with httpx.AsyncClient(base_url=gateway.url, headers=AUTH, timeout=30) as http:
                    answer = await http.post(f"/api/v1/bots/{BOT}/commands", json={"command": "stop_bot"})
                assert answer.status_code == 200, answer.text
                assert answer.json()["outcome"] == "completed"
                stopped = await next_frame(
                    ws, lambda f: f["type"] == "status_change" and f["data"]["status"] == "stopped"
                )
                assert stopped["data"]["actor"] == "ops"
                await page.wait_for_selector("#status-badge[data-status=stopped]", timeout=30_000)
        await browser.close()
    return str(event_id)


def recorded(stack: Stack, event_id: str) -> bool:
    query = f"SELECT count(*) FROM dashboard_trade WHERE event_id = '{event_id}'"
    return stack.exec("postgres", "psql", "-U", "tradewire", "-d", "tradewire", "-Atc", query).strip() == "1"


@pytest.mark.parametrize("variant", ["single", "cluster"])
def test_the_images_run_the_stack_a_trade_reaches_every_client_and_a_stop_stops_the_bot(
    container_engine: Engine, built: list[images.Built], tmp_path: Path, variant: str
) -> None:
    assert {"trader", "gateway", "dashboard"} <= {b.service for b in built}
    cluster_password = write_env_files(tmp_path, variant)
    stack = Stack(container_engine, tmp_path, cluster=variant == "cluster")
    try:
        stack.up()
        if variant == "cluster":
            with step("the cluster formed: three masters, three replicas, each named by its service"):
                assert cluster_formed(stack, cluster_password) == {
                    "state": "ok",
                    "masters": "3",
                    "replicas": "3",
                    "hostnames": "redis redis-2 redis-3 redis-4 redis-5 redis-6",
                }
        pid = stack.network_pid()
        with Relay(pid, 8002, tmp_path) as gateway, Relay(pid, 8001, tmp_path) as dashboard:
            event_id = asyncio.run(scenario(stack, gateway, dashboard))
        with step("the recorder wrote the trade to the PostgreSQL container"):
            eventually_sync(lambda: recorded(stack, event_id), timeout=30, interval=0.5, what="the trade in PostgreSQL")
    except BaseException:
        print(stack.logs())  # the services' own account of what went wrong
        raise
    finally:
        stack.down()
    assert stack.containers, "compose started no container"
    assert stack.leftovers() == []
