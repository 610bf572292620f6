from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from uuid import uuid4

import pytest

from tradewire_bus import CommandTimeout, NoTraderListening, RedisBus
from tradewire_schemas import Command, CommandResult, RequestStatus, StartBot, StopBot, encode, utc_now
from tradewire_testing.responder import responder


async def test_a_command_returns_the_traders_result(bus: RedisBus) -> None:
    executed: list[Command] = []
    async with responder(bus, "alpha", executed):
        result = await bus.send_command(StopBot(bot_id="alpha", actor="ops"))
    assert (result.outcome, result.command, result.message) == ("completed", "stop_bot", "done")
    assert [c.type for c in executed] == ["stop_bot"]


async def test_a_command_to_an_absent_trader_fails_at_once(bus: RedisBus) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(NoTraderListening, match="no trader is listening for bot 'ghost'"):
        await bus.send_command(StartBot(bot_id="ghost", actor="ops"), timeout=30)
    assert loop.time() - started < 30  # did not wait for the timeout


async def test_a_command_nobody_answers_times_out(bus: RedisBus) -> None:
    async with responder(bus, "alpha", [], answer=False):
        with pytest.raises(CommandTimeout, match=r"did not answer within 0\.2s"):
            await bus.send_command(RequestStatus(bot_id="alpha", actor="ops"), timeout=0.2)


async def test_the_same_command_id_is_executed_once(bus: RedisBus) -> None:
    executed: list[Command] = []
    command = StartBot(bot_id="alpha", actor="ops")
    async with responder(bus, "alpha", executed):
        first = await bus.send_command(command)
        again = await bus.send_command(command)  # a retry: answered from the kept result
        for _ in range(3):  # raw duplicates straight onto the channel
            await bus.clients.publish(bus.topics.bot_commands("alpha"), encode(command))
        other = await bus.send_command(StopBot(bot_id="alpha", actor="ops"))  # in order after the duplicates
    assert first == again
    assert other.command == "stop_bot"
    assert [c.type for c in executed] == ["start_bot", "stop_bot"]
    assert bus.stats.commands_duplicate == 3


async def test_an_expired_command_is_rejected_and_not_executed(bus: RedisBus) -> None:
    executed: list[Command] = []
    issued = utc_now() - timedelta(minutes=5)
    stale = StopBot(bot_id="alpha", actor="ops", issued_at=issued, expires_at=issued + timedelta(seconds=30))
    async with responder(bus, "alpha", executed):
        result = await bus.send_command(stale)
    assert result.outcome == "rejected"
    assert "expired" in result.message and "not executed" in result.message
    assert executed == []
    assert bus.stats.commands_expired == 1


async def test_a_malformed_command_is_rejected_with_the_reason(bus: RedisBus) -> None:
    executed: list[Command] = []
    channel = bus.topics.bot_commands("alpha")
    async with responder(bus, "alpha", executed), bus.subscribe(bots=["alpha"]) as events:
        bad = {
            "type": "stop_bot",
            "command_id": "5b0f1d3c-37a5-4c36-9d43-4f0b66e2d6aa",
            "bot_id": "alpha",
            "actor": "ops",
            "extra": 1,
        }
        await bus.clients.publish(channel, json.dumps(bad))
        await bus.clients.publish(channel, b"stop please")
        await bus.clients.publish(channel, json.dumps({"type": "self_destruct", "command_id": bad["command_id"]}))
        first = await asyncio.wait_for(anext(events), 5)
        second = await asyncio.wait_for(anext(events), 5)
        await bus.send_command(StopBot(bot_id="alpha", actor="ops"))  # the inbox is still alive
    rejected = [first.event, second.event]  # type: ignore[union-attr]
    assert all(isinstance(r, CommandResult) and r.outcome == "rejected" for r in rejected)
    assert "extra: Extra inputs are not permitted" in rejected[0].message  # type: ignore[union-attr]
    assert rejected[1].command is None  # type: ignore[union-attr]
    assert [c.type for c in executed] == ["stop_bot"]
    assert bus.stats.commands_malformed == 3


async def test_a_command_for_another_bot_is_refused(bus: RedisBus) -> None:
    executed: list[Command] = []
    async with responder(bus, "alpha", executed), bus.subscribe(bots=["alpha"]) as events:
        await bus.clients.publish(bus.topics.bot_commands("alpha"), encode(StopBot(bot_id="beta", actor="ops")))
        item = await asyncio.wait_for(anext(events), 5)
    assert isinstance(item.event, CommandResult) and "addressed to 'beta'" in item.event.message  # type: ignore[union-attr]
    assert executed == []


async def test_an_inbox_always_ends_when_its_task_is_cancelled(bus: RedisBus) -> None:
    async def serve() -> None:
        async with bus.commands("alpha") as inbox:
            async for _ in inbox:
                pass

    for yields in range(0, 40, 2):  # cancel at many different points of subscribing and reading
        task = asyncio.create_task(serve())
        for _ in range(yields):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=3)
        assert done, f"the inbox ignored a cancel after {yields} loop turns"


async def test_the_same_command_sent_twice_at_once_answers_both_senders(bus: RedisBus) -> None:
    executed: list[Command] = []
    command = StopBot(bot_id="alpha", actor="ops")
    async with responder(bus, "alpha", executed):
        for _ in range(10):  # two senders racing: one runs it, the other must still get its answer
            executed.clear()
            again = command.model_copy(update={"command_id": uuid4()})
            first, second = await asyncio.gather(bus.send_command(again), bus.send_command(again))
            assert first == second and first.outcome == "completed"
            assert len(executed) == 1
