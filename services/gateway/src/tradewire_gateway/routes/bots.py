"""Read-only views of the bots: list, one bot's snapshot, one bot's event history."""

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status

from tradewire_bus import FROM_START
from tradewire_gateway.dependencies import Reader, RuntimeDep
from tradewire_gateway.frames import EventFrame
from tradewire_gateway.views import BotDetail, BotList, BotSummary, EventPage, Problem
from tradewire_schemas import BOT_ID_PATTERN, BotId, Envelope, StreamOffset

BotPath = Annotated[BotId, Path(pattern=BOT_ID_PATTERN, description="The bot's id.")]

READ_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "Missing or unknown token"},
    403: {"model": Problem, "description": "The token lacks the read scope"},
    503: {"model": Problem, "description": "Redis is unreachable"},
}


async def _known(runtime: RuntimeDep, bot_id: str) -> None:
    if bot_id not in await runtime.bus.bots():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no bot {bot_id!r} has published anything")


def _frames(envelopes: list[Envelope]) -> list[EventFrame]:
    return [EventFrame(type=e.event.type, offset=e.offset, bot_id=e.event.bot_id, data=e.event) for e in envelopes]


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

    @router.get(
        "/{bot_id}/events",
        summary="A bot's event history: oldest first after an offset, or newest first before one",
        responses={404: {"model": Problem}, 400: {"model": Problem}},
    )
    async def get_events(
        bot_id: BotPath,
        runtime: RuntimeDep,
        _: Reader,
        after: Annotated[
            StreamOffset | None, Query(description="Events after this offset, oldest first (default: from the start).")
        ] = None,
        before: Annotated[
            StreamOffset | Literal["latest"] | None,
            Query(description="Events before this offset, newest first; `latest` for the newest events."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=events_page_limit)] = 100,
    ) -> EventPage:
        if after is not None and before is not None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "give after= (forwards) or before= (backwards), not both")
        await _known(runtime, bot_id)
        if before is None:
            start = after or FROM_START
            envelopes = await runtime.bus.history(bot_id, after=start, limit=limit)
            return EventPage(
                bot_id=bot_id, events=_frames(envelopes), next_after=envelopes[-1].offset if envelopes else start
            )
        envelopes = await runtime.bus.history_before(bot_id, None if before == "latest" else before, limit)
        # Forwards from the newest one read, a client picks up what comes after this page.
        return EventPage(
            bot_id=bot_id,
            order="newest_first",
            events=_frames(envelopes),
            next_after=envelopes[0].offset if envelopes else FROM_START,
            next_before=envelopes[-1].offset if len(envelopes) == limit else None,
        )

    return router
