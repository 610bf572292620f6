"""The notifier as deployed: a real notifier process and a real trader on one redis-server, with local
servers that speak each destination's real format (services/notifier/tests/notifier_servers.py): a
webhook receiver that checks the HMAC signature, a Telegram Bot API stub, Discord and Slack webhooks
and an SMTP server (aiosmtpd). Nothing in the trader knows the notifier exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tradewire_bus import RedisBus
from tradewire_schemas import StatusChanged, StopBot, TradeExecuted
from tradewire_stack import entrypoints
from tradewire_testing import RedisServer, eventually, free_port
from tradewire_testing.notifier_servers import ChatWebhook, Mailbox, TelegramStub, WebhookReceiver, smtp_server
from tradewire_testing.processes import fast_trader_settings, service_environment, spawn, stop_gracefully

pytestmark = pytest.mark.redis

BOT = "notified"
SECRET = "notifier-test-webhook-secret"
ALLOWED_CHAT, STRANGER_CHAT = 42, 666


@dataclass
class Destinations:
    webhook: WebhookReceiver
    telegram: TelegramStub
    discord: ChatWebhook
    slack: ChatWebhook
    mailbox: Mailbox
    smtp_port: int

    def config(self, topics: list[str], batch_window_s: float = 0.3) -> list[dict[str, Any]]:
        # Fast retries and a short batch window keep the test quick; the rules are what a user would write.
        delivery = {
            "batch_window_s": batch_window_s,
            "retry_min_s": 0.1,
            "retry_max_s": 0.5,
            "per_minute": 600,
            "burst": 20,
        }
        common = {"rules": {"bots": [BOT, "burst"], "topics": topics}, "delivery": delivery}
        return [
            {"kind": "webhook", "name": "hook", "url": self.webhook.url, "secret": SECRET, **common},
            {
                "kind": "telegram",
                "name": "tg",
                "token": self.telegram.token,
                "base_url": self.telegram.base_url,
                "chat_ids": [ALLOWED_CHAT],
                "command_chat_ids": [ALLOWED_CHAT],
                "poll_timeout_s": 1,
                **common,
            },
            {"kind": "discord", "name": "discord", "url": self.discord.url, **common},
            {"kind": "slack", "name": "slack", "url": self.slack.url, **common},
            {
                "kind": "email",
                "name": "mail",
                "host": "127.0.0.1",
                "port": self.smtp_port,
                "starttls": False,
                "sender": "tradewire@example.org",
                "recipients": ["trader@example.org"],
                **common,
            },
        ]

    def notice_counts(self) -> dict[str, int]:
        """Notices each destination received: a summary counts as its N, any other message as one."""

        def count(texts: list[str]) -> int:
            return sum(int(t.split()[0]) if t.split()[1:2] == ["notifications"] else 1 for t in texts)

        mails = [str(m["Subject"]).removeprefix("[tradewire] ") for m in self.mailbox.messages]
        return {
            "hook": len(self.webhook.event_ids()),
            "tg": count([t for t in self.telegram.texts(ALLOWED_CHAT) if "(paper)" in t or "notifications" in t]),
            "discord": count(self.discord.texts),
            "slack": count(self.slack.texts),
            "mail": count(mails),
        }


@pytest.fixture
async def destinations() -> AsyncIterator[Destinations]:
    webhook, telegram = WebhookReceiver(SECRET), TelegramStub()
    discord, slack = ChatWebhook("discord"), ChatWebhook("slack")
    for server in (webhook, telegram, discord, slack):
        await server.up()
    with smtp_server() as (port, mailbox):
        yield Destinations(webhook, telegram, discord, slack, mailbox, port)
    for server in (webhook, telegram, discord, slack):
        await server.down()


class Notifier:
    def __init__(self, redis_url: str, tmp_path: Path, destinations: list[dict[str, Any]]) -> None:
        self.metrics_port = free_port()
        self.env = service_environment(redis_url) | {
            "NOTIFIER_DESTINATIONS": json.dumps(destinations),
            "NOTIFIER_STATE_FILE": str(tmp_path / "notifier.sqlite3"),
            "NOTIFIER_METRICS_PORT": str(self.metrics_port),
            "NOTIFIER_DASHBOARD_URL": "http://127.0.0.1:8001",
            "NOTIFIER_LOG_LEVEL": "debug",
        }
        self.tmp_path = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        # The image's command (tradewire_stack.entrypoints; tests/test_deploy_entrypoint.py compares the two).
        self.process = spawn([sys.executable, "-m", "tradewire_notifier"], self.env, self.tmp_path / "notifier.log")
        await eventually(lambda: self.metric("tradewire_notifier_bus_subscribed") == 1, timeout=40, what="subscribed")

    def stop(self) -> None:
        if self.process is not None:
            stop_gracefully(self.process)
            assert self.process.returncode == 0, self.log()

    def log(self) -> str:
        return (self.tmp_path / "notifier.log").read_text(errors="replace")

    def metric(self, name: str, **labels: str) -> float | None:
        assert self.process is not None and self.process.poll() is None, self.log()
        try:
            text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return None
        total = None
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    total = (total or 0) + sample.value
        return total


@asynccontextmanager
async def notifier(redis_url: str, tmp_path: Path, config: list[dict[str, Any]]) -> AsyncIterator[Notifier]:
    running = Notifier(redis_url, tmp_path, config)
    await running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def start_trader(redis_server: RedisServer, tmp_path: Path) -> Iterator[Callable[[], None]]:
    env = service_environment(redis_server.url, **fast_trader_settings(BOT, tmp_path))
    processes = []

    def start() -> None:
        processes.append(spawn(entrypoints.native_argv("trader"), env, tmp_path / "trader.log"))

    yield start
    for process in processes:
        stop_gracefully(process)


async def trade_ids(redis_url: str, bot: str = BOT) -> list[str]:
    async with RedisBus.connect(redis_url) as bus:
        return [str(item.event.event_id) async for item in bus.replay(bot) if isinstance(item.event, TradeExecuted)]


async def status(redis_url: str) -> StatusChanged | None:
    async with RedisBus.connect(redis_url) as bus:
        return (await bus.snapshot(BOT)).status


async def stop_trading(redis_url: str) -> None:
    async with RedisBus.connect(redis_url) as bus:
        result = await bus.send_command(StopBot(bot_id=BOT, actor="test"), timeout=30)
        assert result.outcome == "completed"


async def test_trades_reach_each_destination_once_even_across_a_restart(
    redis_server: RedisServer, tmp_path: Path, destinations: Destinations, start_trader: Callable[[], None]
) -> None:
    config = destinations.config(["trade_entry", "trade_exit"])
    async with notifier(redis_server.url, tmp_path, config) as first:
        start_trader()  # after the notifier's first start: it reports every trade from then on
        await eventually(lambda: destinations.webhook.event_ids(), timeout=30, what="a first trade at the webhook")
        await eventually(lambda: first.metric("tradewire_notifier_delivered_total", destination="tg"), timeout=30)
    # Trades go on while the notifier is away; the restart resumes after its stored cursor.
    ids_before_restart = set(await trade_ids(redis_server.url))
    await eventually(lambda: trade_count_above(redis_server.url, len(ids_before_restart)), timeout=30)
    async with notifier(redis_server.url, tmp_path, config) as second:
        await stop_trading(redis_server.url)
        traded = await trade_ids(redis_server.url)
        await eventually(lambda: sorted(destinations.webhook.event_ids()) == sorted(traded), timeout=40, what="all")
        expected = {name: len(traded) for name in ("hook", "tg", "discord", "slack", "mail")}
        await eventually(lambda: destinations.notice_counts() == expected, timeout=40, what=f"{expected}")
        assert second.metric("tradewire_notifier_dead_lettered_total") is None
    hook = destinations.webhook
    assert len(hook.event_ids()) == len(set(hook.event_ids())), "a trade reached the webhook twice"
    assert hook.rejected == 0
    assert len(hook.keys) == len(set(hook.keys))
    # Each trade reached the webhook alone or inside a summary (a loaded machine can bunch them into one
    # window): either way its notice links to the bot's trades and names the money.
    notices = [body for body in hook.accepted if body["kind"] == "notice"]
    notices += [notice for body in hook.accepted if body["kind"] == "summary" for notice in body["notices"]]
    assert len(notices) == len(traded)
    for notice in notices:
        assert notice["url"] == f"http://127.0.0.1:8001/trades/?bot={BOT}" and "USDT" in notice["text"]


async def trade_count_above(redis_url: str, count: int) -> bool:
    return len(await trade_ids(redis_url)) > count


async def test_a_burst_of_200_trades_is_one_summary_per_destination(
    redis_server: RedisServer, tmp_path: Path, destinations: Destinations
) -> None:
    config = destinations.config(["trade_exit"], batch_window_s=2.0)  # longer than publishing 200 takes
    async with notifier(redis_server.url, tmp_path, config) as running:
        async with RedisBus.connect(redis_server.url) as bus:
            for i in range(200):
                await bus.publish(burst_trade(i))
        await eventually(lambda: destinations.notice_counts() == dict.fromkeys(COUNTS, 200), timeout=40)
        assert running.metric("tradewire_notifier_sends_total", destination="hook", shape="summary", outcome="ok") == 1
    assert [body["count"] for body in destinations.webhook.accepted] == [200]
    for texts in (destinations.telegram.texts(ALLOWED_CHAT), destinations.discord.texts, destinations.slack.texts):
        assert len(texts) == 1 and texts[0].startswith("200 notifications from burst (200)")
    assert len(destinations.mailbox.messages) == 1


COUNTS = ("hook", "tg", "discord", "slack", "mail")


def burst_trade(i: int) -> TradeExecuted:
    return TradeExecuted(
        bot_id="burst",
        mode="paper",
        side="sell",
        symbol="BTC/USDT",
        price=Decimal("42000"),
        amount=Decimal("0.001"),
        cost=Decimal("42"),
        fee=Decimal("0.04"),
        fee_currency="USDT",
        order_id=f"burst-{i}",
        realized_profit=Decimal("1.5"),
        realized_profit_pct=Decimal("3.57"),
        position=Decimal("0"),
        balances={"USDT": Decimal("10000")},
    )


async def test_a_destination_that_is_down_gets_the_message_after_it_comes_back(
    redis_server: RedisServer, tmp_path: Path, destinations: Destinations
) -> None:
    await destinations.webhook.down()
    async with notifier(redis_server.url, tmp_path, destinations.config(["trade_exit"])) as running:
        async with RedisBus.connect(redis_server.url) as bus:
            sent = await bus.publish(burst_trade(0))
        await eventually(
            lambda: running.metric("tradewire_notifier_sends_total", destination="hook", outcome="retry"), timeout=30
        )
        await eventually(lambda: destinations.notice_counts()["tg"] == 1, timeout=30, what="telegram unaffected")
        assert destinations.webhook.accepted == []
        await destinations.webhook.up()
        await eventually(lambda: destinations.webhook.event_ids(), timeout=30, what="delivery once it is back")
    assert destinations.webhook.event_ids() == [str(sent.event.event_id)]


async def test_a_command_from_an_unknown_chat_is_refused_and_one_from_an_allowed_chat_stops_the_bot(
    redis_server: RedisServer, tmp_path: Path, destinations: Destinations, start_trader: Callable[[], None]
) -> None:
    telegram = destinations.telegram
    start_trader()
    async with notifier(redis_server.url, tmp_path, destinations.config(["status_change"])) as running:
        await eventually(lambda: running_status(redis_server.url), timeout=40, what="the trader running")
        await telegram.command(STRANGER_CHAT, "/stop notified")
        await eventually(lambda: telegram.texts(STRANGER_CHAT), timeout=30, what="an answer to the stranger")
        assert telegram.texts(STRANGER_CHAT) == ["This chat is not allowed to control tradewire."]
        assert await running_status(redis_server.url), "a stranger stopped the bot"
        assert running.metric("tradewire_notifier_telegram_commands_total", command="refused") == 1

        # Garbage and unknown commands are answered or skipped, and counted; the next command still works.
        await telegram.push({"update_id": "not a number", "message": "garbage"})
        await telegram.push({"update_id": telegram.next_update_id(), "message": {"text": "/stop", "chat": "nope"}})
        await telegram.command(ALLOWED_CHAT, "/frobnicate")
        await telegram.command(ALLOWED_CHAT, "/stop notified")
        await eventually(lambda: any("stop_bot completed" in t for t in telegram.texts(ALLOWED_CHAT)), timeout=30)
        stopped = await status(redis_server.url)
        assert stopped is not None and stopped.status == "stopped" and stopped.actor == f"telegram:{ALLOWED_CHAT}"
        assert any(t.startswith("Unknown command /frobnicate") for t in telegram.texts(ALLOWED_CHAT))
        assert running.metric("tradewire_notifier_telegram_commands_total", command="malformed") == 2
        assert running.metric("tradewire_notifier_telegram_commands_total", command="unknown") == 1
        # The stop itself is news: the status change reaches the chat as a notification.
        await eventually(
            lambda: any(t.startswith(f"{BOT} stopped: stopped by telegram:{ALLOWED_CHAT}") for t in telegram.texts()),
            timeout=30,
        )

        await telegram.command(ALLOWED_CHAT, "/status")
        await eventually(lambda: any("request_status completed" in t for t in telegram.texts(ALLOWED_CHAT)), timeout=30)
        await telegram.command(ALLOWED_CHAT, "/profit")
        await eventually(lambda: any("realized" in t for t in telegram.texts(ALLOWED_CHAT)), timeout=30)


async def running_status(redis_url: str) -> bool:
    current = await status(redis_url)
    return current is not None and current.status == "running"
