from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tradewire_bus import RedisBus
from tradewire_schemas import CommandResult, decode_event


async def test_command_reaches_the_trader_and_answers_with_its_result(
    http: httpx.AsyncClient, gateway: Any, responder: Callable[..., Any], bus: RedisBus
) -> None:
    trader = await responder("alpha")
    response = await http.post(
        "/api/v1/bots/alpha/commands", json={"command": "start_bot"}, headers=gateway.auth("ops")
    )
    assert response.status_code == 200, response.text
    result = decode_event(response.text)
    assert isinstance(result, CommandResult)
    assert (result.command, result.outcome, result.bot_id) == ("start_bot", "completed", "alpha")
    [received] = trader.received
    assert received.actor == "ops"  # the token's name is the actor
    assert received.command_id == result.command_id
    assert (await bus.snapshot("alpha")).status.status == "running"  # type: ignore[union-attr]


async def test_close_position_carries_its_symbol_to_the_trader(
    http: httpx.AsyncClient, gateway: Any, responder: Callable[..., Any]
) -> None:
    trader = await responder("alpha")
    one = await http.post(
        "/api/v1/bots/alpha/positions/close", json={"symbol": "BTC/USDT"}, headers=gateway.auth("ops")
    )
    every = await http.post("/api/v1/bots/alpha/positions/close", json={}, headers=gateway.auth())
    as_command = await http.post(
        "/api/v1/bots/alpha/commands", json={"command": "close_position"}, headers=gateway.auth()
    )
    assert [r.status_code for r in (one, every, as_command)] == [200, 200, 200], one.text + every.text
    assert one.json()["command"] == "close_position"
    assert [(c.type, getattr(c, "symbol", "?"), c.actor) for c in trader.received] == [
        ("close_position", "BTC/USDT", "ops"),
        ("close_position", None, "ops"),  # no symbol: every open position
        ("close_position", None, "ops"),
    ]


async def test_closing_needs_a_well_formed_market_and_the_control_scope(http: httpx.AsyncClient, gateway: Any) -> None:
    bad = await http.post("/api/v1/bots/alpha/positions/close", json={"symbol": "btc"}, headers=gateway.auth())
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "symbol"]
    stray = await http.post(
        "/api/v1/bots/alpha/commands", json={"command": "stop_bot", "symbol": "BTC/USDT"}, headers=gateway.auth()
    )
    assert stray.status_code == 422  # a symbol is not part of the other commands
    assert stray.json()["detail"][0]["loc"] == ["body", "symbol"]
    unauthenticated = await http.post("/api/v1/bots/alpha/positions/close", json={})
    assert unauthenticated.status_code == 401
    read_only = await http.post("/api/v1/bots/alpha/positions/close", json={}, headers=gateway.auth("viewer"))
    assert read_only.status_code == 403


async def test_rejected_command_is_answered_with_the_rejection(
    http: httpx.AsyncClient, gateway: Any, responder: Callable[..., Any]
) -> None:
    await responder("alpha", behaviour="reject")
    response = await http.post("/api/v1/bots/alpha/commands", json={"command": "stop_bot"}, headers=gateway.auth())
    assert response.status_code == 200
    assert response.json()["outcome"] == "rejected"


async def test_command_without_a_trader_is_503_at_once(http: httpx.AsyncClient, gateway: Any) -> None:
    response = await http.post("/api/v1/bots/ghost/commands", json={"command": "start_bot"}, headers=gateway.auth())
    assert response.status_code == 503
    assert "no trader is listening for bot 'ghost'" in response.json()["detail"]


async def test_command_the_trader_never_finishes_is_504(
    gateway_factory: Callable[..., Any], responder: Callable[..., Any]
) -> None:
    gateway = gateway_factory(command_timeout_s=0.3)
    await responder("slowpoke", behaviour="accept_only")
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        response = await http.post(
            "/api/v1/bots/slowpoke/commands", json={"command": "request_status"}, headers=gateway.auth()
        )
    assert response.status_code == 504
    assert "accepted it but did not finish" in response.json()["detail"]


async def test_bad_body_is_422_naming_the_field_and_reason(http: httpx.AsyncClient, gateway: Any) -> None:
    response = await http.post(
        "/api/v1/bots/alpha/commands", json={"command": "sell_everything"}, headers=gateway.auth()
    )
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "command"]
    assert "start_bot" in problem["msg"]


