"""The ccxt client for live mode: built from the settings, pointed at a stub if asked, reads retried politely."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import ccxt  # type: ignore[import-untyped]

from tradewire_trader.live_orders import retry_after_s
from tradewire_trader.settings import Settings

if TYPE_CHECKING:
    import ccxt.async_support as ccxt_async  # type: ignore[import-untyped]

log = logging.getLogger("tradewire.trader.live")
CCXT_LOGGERS = ("ccxt.base.exchange", "ccxt.async_support.base.exchange")
_redacted: set[tuple[str, str]] = set()
T = TypeVar("T")
READ_ATTEMPTS = 5
LONGEST_INLINE_WAIT_S = 10.0  # a Retry-After longer than this ends a blocking read instead of waiting


async def with_retries(
    what: str,
    call: Callable[[], Awaitable[T]],
    attempts: int = READ_ATTEMPTS,
    first_delay: float = 0.2,
    client: Any = None,
) -> T:
    """Run a read, retrying network errors with backoff and jitter, never sooner than a Retry-After."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except ccxt.NetworkError as error:  # includes timeouts, 429/418 (DDoSProtection) and refused connections
            if attempt == attempts:
                raise
            wait = delay / 2 + random.uniform(0, delay / 2)
            if isinstance(error, ccxt.DDoSProtection):
                wait = retry_after_s(client, error, delay * 2)
                if wait > LONGEST_INLINE_WAIT_S:
                    raise
            log.warning("%s failed (%s); retry %d/%d in %.2fs", what, type(error).__name__, attempt, attempts - 1, wait)
            await asyncio.sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")


class RedactSecrets(logging.Filter):
    """ccxt logs each request's headers at debug level, API key included: those lines are redacted."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "**********")
            record.msg, record.args = message, ()
        return True


def new_client(settings: Settings, *, private: bool) -> ccxt_async.Exchange:
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": 10_000,
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    }
    if private:
        key, secret = settings.api_key.get_secret_value(), settings.api_secret.get_secret_value()
        config |= {"apiKey": key, "secret": secret}
        if (key, secret) not in _redacted:
            _redacted.add((key, secret))
            for name in CCXT_LOGGERS:  # filters are not inherited: each logger ccxt writes to gets one
                logging.getLogger(name).addFilter(RedactSecrets(key, secret))
    import ccxt.async_support as ccxt_async  # here: a second copy of every exchange, ~1-3 s to import

    client: ccxt_async.Exchange = getattr(ccxt_async, settings.exchange)(config)
    if settings.sandbox:
        client.set_sandbox_mode(True)
    if settings.api_url:
        point_at(client, settings.api_url)
    return client


def point_at(client: ccxt_async.Exchange, base_url: str) -> None:
    """Send every REST call to `base_url`, keeping each endpoint's path (for local stubs)."""
    urls = client.urls["api"]
    for name, value in urls.items():
        if isinstance(value, str):
            urls[name] = base_url.rstrip("/") + urlsplit(value).path


def decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)
