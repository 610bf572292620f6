from __future__ import annotations

import json
from typing import Any

from tradewire_bus import Resync
from tradewire_bus.fanout import RenderedCache
from tradewire_gateway.frames import EventFrame, event_frame_text, resync_frame_text
from tradewire_schemas import Envelope


def test_event_frame_text_is_a_valid_event_frame_carrying_the_event_unchanged(make: Any) -> None:
    trade = make.trade("alpha", 5).model_copy(update={"seq": 12})
    envelope = Envelope(epoch="e1", offset="1700000000000-0", event=trade)
    text = event_frame_text(envelope)
    frame = EventFrame.model_validate_json(text)
    assert (frame.type, frame.offset, frame.bot_id) == ("trade_executed", "1700000000000-0", "alpha")
    assert frame.data == trade
    assert json.loads(text)["data"] == json.loads(trade.model_dump_json())


def test_resync_frame_names_the_bot_and_reason() -> None:
    assert json.loads(resync_frame_text(Resync(None, "Redis lost its data"))) == {
        "type": "resync",
        "bot_id": None,
        "reason": "Redis lost its data",
    }


def test_frame_cache_encodes_each_envelope_once_and_stays_bounded(make: Any) -> None:
    cache = RenderedCache(event_frame_text, size=2)
    first = Envelope(epoch="e", offset="1-0", event=make.price("alpha", 1))
    assert cache.get(first) is cache.get(first)
    for n in range(2, 5):
        cache.get(Envelope(epoch="e", offset=f"{n}-0", event=make.price("alpha", n)))
    assert len(cache) == 2
    other_bot_same_offset = Envelope(epoch="e", offset="4-0", event=make.price("beta", 4))
    assert json.loads(cache.get(other_bot_same_offset))["bot_id"] == "beta"
