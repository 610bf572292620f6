from __future__ import annotations

import httpx
import pytest

from tradewire_testing import RedisServer, eventually


async def test_healthz_answers_without_a_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_redis_and_hub_ready(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "redis": True, "hub": True}


@pytest.mark.one_redis("it kills and restarts its one Redis")
async def test_readyz_turns_503_when_redis_goes_away_and_recovers(
    http: httpx.AsyncClient, redis_server: RedisServer
) -> None:
    redis_server.kill()
    response: httpx.Response = await eventually(lambda: _status_is(http, 503), timeout=15, what="readyz 503")
    assert response.json()["redis"] is False
    redis_server.start()
    await eventually(lambda: _status_is(http, 200), timeout=15, what="readyz back to 200")


async def _status_is(http: httpx.AsyncClient, code: int) -> httpx.Response | None:
    response = await http.get("/readyz")
    return response if response.status_code == code else None
