from __future__ import annotations

import pytest
from notifier_harness import a_notice

from tradewire_notifier.destinations.chat_webhooks import ChatWebhookOutlet
from tradewire_notifier.settings import DiscordDestination, SlackDestination
from tradewire_testing.notifier_servers import ChatWebhook


@pytest.mark.parametrize("kind", ["discord", "slack"])
async def test_a_notice_and_a_summary_reach_the_channel_in_its_format(kind: str) -> None:
    server = ChatWebhook(kind)
    await server.up()
    config = DiscordDestination if kind == "discord" else SlackDestination
    outlet = ChatWebhookOutlet(config(name=kind, url=server.url))  # type: ignore[call-arg]
    try:
        notice = a_notice()
        await outlet.send(notice)
        await outlet.send_summary([notice] * 3, "3 notifications ...")
    finally:
        await outlet.aclose()
        await server.down()
    assert server.texts == [f"{notice.text}\n{notice.url}", "3 notifications ..."]


def test_discord_messages_are_cut_to_its_limit_and_ping_nobody() -> None:
    outlet = ChatWebhookOutlet(DiscordDestination(name="d", url="http://127.0.0.1:9/x"))
    payload = outlet.payload("x" * 5000)
    assert len(payload["content"]) == 2000 and payload["allowed_mentions"] == {"parse": []}
