"""One command path for HTTP and WebSocket: rate limit, build the bus command, wait for its result, count it."""

from __future__ import annotations

import logging
import uuid
from typing import Literal

from tradewire_bus import BusUnavailable, CommandTimeout, NoTraderListening, RedisBus
from tradewire_gateway.auth import Principal
from tradewire_gateway.frames import ErrorCode
from tradewire_gateway.metrics import GatewayMetrics
from tradewire_runtime.logs import trace
from tradewire_runtime.rate_limit import RateLimited, RateLimiter
from tradewire_schemas import CommandName, CommandResult, commands

log = logging.getLogger("tradewire.gateway.commands")

Via = Literal["http", "ws"]

# Idempotency keys become command ids in this namespace, so a retried request reuses the command id and
# the bus returns the kept result instead of running the command again.
IDEMPOTENCY_NAMESPACE = uuid.UUID("9a0d8c1e-5b7f-4a43-9f0e-2c6a6b1d7e55")
# How a send that did not reach a result is named: the outcome in the metrics, the code of a socket's error frame.
FAILURES: tuple[tuple[type[Exception], ErrorCode], ...] = (
    (RateLimited, "rate_limited"), (NoTraderListening, "no_trader"), (CommandTimeout, "timeout"),
    (BusUnavailable, "bus_unavailable"),
)  # fmt: skip


def failure_code(error: BaseException) -> ErrorCode | None:
    """The name of one of `Commander.send`'s own failures, or None for anything else (a fault)."""
    return next((code for kind, code in FAILURES if isinstance(error, kind)), None)


def command_id_for(
    actor: str, bot_id: str, command: str, idempotency_key: str | None, symbol: str | None = None
) -> uuid.UUID:
    if idempotency_key is None:
        return uuid.uuid4()
    # Closing BTC/USDT and closing ETH/USDT under one key are different requests (without a symbol the
    # id is what it always was, so keys given before close_position existed keep their results).
    parts = (actor, bot_id, command, idempotency_key) + ((symbol,) if symbol else ())
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, "\x00".join(parts))


class Commander:
    def __init__(self, bus: RedisBus, limiter: RateLimiter, metrics: GatewayMetrics, timeout_s: float) -> None:
        self._bus = bus
        self._limiter = limiter
        self._metrics = metrics
        self._timeout_s = timeout_s

    def refused(self, command: str, outcome: str, via: Via) -> None:
        """Count a command turned away before it reached the bus (no scope, malformed)."""
        self._metrics.commands.labels(command=command, outcome=outcome, via=via).inc()

    async def send(
        self,
        bot_id: str,
        name: CommandName,
        principal: Principal,
        *,
        via: Via,
        idempotency_key: str | None = None,
        symbol: str | None = None,
    ) -> CommandResult:
        """The trader's final result; raises RateLimited, NoTraderListening, CommandTimeout or BusUnavailable.

        `symbol` goes with close_position only (the market to close; None closes every position)."""
        outcome = "error"
        command_id = command_id_for(principal.name, bot_id, name, idempotency_key, symbol)
        try:
            self._limiter.acquire(principal.name)
            fields = {"type": name, "bot_id": bot_id, "actor": principal.name, "command_id": command_id}
            command = commands.validate_python(fields if symbol is None else {**fields, "symbol": symbol})
            result = await self._bus.send_command(command, timeout=self._timeout_s)
            outcome = result.outcome
            return result
        except Exception as error:
            outcome = failure_code(error) or "error"
            raise
        finally:
            self._metrics.commands.labels(command=name, outcome=outcome, via=via).inc()
            log.info(
                "%s for %s by %s via %s: %s",
                name,
                bot_id,
                principal.name,
                via,
                outcome,
                extra=trace(command_id=command_id, bot_id=bot_id),
            )
