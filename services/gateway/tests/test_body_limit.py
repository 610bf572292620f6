from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from tradewire_gateway.body_limit import MAX_BODY_BYTES


async def test_a_body_larger_than_any_command_is_413_before_it_is_read(http: httpx.AsyncClient, gateway: Any) -> None:
    padding = "x" * (MAX_BODY_BYTES + 1)
    response = await http.post(
        "/api/v1/bots/alpha/commands", json={"command": "start_bot", "pad": padding}, headers=gateway.auth()
    )
    assert response.status_code == 413
    assert "limited to" in response.json()["detail"]


async def test_a_chunked_body_is_cut_off_at_the_limit_and_the_gateway_keeps_serving(
    http: httpx.AsyncClient, gateway: Any
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"command": "start_bot", "pad": "'
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b"x" * 1024
        yield b'"}'

    try:
        response = await http.post("/api/v1/bots/alpha/commands", content=chunks(), headers=gateway.auth())
        assert response.status_code == 400  # the app saw the body end early: documented as unreadable
    except httpx.TransportError:
        pass  # the gateway stopped reading and closed: what an abusive upload deserves
    assert (await http.get("/healthz")).status_code == 200


async def test_small_bodies_pass_through(http: httpx.AsyncClient, gateway: Any) -> None:
    response = await http.post("/api/v1/bots/alpha/commands", json={"command": "nope"}, headers=gateway.auth())
    assert response.status_code == 422
