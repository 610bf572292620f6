from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from tradewire_bus import RedisBus
from tradewire_testing import eventually

Opener = Callable[..., Any]


def is_type(kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda frame: frame["type"] == kind


async def test_events_arrive_as_frames_with_type_offset_bot_and_data(ws: Opener, bus: RedisBus, make: Any) -> None:
    async with ws("snapshot=false") as client:
        assert (await client.receive())["type"] == "subscribed"
        published = await bus.publish(make.trade("alpha", 3))
        frame = await client.receive()
    assert frame["type"] == "trade_executed"
    assert frame["offset"] == published.offset
    assert frame["bot_id"] == "alpha"
    assert frame["data"]["order_id"] == "order-3"
    assert frame["data"]["price"] == "42003"
    assert frame["data"]["seq"] == published.event.seq


async def test_first_frames_are_snapshots_then_events_continue_right_after_them(
    ws: Opener, bus: RedisBus, make: Any
) -> None:
    await bus.publish(make.status("alpha", "running"))
    latest = await bus.publish(make.price("alpha", 1))
    async with ws() as client:
        snapshot = await client.receive()
        subscribed = await client.receive()
        live = await bus.publish(make.trade("alpha"))
        event = await client.receive()
    assert snapshot["type"] == "snapshot"
    assert snapshot["offset"] == latest.offset
    assert snapshot["data"]["status"]["status"] == "running"
    assert snapshot["data"]["price"]["last"] == "42001"
    assert subscribed == {
        "type": "subscribed",
        "bots": None,
        "types": None,
        "after": {"alpha": latest.offset},
        "full": False,
    }
    assert (event["type"], event["offset"]) == ("trade_executed", live.offset)


async def test_client_receives_only_the_bots_and_event_types_it_chose(ws: Opener, bus: RedisBus, make: Any) -> None:
    async with ws("bots=alpha,gamma&types=trade_executed,status_change&snapshot=false") as client:
        subscribed = await client.receive()
        await bus.publish(make.price("alpha"))  # unwanted type
        await bus.publish(make.trade("beta"))  # unwanted bot
        await bus.publish(make.heartbeat("gamma"))  # unwanted type
        wanted = await bus.publish(make.trade("alpha", 9))
        also_wanted = await bus.publish(make.status("gamma", "stopped"))
        # Order holds per bot, not across bots: on a cluster alpha and gamma may live on different
        # shards. A last wanted event per bot closes each bot's sequence, so anything unwanted that
        # slipped through would have arrived before it.
        last_alpha = await bus.publish(make.trade("alpha", 10))
        last_gamma = await bus.publish(make.status("gamma", "running"))
        closing = {("alpha", last_alpha.offset), ("gamma", last_gamma.offset)}  # offsets are per bot's stream
        frames = []
        async with asyncio.timeout(10):
            while closing - {(frame["bot_id"], frame["offset"]) for frame in frames}:
                frames.append(await client.receive())
    assert subscribed["bots"] == ["alpha", "gamma"]
    assert subscribed["types"] == ["status_change", "trade_executed"]
    per_bot = {bot: [(f["type"], f["offset"]) for f in frames if f["bot_id"] == bot] for bot in ("alpha", "gamma")}
    assert per_bot == {
        "alpha": [("trade_executed", wanted.offset), ("trade_executed", last_alpha.offset)],
        "gamma": [("status_change", also_wanted.offset), ("status_change", last_gamma.offset)],
    }
    assert len(frames) == 4, frames  # nothing of beta's, nothing else


async def test_reconnecting_client_receives_missed_events_in_order_without_duplicates(
    ws: Opener, bus: RedisBus, make: Any
) -> None:
    async with ws("bots=alpha&snapshot=false") as client:
        await client.receive_until(is_type("subscribed"))
        for n in range(1, 4):
            await bus.publish(make.trade("alpha", n))
        seen = [await client.receive() for _ in range(3)]
    resume_from = seen[-1]["offset"]
    for n in range(4, 7):  # published while the client is away
        await bus.publish(make.trade("alpha", n))
    async with ws(f"bots=alpha&after=alpha:{resume_from}") as client:
        live_during_replay = asyncio.create_task(bus.publish(make.trade("alpha", 7)))
        subscribed = await client.receive_until(is_type("subscribed"))  # missed history follows it
        await live_during_replay
        resumed = client.skipped + [await client.receive() for _ in range(4 - len(client.skipped))]
        await bus.publish(make.trade("alpha", 8))
        after_that = await client.receive()
    assert subscribed["after"]["alpha"] in {frame["offset"] for frame in [seen[-1], *resumed]}
    assert [frame["data"]["order_id"] for frame in resumed] == ["order-4", "order-5", "order-6", "order-7"]
    assert [frame["data"]["seq"] for frame in [*seen, *resumed, after_that]] == list(range(1, 9))


async def test_resume_from_an_offset_no_longer_kept_says_resync_first(ws: Opener, bus: RedisBus, make: Any) -> None:
    kept = await bus.publish(make.trade("alpha", 1))
    async with ws("bots=alpha&after=1-0") as client:
        await client.receive_until(is_type("subscribed"))
        resync = await client.receive()
        replayed = await client.receive()
    assert resync["type"] == "resync"
    assert resync["bot_id"] == "alpha"
    assert replayed["offset"] == kept.offset


async def test_old_style_command_is_answered_with_bot_control(
    ws: Opener, responder: Callable[..., Any], bus: RedisBus
) -> None:
    trader = await responder("alpha")
    async with ws("types=status_change&snapshot=false") as client:
        await client.receive_until(is_type("subscribed"))
        await client.send({"command": "start_bot", "bot_id": "alpha", "request_id": "r1"})
        answer = await client.receive_until(is_type("bot_control"))
    assert answer["request_id"] == "r1"
    assert (answer["bot_id"], answer["command"]) == ("alpha", "start_bot")
    assert answer["result"]["outcome"] == "completed"
    assert answer["result"]["command_id"] == str(trader.received[0].command_id)
    assert trader.received[0].actor == "ops"
    assert [frame["data"]["status"] for frame in client.skipped] in ([], ["running"])


async def test_close_position_over_the_socket_names_its_market(ws: Opener, responder: Callable[..., Any]) -> None:
    trader = await responder("alpha")
    async with ws("bots=alpha&types=command_result") as client:
        await client.receive_until(is_type("subscribed"))
        await client.send({"command": "close_position", "symbol": "ETH/USDT", "request_id": "c1"})
        answer = await client.receive_until(is_type("bot_control"))
        await client.send({"command": "start_bot", "symbol": "ETH/USDT", "request_id": "c2"})
        refused = await client.receive_until(is_type("error"))
    assert (answer["request_id"], answer["command"], answer["result"]["outcome"]) == (
        "c1",
        "close_position",
        "completed",
    )
    assert [(c.type, getattr(c, "symbol", None)) for c in trader.received] == [("close_position", "ETH/USDT")]
    assert refused["code"] == "malformed" and "only understood with close_position" in refused["message"]


async def test_command_may_leave_out_bot_id_when_the_socket_follows_one_bot(
    ws: Opener, responder: Callable[..., Any]
) -> None:
    await responder("alpha")
    async with ws("bots=alpha&types=command_result") as client:
        await client.receive_until(is_type("subscribed"))
        await client.send({"command": "request_status"})
        answer = await client.receive_until(is_type("bot_control"))
    assert (answer["bot_id"], answer["result"]["command"]) == ("alpha", "request_status")


async def test_command_problems_are_error_frames_and_the_socket_stays_open(
    ws: Opener, bus: RedisBus, make: Any
) -> None:
    async with ws("snapshot=false", token="viewer") as client:
        await client.receive_until(is_type("subscribed"))
        await client.send({"command": "start_bot", "bot_id": "alpha", "request_id": "x"})
        forbidden = await client.receive()
        await client.send({"command": "start_bot"})
        no_bot = await client.receive()
    async with ws("snapshot=false") as client:
        await client.receive_until(is_type("subscribed"))
        await client.send({"command": "start_bot", "bot_id": "ghost"})
        no_trader = await client.receive()
        published = await bus.publish(make.trade("alpha"))
        still_open = await client.receive()
    assert (forbidden["code"], forbidden["request_id"]) == ("forbidden", "x")
    assert no_bot["code"] == "bad_request"
    assert (no_trader["code"], no_trader["bot_id"]) == ("no_trader", "ghost")
    assert still_open["offset"] == published.offset


@pytest.mark.parametrize(
    ("frame", "complaint"),
    [
        ("{not json", "Invalid JSON"),
        ("[1, 2]", "object"),
        ('{"command": "sell_everything", "bot_id": "alpha"}', "command"),
        ('{"command": "start_bot", "bot_id": 7}', "bot_id"),
        ('{"command": "start_bot", "bot_id": "../etc"}', "bot_id"),
        ('{"command": "start_bot", "bot_id": "alpha", "force": true}', "force"),
        (b"\x00\x01binary", "binary"),
    ],
)
async def test_malformed_frames_get_an_error_and_the_connection_stays(
    ws: Opener, bus: RedisBus, make: Any, gateway: Any, frame: str | bytes, complaint: str
) -> None:
    async with ws("snapshot=false") as client:
        await client.receive_until(is_type("subscribed"))
        await client.connection.send(frame)
        error = await client.receive()
        published = await bus.publish(make.trade("alpha"))
        next_event = await client.receive()
    assert error["type"] == "error"
    assert error["code"] == "malformed"
    assert complaint in error["message"]
    assert next_event["offset"] == published.offset
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{gateway.url}/metrics")).text
    assert 'tradewire_gateway_ws_frames_rejected_total{reason="malformed"} 1.0' in metrics


async def test_oversized_frame_closes_the_socket_with_1009(ws: Opener, gateway: Any) -> None:
    async with ws("snapshot=false", max_size=None) as client:
        await client.receive_until(is_type("subscribed"))
        padding = "x" * gateway.settings.ws_max_message_bytes
        await client.send({"command": "start_bot", "bot_id": "alpha", "request_id": padding})
        code, _ = await client.closed_with()
    assert code == 1009


@pytest.mark.parametrize(("token", "reason"), [(None, "missing"), ("robot", "read scope")])
async def test_socket_without_a_reading_token_is_closed_with_1008(ws: Opener, token: str | None, reason: str) -> None:
    async with ws(token=token) as client:
        code, why = await client.closed_with()
    assert code == 1008
    assert reason in why


async def test_socket_with_a_wrong_token_is_closed_with_1008(gateway: Any) -> None:
    async with connect(gateway.ws_url, additional_headers={"Authorization": "Bearer guess-guess-guess"}) as conn:
        await eventually(lambda: conn.protocol.close_rcvd is not None)
    assert conn.protocol.close_rcvd is not None and conn.protocol.close_rcvd.code == 1008


async def test_browser_may_send_its_token_as_a_subprotocol(gateway: Any, bus: RedisBus, make: Any) -> None:
    token = "ops-token-0123456789abcdef"
    offered = [Subprotocol("tradewire.v1"), Subprotocol(f"tradewire.bearer.{token}")]
    async with connect(gateway.ws_url + "?snapshot=false", subprotocols=offered) as conn:
        assert conn.subprotocol == "tradewire.v1"
        subscribed = await conn.recv()
    assert '"type":"subscribed"' in subscribed


@pytest.mark.parametrize(
    "query",
    [
        "types=sell_everything",
        "bots=../x",
        "after=12-0",
        "bots=alpha&after=beta:1-0",
        "colour=blue",
        "bots=alpha&after=alpha:soon",
    ],
)
async def test_bad_subscription_query_closes_with_4400(ws: Opener, query: str) -> None:
    async with ws(query) as client:
        code, reason = await client.closed_with()
    assert code == 4400
    assert reason


async def test_socket_refuses_upgrade_on_unknown_paths(gateway: Any) -> None:
    with pytest.raises(InvalidStatus):
        async with connect(gateway.ws_url + "x"):
            pass


async def test_socket_commands_share_the_token_rate_limit(
    gateway_factory: Callable[..., Any], ws_to: Any, responder: Callable[..., Any]
) -> None:
    gateway = gateway_factory(command_burst=1, commands_per_minute=1)
    await responder("alpha")
    async with ws_to(gateway)("bots=alpha&types=heartbeat") as client:
        await client.receive_until(is_type("subscribed"))
        await client.send({"command": "request_status", "request_id": "1"})
        first = await client.receive_until(lambda frame: frame.get("request_id") == "1")
        await client.send({"command": "request_status", "request_id": "2"})
        second = await client.receive_until(lambda frame: frame.get("request_id") == "2")
    assert first["type"] == "bot_control"
    assert (second["type"], second["code"]) == ("error", "rate_limited")


async def test_socket_commands_time_out_and_are_limited_in_flight(
    gateway_factory: Callable[..., Any], ws_to: Any, responder: Callable[..., Any]
) -> None:
    gateway = gateway_factory(command_timeout_s=1.0, ws_commands_in_flight=1)
    await responder("alpha", behaviour="accept_only")
    async with ws_to(gateway)("bots=alpha&types=heartbeat") as client:
        await client.receive_until(is_type("subscribed"))
        await client.send({"command": "start_bot", "request_id": "slow"})
        await client.send({"command": "stop_bot", "request_id": "second"})
        busy = await client.receive_until(lambda frame: frame.get("request_id") == "second")
        timed_out = await client.receive_until(lambda frame: frame.get("request_id") == "slow")
    assert (busy["type"], busy["code"]) == ("error", "busy")
    assert (timed_out["type"], timed_out["code"]) == ("error", "timeout")
    assert "did not finish" in timed_out["message"]


async def test_resume_with_a_snapshot_still_delivers_every_missed_trade(ws: Opener, bus: RedisBus, make: Any) -> None:
    first = await bus.publish(make.trade("alpha", 1))
    missed = [await bus.publish(make.trade("alpha", n)) for n in (2, 3)]
    async with ws(f"bots=alpha&after=alpha:{first.offset}&snapshot=true") as client:
        subscribed = await client.receive_until(is_type("subscribed"))
        frames = [*client.skipped]
        while len([f for f in frames if f["type"] == "trade_executed"]) < 2:
            frames.append(await client.receive())
    assert [f["offset"] for f in frames if f["type"] == "trade_executed"] == [m.offset for m in missed]
    assert [f["type"] for f in frames].count("snapshot") == 1
    assert subscribed["after"]["alpha"] == first.offset  # the resume point wins over the snapshot's
