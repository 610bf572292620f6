"""What every destination is to the sender: an `Outlet` that sends one notice or one summary."""

from __future__ import annotations

from typing import Protocol

from tradewire_notifier.messages import Notice


class DeliveryFailed(Exception):
    """A send did not go through. `permanent`: retrying cannot help (dead-letter it at once)."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after_s = retry_after_s


class Outlet(Protocol):
    async def send(self, notice: Notice) -> None: ...

    async def send_summary(self, notices: list[Notice], text: str) -> None: ...

    async def aclose(self) -> None: ...


def http_failure(status: int, body: str, retry_after: str | None) -> DeliveryFailed:
    """An HTTP answer that is not a success, as the sender needs it: 429 and 5xx are worth a retry."""
    seconds = None
    if retry_after is not None:
        try:
            seconds = float(retry_after)
        except ValueError:
            seconds = None
    transient = status == 429 or status >= 500 or status == 408
    return DeliveryFailed(f"HTTP {status}: {body[:200]}", permanent=not transient, retry_after_s=seconds)
