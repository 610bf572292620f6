"""A generic webhook: the notice as JSON, signed so the receiver can tell it came from us.

Headers: `X-Tradewire-Timestamp: <unix seconds>` and `X-Tradewire-Signature: sha256=<hex>`, the
HMAC-SHA256 of `<timestamp>.<body>` with the destination's secret; `Idempotency-Key` is the event id
(a summary's is derived from its event ids), so a receiver can drop a repeat after a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from tradewire_notifier.destinations.base import DeliveryFailed, http_failure
from tradewire_notifier.messages import Notice
from tradewire_notifier.settings import WebhookDestination

SIGNATURE_HEADER = "X-Tradewire-Signature"
TIMESTAMP_HEADER = "X-Tradewire-Timestamp"


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, header: str, *, max_age_s: float = 300) -> bool:
    """What a receiver runs: the signature matches and the timestamp is recent (no replays of old bodies)."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= max_age_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(signature(secret, timestamp, body), header)


class WebhookOutlet:
    def __init__(self, destination: WebhookDestination) -> None:
        self._url = destination.url
        self._secret = destination.secret.get_secret_value().encode()
        self._client = httpx.AsyncClient(timeout=destination.delivery.timeout_s)

    async def send(self, notice: Notice) -> None:
        await self._post({"kind": "notice", **notice.model_dump()}, notice.event_id)

    async def send_summary(self, notices: list[Notice], text: str) -> None:
        key = hashlib.sha256(",".join(n.event_id for n in notices).encode()).hexdigest()[:32]
        body = {"kind": "summary", "count": len(notices), "text": text, "notices": [n.model_dump() for n in notices]}
        await self._post(body, key)

    async def _post(self, payload: dict[str, Any], key: str) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            "Idempotency-Key": key,
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if not response.is_success:
            raise http_failure(response.status_code, response.text, response.headers.get("Retry-After"))

    async def aclose(self) -> None:
        await self._client.aclose()
