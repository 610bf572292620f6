"""Read-only views of the bots: list, one bot's snapshot, one bot's event history."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from tradewire_bus import FROM_START
from tradewire_gateway.dependencies import Reader, RuntimeDep
from tradewire_gateway.frames import EventFrame
from tradewire_gateway.views import (
    BotDetail,
    BotList,
    BotSummary,
    EventPage,
    Problem,
    StreamOffset,
)
from tradewire_schemas import BotId

BOT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
BotPath = Annotated[BotId, Path(pattern=BOT_ID_PATTERN, description="The bot's id.")]

READ_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "Missing or unknown token"},
    403: {"model": Problem, "description": "The token lacks the read scope"},
    503: {"model": Problem, "description": "Redis is unreachable"},
}


async def _known(runtime: RuntimeDep, bot_id: str) -> None:
    if bot_id not in await runtime.bus.bots():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no bot {bot_id!r} has published anything")


def bots_router(events_page_limit: int) -> APIRouter:
    router = APIRouter(prefix="/api/v1/bots", tags=["bots"], responses=READ_ERRORS)

    @router.get("", summary="Known bots with their status and liveness")
    async def list_bots(runtime: RuntimeDep, _: Reader) -> BotList:
        snapshots = [await runtime.bus.snapshot(bot) for bot in await runtime.bus.bots()]
        return BotList(bots=[BotSummary.of(snapshot) for snapshot in snapshots])

    @router.get("/{bot_id}", summary="A bot's current snapshot", responses={404: {"model": Problem}})
    async def get_bot(bot_id: BotPath, runtime: RuntimeDep, _: Reader) -> BotDetail:
        await _known(runtime, bot_id)
        snapshot = await runtime.bus.snapshot(bot_id)
        summary = BotSummary.of(snapshot)
        return BotDetail(**summary.model_dump(), stale=summary.liveness == "stale", snapshot=snapshot)

    @router.get("/{bot_id}/events", summary="A bot's event history, oldest first", responses={404: {"model": Problem}})
    async def get_events(
        bot_id: BotPath,
        runtime: RuntimeDep,
        _: Reader,
        after: Annotated[StreamOffset, Query(description="Events after this offset.")] = FROM_START,
        limit: Annotated[int, Query(ge=1, le=events_page_limit)] = 100,
    ) -> EventPage:
        await _known(runtime, bot_id)
        envelopes = await runtime.bus.history(bot_id, after=after, limit=limit)
        frames = [
            EventFrame(type=e.event.type, offset=e.offset, bot_id=e.event.bot_id, data=e.event) for e in envelopes
        ]
        return EventPage(bot_id=bot_id, events=frames, next_after=envelopes[-1].offset if envelopes else after)

    return router
