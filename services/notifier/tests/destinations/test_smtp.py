from __future__ import annotations

import pytest
from notifier_harness import a_notice

from tradewire_notifier.destinations.base import DeliveryFailed
from tradewire_notifier.destinations.smtp import EmailOutlet
from tradewire_notifier.settings import EmailDestination
from tradewire_testing import free_port
from tradewire_testing.notifier_servers import smtp_server


def destination(port: int) -> EmailDestination:
    return EmailDestination(
        name="mail",
        host="127.0.0.1",
        port=port,
        starttls=False,
        sender="bot@example.org",
        recipients=["me@example.org"],
    )


async def test_a_notice_arrives_as_a_mail_with_its_title_as_subject() -> None:
    with smtp_server() as (port, mailbox):
        notice = a_notice()
        await EmailOutlet(destination(port)).send(notice)
    [mail] = mailbox.messages
    assert mail["Subject"] == f"[tradewire] {notice.title}"
    assert mail["To"] == "me@example.org" and mail["X-Tradewire-Key"] == notice.event_id
    assert notice.url is not None and notice.url in mail.get_payload(decode=True).decode()


async def test_a_server_that_is_down_is_worth_a_retry() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await EmailOutlet(destination(free_port())).send(a_notice())
    assert not failed.value.permanent
