"""Discord and Slack incoming webhooks: a POST of their own small JSON to a secret URL.

Discord takes `{"content": ...}` (at most 2000 characters) and answers 204; Slack takes `{"text": ...}`
and answers 200 `ok`. Both answer 429 with a retry time when a channel is flooded.
"""

from __future__ import annotations

from typing import Any

import httpx

from tradewire_notifier.destinations.base import DeliveryFailed, http_failure
from tradewire_notifier.messages import Notice, render
from tradewire_notifier.settings import DiscordDestination, SlackDestination

DISCORD_LIMIT = 2000
SLACK_LIMIT = 40_000


class ChatWebhookOutlet:
    def __init__(self, destination: DiscordDestination | SlackDestination) -> None:
        self._url = destination.url.get_secret_value()
        self._discord = destination.kind == "discord"
        self._client = httpx.AsyncClient(timeout=destination.delivery.timeout_s)

    def payload(self, text: str) -> dict[str, Any]:
        if self._discord:
            # No @everyone or role pings from a trade message.
            return {"content": text[:DISCORD_LIMIT], "allowed_mentions": {"parse": []}}
        return {"text": text[:SLACK_LIMIT]}

    async def send(self, notice: Notice) -> None:
        await self._post(render(notice))

    async def send_summary(self, notices: list[Notice], text: str) -> None:
        await self._post(text)

    async def _post(self, text: str) -> None:
        try:
            response = await self._client.post(self._url, json=self.payload(text))
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if not response.is_success:
            retry_after = response.headers.get("Retry-After")
            if retry_after is None and response.status_code == 429 and self._discord:
                retry_after = str(response.json().get("retry_after", "")) or None
            raise http_failure(response.status_code, response.text, retry_after)

    async def aclose(self) -> None:
        await self._client.aclose()
