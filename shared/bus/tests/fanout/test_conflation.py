from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tradewire_bus.fanout.conflation import latest_only
from tradewire_schemas import Envelope, Event
from tradewire_schemas.policy import CONFLATABLE
from tradewire_testing.factories import price, status, trade


def page(events: list[Event]) -> list[Envelope]:
    return [
        Envelope(epoch="e", offset=f"1-{seq}", event=event.model_copy(update={"seq": seq}))
        for seq, event in enumerate(events, start=1)
    ]


def test_keeps_every_trade_and_status_and_the_last_price_of_each_bot() -> None:
    history = page(
        [
            price("alpha", 1),
            trade("alpha", "o-1"),
            price("beta", 1),
            price("alpha", 2),
            status("alpha"),
            price("alpha", 3),
            trade("beta", "o-2"),
        ]
    )
    kept = latest_only(history)
    assert [(e.event.bot_id, e.event.type, e.event.seq) for e in kept] == [
        ("alpha", "trade_executed", 2),
        ("beta", "price_update", 3),
        ("alpha", "status_change", 5),
        ("alpha", "price_update", 6),
        ("beta", "trade_executed", 7),
    ]


kinds = st.lists(
    st.tuples(st.sampled_from(["alpha", "beta"]), st.sampled_from(["price", "trade", "status"])), max_size=40
)


@given(kinds)
def test_never_drops_an_undroppable_event_nor_reorders(chosen: list[tuple[str, str]]) -> None:
    makers = {"price": lambda bot: price(bot), "trade": lambda bot: trade(bot), "status": lambda bot: status(bot)}
    history = page([makers[kind](bot) for bot, kind in chosen])
    kept = latest_only(history)
    undroppable = [e for e in history if e.event.type not in CONFLATABLE]
    assert [e for e in kept if e.event.type not in CONFLATABLE] == undroppable
    assert [e.event.seq for e in kept] == sorted(e.event.seq for e in kept)
    latest = {(e.event.bot_id, e.event.type): e for e in history if e.event.type in CONFLATABLE}
    assert {(e.event.bot_id, e.event.type): e for e in kept if e.event.type in CONFLATABLE} == latest
    assert len([e for e in kept if e.event.type in CONFLATABLE]) == len(latest)
