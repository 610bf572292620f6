"""The consumer's commands: bad input answered with `error`, start/stop/request_status through the bus."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tradewire_bus import RedisBus
from tradewire_dashboard.runtime import DashboardRuntime
from tradewire_schemas import CommandResult, StatusChanged

from .test_consumer import BOT, connected, receive, status, trade


@contextlib.asynccontextmanager
async def responder(bus: RedisBus, bot: str, *, outcome: str = "completed") -> AsyncIterator[list[str]]:
    """A stand-in trader: answers each command, and publishes the status change a start/stop causes."""
    seen: list[str] = []
    ready = asyncio.Event()

    async def answer() -> None:
        async with bus.commands(bot) as inbox:
            ready.set()
            async for command in inbox:
                seen.append(command.type)
                if command.type in ("start_bot", "stop_bot") and outcome == "completed":
                    new = "running" if command.type == "start_bot" else "stopped"
                    reason = f"{new} by {command.actor}"  # as the trader words it
                    await bus.publish(StatusChanged(bot_id=bot, status=new, reason=reason, actor=command.actor))
                await bus.publish(
                    CommandResult(
                        bot_id=bot,
                        command_id=command.command_id,
                        command=command.type,
                        outcome=outcome,  # type: ignore[arg-type]
                        message=f"{command.type} {outcome}",
                    )
                )

    task = asyncio.create_task(answer())
    await asyncio.wait_for(ready.wait(), 5)
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("this is not json", "not a command"),
        (json.dumps({"command": "dance", "bot_id": BOT}), "command"),
        (json.dumps({"command": "stop_bot"}), "bot_id"),
        (json.dumps({"command": "stop_bot", "bot_id": "no spaces allowed"}), "bot_id"),
        (json.dumps({"command": "stop_bot", "bot_id": BOT, "extra": 1}), "extra"),
        (json.dumps({"command": "request_status", "bot_id": BOT, "pad": "x" * 5000}), "larger than"),
    ],
)
async def test_bad_input_gets_an_error_and_the_connection_stays(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any, frame: str, reason: str
) -> None:
    await bus.publish(status("running"))
    async with connected(runtime, controller) as ws:
        await receive(ws)
        await ws.send_to(text_data=frame)
        error = await receive(ws)
        assert error["type"] == "error"
        assert reason in error["data"]["message"]
        published = await bus.publish(trade(7))
        assert (await receive(ws))["offset"] == published.offset  # still connected and relaying
    assert runtime.stats.rejected_frames == 1


async def test_binary_frames_get_an_error(runtime: DashboardRuntime, controller: Any) -> None:
    async with connected(runtime, controller) as ws:
        await ws.send_to(bytes_data=b"\x00\x01")
        assert "binary" in (await receive(ws))["data"]["message"]


async def test_stop_is_sent_as_a_bus_command_and_answered_as_bot_control(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    async with responder(bus, BOT) as seen, connected(runtime, controller) as ws:
        await receive(ws)
        await ws.send_json_to({"command": "stop_bot", "bot_id": BOT, "request_id": "r1"})
        messages = [await receive(ws, skip=("heartbeat",)) for _ in range(2)]

    by_type = {m["type"]: m for m in messages}
    assert by_type["status_change"]["data"]["status"] == "stopped"
    assert by_type["status_change"]["data"]["actor"] == "carol"
    answer = by_type["bot_control"]["data"]
    assert answer["ok"] is True
    assert (answer["command"], answer["outcome"], answer["request_id"]) == ("stop_bot", "completed", "r1")
    assert seen == ["stop_bot"]


async def test_request_status_sends_the_snapshot_and_asks_the_trader(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any
) -> None:
    await bus.publish(status("running"))
    async with responder(bus, BOT) as seen, connected(runtime, controller) as ws:
        await receive(ws)
        await ws.send_json_to({"command": "request_status", "bot_id": BOT})
        snapshot = await receive(ws)
        answer = await receive(ws)
    assert (snapshot["type"], snapshot["data"]["status"]) == ("status", "running")
    assert (answer["type"], answer["data"]["outcome"]) == ("bot_control", "completed")
    assert seen == ["request_status"]


async def test_a_user_without_the_permission_cannot_stop_a_bot(
    runtime: DashboardRuntime, bus: RedisBus, viewer: Any
) -> None:
    await bus.publish(status("running"))
    async with responder(bus, BOT) as seen, connected(runtime, viewer) as ws:
        await receive(ws)
        await ws.send_json_to({"command": "stop_bot", "bot_id": BOT})
        answer = await receive(ws)
    assert answer["type"] == "bot_control"
    assert (answer["data"]["ok"], answer["data"]["outcome"]) == (False, "forbidden")
    assert "permission" in answer["data"]["message"]
    assert seen == []


async def test_start_without_a_trader_is_answered_as_offline(runtime: DashboardRuntime, controller: Any) -> None:
    async with connected(runtime, controller) as ws:
        await ws.send_json_to({"command": "start_bot", "bot_id": "ghost"})
        answer = await receive(ws)
    assert (answer["type"], answer["data"]["outcome"], answer["data"]["ok"]) == ("bot_control", "offline", False)
    assert "no trader" in answer["data"]["message"]


async def test_other_control_rooms_learn_who_stopped_a_bot(
    runtime: DashboardRuntime, bus: RedisBus, controller: Any, viewer: Any
) -> None:
    await bus.publish(status("running"))
    async with responder(bus, BOT), connected(runtime, controller) as asker, connected(runtime, viewer) as watcher:
        await receive(asker)
        await receive(watcher)
        await asker.send_json_to({"command": "stop_bot", "bot_id": BOT})
        notice = await receive(watcher, skip=("heartbeat",))
        own = sorted([(await receive(asker))["type"] for _ in range(2)])
        assert own == ["bot_control", "status_change"]
        assert await asker.receive_nothing(timeout=0.2)  # its own answer is not delivered twice
        assert await watcher.receive_nothing(timeout=0.2)  # the asker's answer is its own
    # From the bus, not a second pub/sub: the trader's status change names who stopped the bot.
    assert notice["type"] == "status_change"
    assert (notice["data"]["status"], notice["data"]["actor"], notice["data"]["reason"]) == (
        "stopped",
        "carol",
        "stopped by carol",
    )


async def test_request_status_of_a_bot_never_seen_is_an_error_not_an_empty_status(
    runtime: DashboardRuntime, controller: Any
) -> None:
    async with connected(runtime, controller) as ws:
        await ws.send_json_to({"command": "request_status", "bot_id": "ghost"})
        first = await receive(ws)
        answer = await receive(ws)
    assert (first["type"], first["data"]["message"]) == ("error", "no bot 'ghost' has published on the bus")
    assert (answer["type"], answer["data"]["outcome"]) == ("bot_control", "offline")
