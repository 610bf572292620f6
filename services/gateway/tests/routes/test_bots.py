from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tradewire_bus import RedisBus
from tradewire_schemas import Heartbeat, utc_now


async def test_bots_lists_each_known_bot_with_status_and_liveness(
    http: httpx.AsyncClient, gateway: Any, bus: RedisBus, make: Any
) -> None:
    await bus.publish(make.status("alpha", "running"))
    await bus.publish(make.heartbeat("alpha", interval_s=60))
    await bus.publish(make.status("beta", "stopped"))
    response = await http.get("/api/v1/bots", headers=gateway.auth("viewer"))
    assert response.status_code == 200
    bots = {bot["bot_id"]: bot for bot in response.json()["bots"]}
    assert (bots["alpha"]["status"], bots["alpha"]["liveness"]) == ("running", "live")
    assert (bots["beta"]["status"], bots["beta"]["liveness"]) == ("stopped", "unknown")


async def test_bot_snapshot_is_marked_stale_when_heartbeats_stopped(
    http: httpx.AsyncClient, gateway: Any, bus: RedisBus, make: Any
) -> None:
    await bus.publish(make.trade("alpha", 7))
    last_beat = await bus.publish(
        Heartbeat(bot_id="alpha", status="running", interval_s=1, ts=utc_now() - timedelta(seconds=30))
    )
    response = await http.get("/api/v1/bots/alpha", headers=gateway.auth("viewer"))
    assert response.status_code == 200
    body = response.json()
    assert body["stale"] is True
    assert body["liveness"] == "stale"
    assert body["offset"] == last_beat.offset
    assert body["snapshot"]["trade"]["order_id"] == "order-7"
    assert body["snapshot"]["trade"]["price"] == "42007"  # exact decimals stay strings


async def test_unknown_bot_is_404(http: httpx.AsyncClient, gateway: Any) -> None:
    assert (await http.get("/api/v1/bots/nobody", headers=gateway.auth())).status_code == 404
    assert (await http.get("/api/v1/bots/nobody/events", headers=gateway.auth())).status_code == 404


async def test_events_page_through_history_in_order(
    http: httpx.AsyncClient, gateway: Any, bus: RedisBus, make: Any
) -> None:
    published = [await bus.publish(make.trade("alpha", n)) for n in range(1, 6)]
    first = (await http.get("/api/v1/bots/alpha/events?limit=3", headers=gateway.auth())).json()
    assert [e["offset"] for e in first["events"]] == [p.offset for p in published[:3]]
    assert first["events"][0]["type"] == "trade_executed"
    assert first["events"][0]["data"]["seq"] == 1
    rest = (
        await http.get(f"/api/v1/bots/alpha/events?after={first['next_after']}&limit=10", headers=gateway.auth())
    ).json()
    assert [e["data"]["order_id"] for e in rest["events"]] == ["order-4", "order-5"]
    assert rest["next_after"] == published[-1].offset


async def test_events_page_backwards_newest_first(
    http: httpx.AsyncClient, gateway: Any, bus: RedisBus, make: Any
) -> None:
    published = [await bus.publish(make.trade("alpha", n)) for n in range(1, 6)]
    newest = (await http.get("/api/v1/bots/alpha/events?before=latest&limit=2", headers=gateway.auth())).json()
    assert newest["order"] == "newest_first"
    assert [e["data"]["order_id"] for e in newest["events"]] == ["order-5", "order-4"]
    assert newest["next_after"] == published[-1].offset  # to follow what comes next, forwards
    older = (
        await http.get(f"/api/v1/bots/alpha/events?before={newest['next_before']}&limit=10", headers=gateway.auth())
    ).json()
    assert [e["data"]["seq"] for e in older["events"]] == [3, 2, 1]
    assert older["next_before"] is None  # the start of the history is reached


async def test_after_and_before_together_are_a_clear_400(
    http: httpx.AsyncClient, gateway: Any, bus: RedisBus, make: Any
) -> None:
    await bus.publish(make.trade("alpha"))
    response = await http.get("/api/v1/bots/alpha/events?after=1-0&before=latest", headers=gateway.auth())
    assert response.status_code == 400
    assert "not both" in response.json()["detail"]


async def test_bad_offsets_and_limits_are_422(http: httpx.AsyncClient, gateway: Any, bus: RedisBus, make: Any) -> None:
    await bus.publish(make.trade("alpha"))
    bad = (
        "after=yesterday",
        "after=99999999999999999999-0",
        "after=\u0661-0",
        "before=newest",
        "limit=0",
        "limit=100000",
    )
    for query in bad:
        response = await http.get(f"/api/v1/bots/alpha/events?{query}", headers=gateway.auth())
        assert response.status_code == 422, query


async def test_reading_needs_the_read_scope(http: httpx.AsyncClient, gateway: Any) -> None:
    assert (await http.get("/api/v1/bots")).status_code == 401
    assert (await http.get("/api/v1/bots", headers=gateway.auth("robot"))).status_code == 403


async def test_malformed_redis_keys_do_not_break_the_bot_list(
    http: httpx.AsyncClient, gateway: Any, bus: RedisBus, make: Any
) -> None:
    # Issue 17, finding 8: a wrong-type state key or a non-UTF-8 member of the bots set answered 500.
    await bus.publish(make.status("alpha", "running"))
    await bus.redis.sadd(bus.topics.bots(), b"\xff\xfe-not-utf8", "wrongtype")
    await bus.redis.set(bus.topics.bot_state("wrongtype"), "a string, not a hash")
    response = await http.get("/api/v1/bots", headers=gateway.auth("viewer"))
    assert response.status_code == 200
    listed = {bot["bot_id"]: bot["status"] for bot in response.json()["bots"]}
    assert listed["alpha"] == "running"
    assert "\ufffd\ufffd-not-utf8" not in listed
