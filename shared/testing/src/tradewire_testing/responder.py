"""A stand-in trader for bus tests: it reads a bot's command inbox and answers each command."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from tradewire_bus import RedisBus
from tradewire_schemas import Command, CommandResult


@asynccontextmanager
async def responder(
    bus: RedisBus,
    bot_id: str,
    executed: list[Command] | None = None,
    answer: bool = True,
    publish: Callable[[CommandResult], Awaitable[object]] | None = None,
) -> AsyncIterator[None]:
    """A minimal trader, listening once the block starts: it records each admitted command in `executed`,
    then (unless `answer` is false) reports it completed, through `publish` when given (a writer of
    another schema version, say) or else `bus.publish`."""

    async def serve() -> None:
        async with bus.commands(bot_id) as inbox:
            ready.set()
            async for command in inbox:
                if executed is not None:
                    executed.append(command)
                if answer:
                    result = CommandResult(
                        bot_id=bot_id,
                        command_id=command.command_id,
                        command=command.type,
                        outcome="completed",
                        message="done",
                    )
                    await (publish or bus.publish)(result)

    ready = asyncio.Event()
    task = asyncio.create_task(serve())
    try:
        await asyncio.wait_for(ready.wait(), 5)
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
