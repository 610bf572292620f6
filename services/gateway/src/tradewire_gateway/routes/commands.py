"""Sending a command to a bot and answering with the trader's `command_result`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status

from tradewire_bus import BusUnavailable, CommandTimeout, NoTraderListening
from tradewire_gateway.dependencies import Controller, RuntimeDep
from tradewire_gateway.routes.bots import BotPath
from tradewire_gateway.settings import Scope
from tradewire_gateway.views import CloseRequest, CommandRequest, Problem
from tradewire_runtime.rate_limit import RateLimited
from tradewire_schemas import CommandResult

router = APIRouter(prefix="/api/v1/bots", tags=["commands"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=128,
        description="Repeat a request with the same key to get the first one's result instead of running it again.",
    ),
]


COMMAND_ANSWERS: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "The body could not be read at all (e.g. not UTF-8)"},
    401: {"model": Problem, "description": "Missing or unknown token"},
    403: {"model": Problem, "description": "The token lacks the control scope (request_status: and read)"},
    429: {"model": Problem, "description": "Too many commands from this token; see Retry-After"},
    503: {"model": Problem, "description": "No trader runs for this bot, or Redis is unreachable"},
    504: {"model": Problem, "description": "The trader did not finish in time; the command may still run"},
}


@router.post(
    "/{bot_id}/commands",
    summary="Send start_bot, stop_bot, halt_bot, close_position (all) or request_status; wait for the result",
    response_description="The trader's final command_result (outcome completed or rejected).",
    responses=COMMAND_ANSWERS,
)
async def send_command(
    bot_id: BotPath,
    body: CommandRequest,
    runtime: RuntimeDep,
    principal: Controller,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    if body.command == "request_status" and not principal.may(Scope.READ):
        # Its answer carries the bot's position and profit: reading, which a control-only token may not.
        runtime.commander.refused(body.command, "forbidden", "http")
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"token {principal.name!r} lacks the read scope that request_status needs"
        )
    return await _answered(
        runtime.commander.send(bot_id, body.command, principal, via="http", idempotency_key=idempotency_key)
    )


@router.post(
    "/{bot_id}/positions/close",
    summary="Sell an open position at market now (close_position) and wait for the trader's result",
    response_description="The trader's final command_result; the trade it makes has the reason 'manual'.",
    responses=COMMAND_ANSWERS,
)
async def close_position(
    bot_id: BotPath,
    body: CloseRequest,
    runtime: RuntimeDep,
    principal: Controller,
    idempotency_key: IdempotencyKey = None,
) -> CommandResult:
    return await _answered(
        runtime.commander.send(
            bot_id, "close_position", principal, via="http", idempotency_key=idempotency_key, symbol=body.symbol
        )
    )


async def _answered(sending: Awaitable[CommandResult]) -> CommandResult:
    """The trader's result, or the HTTP error that says why there is none."""
    try:
        return await sending
    except RateLimited as limited:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            str(limited),
            headers={"Retry-After": str(max(1, round(limited.retry_after_s)))},
        ) from limited
    except (NoTraderListening, BusUnavailable) as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    except CommandTimeout as error:
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, str(error)) from error
