"""E-mail over SMTP with aiosmtplib: one plain-text message per notice or summary."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from tradewire_notifier.destinations.base import DeliveryFailed
from tradewire_notifier.messages import Notice, render
from tradewire_notifier.settings import EmailDestination


class EmailOutlet:
    def __init__(self, destination: EmailDestination) -> None:
        self._destination = destination

    def message(self, subject: str, body: str, message_id_key: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._destination.sender
        message["To"] = ", ".join(self._destination.recipients)
        message["Subject"] = f"[tradewire] {subject}"
        message["X-Tradewire-Key"] = message_id_key
        message.set_content(body)
        return message

    async def send(self, notice: Notice) -> None:
        await self._send(self.message(notice.title, render(notice), notice.event_id))

    async def send_summary(self, notices: list[Notice], text: str) -> None:
        await self._send(self.message(text.splitlines()[0], text, notices[0].event_id))

    async def _send(self, message: EmailMessage) -> None:
        d = self._destination
        try:
            await aiosmtplib.send(
                message,
                hostname=d.host,
                port=d.port,
                start_tls=d.starttls and not d.use_tls,
                use_tls=d.use_tls,
                username=d.username,
                password=d.password.get_secret_value() if d.password else None,
                timeout=d.delivery.timeout_s,
            )
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPSenderRefused) as error:
            raise DeliveryFailed(f"refused: {error}", permanent=True) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error

    async def aclose(self) -> None:
        return None
