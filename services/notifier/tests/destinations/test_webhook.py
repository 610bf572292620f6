from __future__ import annotations

import pytest
from notifier_harness import a_notice

from tradewire_notifier.destinations.base import DeliveryFailed
from tradewire_notifier.destinations.webhook import WebhookOutlet, signature, verify
from tradewire_notifier.settings import WebhookDestination
from tradewire_testing.notifier_servers import WebhookReceiver

SECRET = "a-webhook-secret-of-some-length"


def outlet(url: str, secret: str = SECRET) -> WebhookOutlet:
    return WebhookOutlet(WebhookDestination(name="hook", url=url, secret=secret))


async def test_the_receiver_verifies_the_signature_and_gets_the_notice_with_its_event_id() -> None:
    receiver = WebhookReceiver(SECRET)
    await receiver.up()
    hook = outlet(receiver.url)
    try:
        notice = a_notice()
        await hook.send(notice)
        await hook.send_summary([a_notice(), a_notice()], "2 notifications")
    finally:
        await hook.aclose()
        await receiver.down()
    assert receiver.rejected == 0
    assert receiver.accepted[0]["kind"] == "notice" and receiver.accepted[0]["title"] == notice.title
    assert receiver.keys[0] == notice.event_id
    assert receiver.accepted[1]["kind"] == "summary" and receiver.accepted[1]["count"] == 2


async def test_a_wrong_secret_is_refused_by_the_receiver_and_not_retried() -> None:
    receiver = WebhookReceiver(SECRET)
    await receiver.up()
    hook = outlet(receiver.url, secret="another-secret-entirely")
    try:
        with pytest.raises(DeliveryFailed) as failed:
            await hook.send(a_notice())
    finally:
        await hook.aclose()
        await receiver.down()
    assert receiver.rejected == 1 and receiver.accepted == []
    assert failed.value.permanent


async def test_a_receiver_that_is_down_is_worth_a_retry() -> None:
    receiver = WebhookReceiver(SECRET)  # never started: connection refused
    hook = outlet(receiver.url)
    with pytest.raises(DeliveryFailed) as failed:
        await hook.send(a_notice())
    await hook.aclose()
    assert not failed.value.permanent


def test_verify_refuses_a_changed_body_and_an_old_timestamp() -> None:
    body, secret = b'{"a":1}', SECRET.encode()
    good = signature(secret, "1700000000", body)
    assert verify(secret, "1700000000", body, good, max_age_s=1e10)
    assert not verify(secret, "1700000000", b'{"a":2}', good, max_age_s=1e10)
    assert not verify(secret, "1700000000", body, good, max_age_s=300)
    assert not verify(secret, "soon", body, good)
