"""What `/ws` does with a command frame a client sends: checked, sent through the commander, answered
with a `bot_control` frame or an error frame. A base of `EventSocket` (websocket.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pydantic import ValidationError

from tradewire_gateway.auth import Principal
from tradewire_gateway.commander import failure_code
from tradewire_gateway.frames import BotControlFrame, CommandFrame, ErrorCode, ErrorFrame, command_frames
from tradewire_gateway.metrics import GatewayMetrics
from tradewire_gateway.runtime import Runtime
from tradewire_gateway.settings import Scope
from tradewire_gateway.subscription_request import SubscriptionRequest
from tradewire_schemas.wire import describe

log = logging.getLogger("tradewire.gateway.ws")


class SocketCommands:
    # Set by EventSocket.__init__; `_send` and `_command` are EventSocket's.
    _runtime: Runtime
    _metrics: GatewayMetrics
    _principal: Principal
    _request: SubscriptionRequest
    _commands: set[asyncio.Task[None]]
    _send: Callable[[str], Awaitable[bool]]
    _command: Callable[[CommandFrame, str], Coroutine[Any, Any, None]]

    async def _on_text(self, text: str) -> None:
        try:
            frame = command_frames.validate_json(text)
        except ValidationError as error:
            await self._refuse("malformed", f"not a command frame: {describe(error)}")
            return
        bot_id = frame.bot_id or self._request.only_bot
        if bot_id is None:
            await self._refuse("bad_request", "bot_id is required unless the socket follows exactly one bot", frame)
            return
        if not self._principal.may(Scope.CONTROL):
            self._runtime.commander.refused(frame.command, "forbidden", "ws")
            await self._refuse("forbidden", f"token {self._principal.name!r} lacks the control scope", frame, bot_id)
            return
        if len(self._commands) >= self._runtime.settings.ws_commands_in_flight:
            await self._refuse("busy", "too many commands waiting on this socket; wait for an answer", frame, bot_id)
            return
        task = asyncio.create_task(self._command(frame, bot_id))
        self._commands.add(task)
        task.add_done_callback(self._commands.discard)

    async def _answer(self, frame: CommandFrame, bot_id: str) -> str:
        try:
            result = await self._runtime.commander.send(
                bot_id, frame.command, self._principal, via="ws", symbol=frame.symbol
            )
        except Exception as error:
            code, reason = failure_code(error), str(error)
            if code is None:
                log.exception("%s for %s from %s failed", frame.command, bot_id, self._principal.name)
                code, reason = "internal", "the gateway failed to send the command; it was logged"
            return ErrorFrame(code=code, message=reason, request_id=frame.request_id, bot_id=bot_id).model_dump_json()
        answer = BotControlFrame(request_id=frame.request_id, bot_id=bot_id, command=frame.command, result=result)
        return answer.model_dump_json()

    async def _refuse(
        self, code: ErrorCode, message: str, frame: CommandFrame | None = None, bot_id: str | None = None
    ) -> None:
        self._metrics.frames_rejected.labels(reason=code).inc()
        log.info("refused a frame from %s: %s", self._principal.name, message)
        request_id = frame.request_id if frame else None
        await self._send(ErrorFrame(code=code, message=message, request_id=request_id, bot_id=bot_id).model_dump_json())
