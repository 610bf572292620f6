from __future__ import annotations

from tradewire_bus.fanout import RenderedCache
from tradewire_schemas import Envelope
from tradewire_testing.factories import price, trade


def bot_envelope(offset: str, bot: str = "alpha", epoch: str = "e") -> Envelope:
    return Envelope(epoch=epoch, offset=offset, event=trade(bot_id=bot).model_copy(update={"seq": 1}))


def test_renders_each_event_once_even_when_the_rendering_is_none() -> None:
    calls: list[str] = []

    def render(e: Envelope) -> str | None:
        calls.append(e.offset)
        return None if e.event.type == "price_update" else e.offset

    cache: RenderedCache[str | None] = RenderedCache(render)
    skipped = Envelope(epoch="e", offset="1-1", event=price().model_copy(update={"seq": 1}))
    kept = bot_envelope("1-2")
    for _ in range(3):
        assert cache.get(skipped) is None
        assert cache.get(kept) == "1-2"
    assert calls == ["1-1", "1-2"]


def test_keys_on_epoch_and_bot_as_well_as_offset_and_stays_bounded() -> None:
    cache: RenderedCache[str] = RenderedCache(lambda e: f"{e.epoch}/{e.event.bot_id}/{e.offset}", size=3)
    assert cache.get(bot_envelope("1-1")) == "e/alpha/1-1"
    assert cache.get(bot_envelope("1-1", bot="beta")) == "e/beta/1-1"
    assert cache.get(bot_envelope("1-1", epoch="f")) == "f/alpha/1-1"  # Redis lost its data: a new life
    cache.get(bot_envelope("1-2"))
    assert len(cache) == 3
