"""Local servers that speak each destination's real format, for the tests (no network beyond loopback).

- `TelegramStub`: the Bot API's `getMe`, `sendMessage` and long-polling `getUpdates` (form or JSON
  parameters, `{"ok": ..., "result": ...}` answers, 404 for a wrong token, 429 with `retry_after`).
- `WebhookReceiver`: checks the HMAC signature the way a receiver would, and keeps what it accepted.
- `ChatWebhook`: Discord's (204) or Slack's (200 `ok`) incoming webhook.
- `smtp_server`: aiosmtpd's `Controller`, a real SMTP server in a thread.

Each HTTP server can be brought down and back up on the same port, to play a destination that is away.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from tradewire_notifier.destinations.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tradewire_testing import free_port


class _Server:
    def __init__(self) -> None:
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        raise NotImplementedError

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def up(self) -> None:
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class TelegramStub(_Server):
    def __init__(self, token: str = "123456:TEST-token") -> None:
        super().__init__()
        self.token = token
        self.sent: list[tuple[int, str]] = []
        self.updates: list[dict[str, Any]] = []
        self.flood_for: int = 0  # answer this many sendMessage calls with 429 first
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1000)
        self._new_update = asyncio.Condition()

    @property
    def base_url(self) -> str:
        return f"{self.base}/bot"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._call)
        return app

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [text for chat, text in self.sent if chat_id is None or chat == chat_id]

    def next_update_id(self) -> int:
        return next(self._update_ids)

    async def push(self, update: dict[str, Any]) -> None:
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()

    async def command(self, chat_id: int, text: str) -> None:
        """A user in `chat_id` types `text`, as Telegram would deliver it."""
        word = text.split()[0]
        message_id = next(self._ids)
        await self.push(
            {
                "update_id": self.next_update_id(),
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private", "first_name": "Trader"},
                    "from": {"id": chat_id, "is_bot": False, "first_name": "Trader"},
                    "text": text,
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(word)}],
                },
            }
        )

    async def _call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        params: dict[str, Any] = dict(await request.post()) if request.content_type != "application/json" else {}
        if request.content_type == "application/json":
            params = await request.json()
        method = request.match_info["method"]
        if method == "getMe":
            return self._ok({"id": 123456, "is_bot": True, "first_name": "tradewire", "username": "tradewire_bot"})
        if method == "sendMessage":
            return self._send_message(params)
        if method == "getUpdates":
            return self._ok(await self._get_updates(params))
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found: method"}, status=404)

    def _send_message(self, params: dict[str, Any]) -> web.Response:
        if self.flood_for > 0:
            self.flood_for -= 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        chat_id, text = int(params["chat_id"]), str(params["text"])
        if not text:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: text is empty"}, status=400
            )
        self.sent.append((chat_id, text))
        return self._ok(
            {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": 123456, "is_bot": True, "first_name": "tradewire"},
                "text": text,
            }
        )

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)

        def waiting() -> list[dict[str, Any]]:
            return [u for u in self.updates if not isinstance(u.get("update_id"), int) or u["update_id"] >= offset]

        async with self._new_update:
            try:
                await asyncio.wait_for(self._new_update.wait_for(waiting), timeout)
            except TimeoutError:
                return []
        found = waiting()
        # Telegram forgets what an offset confirms; an update without a valid id is served only once.
        self.updates = [u for u in self.updates if isinstance(u.get("update_id"), int) and u not in found]
        self.updates += [u for u in found if isinstance(u.get("update_id"), int)]
        return found

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})


class WebhookReceiver(_Server):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret.encode()
        self.accepted: list[dict[str, Any]] = []
        self.rejected = 0
        self.keys: list[str] = []

    @property
    def url(self) -> str:
        return f"{self.base}/hook"

    def destination(self, **delivery: float) -> dict[str, Any]:
        """The notifier's configuration of a webhook destination named "hook" that posts here."""
        return {
            "kind": "webhook",
            "name": "hook",
            "url": self.url,
            "secret": self.secret.decode(),
            "delivery": delivery,
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        return app

    def event_ids(self) -> list[str]:
        ids = []
        for body in self.accepted:
            ids += [n["event_id"] for n in body["notices"]] if body["kind"] == "summary" else [body["event_id"]]
        return ids

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not verify(self.secret, request.headers.get(TIMESTAMP_HEADER, ""), body, header):
            self.rejected += 1
            return web.json_response({"error": "bad signature"}, status=401)
        self.accepted.append(json.loads(body))
        self.keys.append(request.headers["Idempotency-Key"])
        return web.json_response({"ok": True})


class ChatWebhook(_Server):
    """Discord (`{"content"}`, 204) or Slack (`{"text"}`, 200 "ok")."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.texts: list[str] = []

    @property
    def url(self) -> str:
        return f"{self.base}/api/webhooks/1/secret" if self.kind == "discord" else f"{self.base}/services/T/B/X"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/webhooks/1/secret" if self.kind == "discord" else "/services/T/B/X", self._post)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = "content" if self.kind == "discord" else "text"
        if not isinstance(body.get(key), str) or not body[key]:
            return web.json_response({"message": "Cannot send an empty message", "code": 50006}, status=400)
        self.texts.append(body[key])
        return web.Response(status=204) if self.kind == "discord" else web.Response(text="ok")


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()
