from __future__ import annotations

import pytest
from notifier_harness import a_notice

from tradewire_notifier.destinations.base import DeliveryFailed
from tradewire_notifier.destinations.telegram import TelegramOutlet, make_bot
from tradewire_notifier.settings import TelegramDestination
from tradewire_testing.notifier_servers import TelegramStub


def destination(stub: TelegramStub, token: str | None = None) -> TelegramDestination:
    return TelegramDestination(name="tg", token=token or stub.token, chat_ids=[42, 43], base_url=stub.base_url)


async def test_a_notice_reaches_every_chat_through_the_bot_api() -> None:
    stub = TelegramStub()
    await stub.up()
    config = destination(stub)
    outlet = TelegramOutlet(config, make_bot(config))
    try:
        notice = a_notice()
        await outlet.send(notice)
    finally:
        await outlet.aclose()
        await stub.down()
    assert stub.sent == [(42, f"{notice.text}\n{notice.url}"), (43, f"{notice.text}\n{notice.url}")]


async def test_flood_control_says_when_to_retry_and_a_wrong_token_is_permanent() -> None:
    stub = TelegramStub()
    await stub.up()
    stub.flood_for = 1
    config = destination(stub)
    outlet = TelegramOutlet(config, make_bot(config))
    wrong = destination(stub, token="999:wrong")
    refused = TelegramOutlet(wrong, make_bot(wrong))
    try:
        with pytest.raises(DeliveryFailed) as flood:
            await outlet.send(a_notice())
        with pytest.raises(DeliveryFailed) as invalid:
            await refused.send(a_notice())
    finally:
        await outlet.aclose()
        await refused.aclose()
        await stub.down()
    assert flood.value.retry_after_s == 1 and not flood.value.permanent
    assert invalid.value.permanent
