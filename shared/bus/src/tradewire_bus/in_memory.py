"""A publisher that keeps what was published in memory, with the bus's seq rules: for unit tests, benchmarks
and backtests (which publish every event of a run here)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from tradewire_schemas import Envelope, Event

M = TypeVar("M", bound=BaseModel)


class InMemoryPublisher:
    """Keeps what was published, in order, with the same seq rules; for unit tests and benchmarks."""

    def __init__(self) -> None:
        self.published: list[Envelope] = []
        self._seqs: dict[str, int] = {}

    def continue_after(self, bot_id: str, seq: int) -> None:
        self._seqs[bot_id] = max(seq, self._seqs.get(bot_id, 0))

    async def publish(self, event: Event) -> Envelope:
        seq = self._seqs.get(event.bot_id, 0) + 1
        self._seqs[event.bot_id] = seq
        envelope = _constructed(
            Envelope, {"epoch": "memory", "offset": f"0-{len(self.published) + 1}", "event": _with_seq(event, seq)}
        )
        self.published.append(envelope)
        return envelope

    def events(self) -> list[Event]:
        return [envelope.event for envelope in self.published]


# Constructed, not validated: every part is already valid, and a backtest publishes every event here.
# What pydantic's model_construct and model_copy(update=...) make, built directly: they cost 1.3-1.4 us
# each per event, resolving fields and copying state per call; these, 0.5-0.9 us.
_set = object.__setattr__


def _constructed(model: type[M], fields: dict[str, Any]) -> M:
    built = model.__new__(model)
    _set(built, "__dict__", fields)
    _set(built, "__pydantic_fields_set__", set(fields))
    _set(built, "__pydantic_extra__", None)
    _set(built, "__pydantic_private__", None)
    return built


def _with_seq(event: Event, seq: int) -> Event:
    """A shallow copy of the event with this seq, as `event.model_copy(update={"seq": seq})`."""
    fields = event.__dict__.copy()
    fields["seq"] = seq
    copied = _constructed(type(event), fields)
    _set(copied, "__pydantic_fields_set__", {*event.model_fields_set, "seq"})
    _set(copied, "__pydantic_extra__", event.__pydantic_extra__)
    _set(copied, "__pydantic_private__", event.__pydantic_private__)
    return copied
