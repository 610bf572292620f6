from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from notifier_harness import trade

from tradewire_notifier.rules import due_at, wanted
from tradewire_notifier.settings import QuietHours, Rules
from tradewire_schemas import StatusChanged


def test_only_the_chosen_bots_and_topics_pass() -> None:
    assert wanted(Rules(), trade())
    assert not wanted(Rules(bots=frozenset({"other"})), trade())
    assert not wanted(Rules(topics=frozenset({"trade_entry"})), trade(side="sell"))
    assert wanted(Rules(topics=frozenset({"trade_entry"})), trade(side="buy"))
    stopped = StatusChanged(bot_id="demo", status="stopped", reason="r", actor="a")
    assert not wanted(Rules(topics=frozenset({"error"})), stopped)


def test_small_profits_and_small_losses_are_left_out_by_their_thresholds() -> None:
    rules = Rules(min_profit=Decimal(10), min_loss=Decimal(5))
    assert wanted(rules, trade(profit="10"))
    assert not wanted(rules, trade(profit="9.99"))
    assert wanted(rules, trade(profit="-5"))
    assert not wanted(rules, trade(profit="-4.99"))
    assert wanted(rules, trade(side="buy"))  # entries have no profit to judge


def test_quiet_hours_across_midnight_delay_until_they_end() -> None:
    quiet = QuietHours(start=time(22), end=time(7), timezone="Europe/Berlin")  # UTC+1 in December
    late = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert due_at(quiet, late) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    early = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 05:00 in Berlin
    assert due_at(quiet, early) == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    day = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert due_at(quiet, day) == day


def test_quiet_hours_within_a_day() -> None:
    quiet = QuietHours(start=time(12), end=time(14))
    assert due_at(quiet, datetime(2026, 1, 1, 13, tzinfo=UTC)) == datetime(2026, 1, 1, 14, tzinfo=UTC)
    assert due_at(quiet, datetime(2026, 1, 1, 14, tzinfo=UTC)) == datetime(2026, 1, 1, 14, tzinfo=UTC)
    assert due_at(None, datetime(2026, 1, 1, 13, tzinfo=UTC)) == datetime(2026, 1, 1, 13, tzinfo=UTC)
