from __future__ import annotations

from decimal import Decimal

from notifier_harness import a_notice, trade

from tradewire_notifier.messages import money, notice, render, summary
from tradewire_schemas import CommandResult, Heartbeat, PriceUpdated, StatusChanged


def test_money_has_thousands_separators_two_decimals_and_a_sign_when_asked() -> None:
    assert money(Decimal("12345.6"), "USDT") == "12,345.60 USDT"
    assert money(Decimal("-3.456"), "USDT", signed=True) == "-3.46 USDT"
    assert money(Decimal("0.00012"), "BTC") == "0.00012 BTC"
    assert money(Decimal("5"), "USDT", signed=True) == "+5.00 USDT"


def test_a_winning_exit_reads_as_profit_with_percent_and_a_link_to_the_bots_trades() -> None:
    made = notice(trade(profit="12.5"), "http://127.0.0.1:8001/")
    assert made is not None
    assert made.topic == "trade_exit" and made.tone == "good"
    assert made.title == "demo (paper): profit +12.50 USDT (+2.98 %)"
    assert "SELL 0.01 BTC @ 42,000.10 USDT" in made.text
    assert made.url == "http://127.0.0.1:8001/trades/?bot=demo"
    assert render(made).endswith("\nhttp://127.0.0.1:8001/trades/?bot=demo")


def test_a_losing_exit_reads_as_loss() -> None:
    made = notice(trade(profit="-7"), None)
    assert made is not None and made.tone == "bad" and "loss -7.00 USDT" in made.title and made.url is None


def test_an_entry_says_what_was_bought_and_its_cost() -> None:
    made = notice(trade(side="buy"), None)
    assert made is not None and made.topic == "trade_entry"
    assert "BUY 0.01 BTC @ 42,000.10 USDT, cost 420.00 USDT" in made.text


def test_a_status_change_carries_its_reason_and_who_did_it() -> None:
    made = notice(StatusChanged(bot_id="demo", status="stopped", reason="stop_bot", actor="ops"), None)
    assert made is not None and made.text == "demo stopped: stop_bot (by ops)"
    error = notice(StatusChanged(bot_id="demo", status="error", reason="exchange down", actor="trader"), None)
    assert error is not None and error.topic == "error" and error.tone == "bad"


def test_prices_stats_and_heartbeats_make_no_message() -> None:
    price = PriceUpdated(
        bot_id="d",
        symbol="BTC/USDT",
        last=Decimal(1),
        bid=Decimal(1),
        ask=Decimal(1),
        change_pct=Decimal(0),
        iteration=1,
    )
    assert notice(price, None) is None
    assert notice(Heartbeat(bot_id="d", status="running", interval_s=1), None) is None
    result = CommandResult(
        bot_id="d", command_id=trade().event_id, command="stop_bot", outcome="completed", message="ok"
    )
    assert notice(result, None) is not None


def test_a_summary_counts_by_bot_and_kind_and_nets_the_profit() -> None:
    notices = [a_notice("alpha", "10")] * 150 + [a_notice("beta", "-2.5")] * 50
    text = summary(notices)
    assert text.startswith("200 notifications from alpha (150), beta (50)")
    assert "200 trade exit" in text
    assert "net realized: +1,375.00 USDT" in text
    assert text.count("\n- ") == 3  # only the last few lines, not 200