async def test_unknown_fields_and_bad_bot_ids_are_422(http: httpx.AsyncClient, gateway: Any) -> None:
    extra = await http.post(
        "/api/v1/bots/alpha/commands", json={"command": "start_bot", "force": True}, headers=gateway.auth()
    )
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["loc"] == ["body", "force"]
    bad_id = await http.post("/api/v1/bots/-bad/commands", json={"command": "start_bot"}, headers=gateway.auth())
    assert bad_id.status_code == 422
    assert bad_id.json()["detail"][0]["loc"] == ["path", "bot_id"]


async def test_same_idempotency_key_returns_the_first_result_without_running_again(
    http: httpx.AsyncClient, gateway: Any, responder: Callable[..., Any]
) -> None:
    trader = await responder("alpha")
    headers = {**gateway.auth(), "Idempotency-Key": "deploy-42"}
    first = await http.post("/api/v1/bots/alpha/commands", json={"command": "start_bot"}, headers=headers)
    second = await http.post("/api/v1/bots/alpha/commands", json={"command": "start_bot"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["command_id"] == second.json()["command_id"]
    assert len(trader.received) == 1


async def test_commands_need_a_token_with_the_control_scope(http: httpx.AsyncClient, gateway: Any) -> None:
    body = {"command": "start_bot"}
    missing = await http.post("/api/v1/bots/alpha/commands", json=body)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await http.post("/api/v1/bots/alpha/commands", json=body, headers={"Authorization": "Bearer nope-nope"})
    assert wrong.status_code == 401
    read_only = await http.post("/api/v1/bots/alpha/commands", json=body, headers=gateway.auth("viewer"))
    assert read_only.status_code == 403
    assert "lacks the 'control' scope" in read_only.json()["detail"]


async def test_commands_beyond_the_rate_limit_are_429_per_token(
    gateway_factory: Callable[..., Any], responder: Callable[..., Any]
) -> None:
    gateway = gateway_factory(command_burst=2, commands_per_minute=1)
    await responder("alpha")
    async with httpx.AsyncClient(base_url=gateway.url) as http:
        codes = [
            (
                await http.post(
                    "/api/v1/bots/alpha/commands", json={"command": "request_status"}, headers=gateway.auth("ops")
                )
            ).status_code
            for _ in range(3)
        ]
        other_token = await http.post(
            "/api/v1/bots/alpha/commands", json={"command": "stop_bot"}, headers=gateway.auth("robot")
        )
        limited = await http.post(
            "/api/v1/bots/alpha/commands", json={"command": "request_status"}, headers=gateway.auth("ops")
        )
    assert codes == [200, 200, 429]
    assert other_token.status_code == 200  # the limit is per token
    assert int(limited.headers["retry-after"]) >= 1


async def test_command_outcomes_are_counted_in_metrics(
    http: httpx.AsyncClient, gateway: Any, responder: Callable[..., Any]
) -> None:
    await responder("alpha")
    await http.post("/api/v1/bots/alpha/commands", json={"command": "start_bot"}, headers=gateway.auth())
    await http.post("/api/v1/bots/ghost/commands", json={"command": "stop_bot"}, headers=gateway.auth())

    text = (await http.get("/metrics")).text
    assert 'tradewire_gateway_commands_total{command="start_bot",outcome="completed",via="http"} 1.0' in text
    assert 'tradewire_gateway_commands_total{command="stop_bot",outcome="no_trader",via="http"} 1.0' in text


async def test_a_control_only_token_cannot_read_through_request_status(
    http: httpx.AsyncClient, gateway: Any, responder: Callable[..., Any]
) -> None:
    # Issue 17, finding 10: request_status's answer carries position and profit.
    trader = await responder("alpha")
    refused = await http.post(
        "/api/v1/bots/alpha/commands", json={"command": "request_status"}, headers=gateway.auth("robot")
    )
    assert refused.status_code == 403 and "read scope" in refused.json()["detail"]
    assert trader.received == []
    stopped = await http.post(
        "/api/v1/bots/alpha/commands", json={"command": "stop_bot"}, headers=gateway.auth("robot")
    )
    assert stopped.status_code == 200  # control it may still
