"""How the dashboard writes numbers for people: one set of rules for the history page and the admin,
mirrored by static/dashboard/market_numbers.js for the live page (both are checked against the same
cases in tests/market_number_cases.json).

- A price has the market's tick: 2 decimals for a fiat-like quote (USDT, USD, EUR, ...) when the price
  is 1 or more, enough for 4 significant digits below that (at most 8); 8 decimals for a crypto quote.
- An amount of a coin keeps up to 8 decimals, with trailing zeros dropped ("0.01", not "0.01000000").
- Money (cost, fee, profit, equity) has its currency's decimals (2 for fiat-like, 8 for coins) and its
  currency code: "1,729.20 USDT". A profit has a sign: "+27.11 USDT", "-3.40 USDT"; a percentage
  "+1.25 %".
- Thousands are grouped with "," and the decimal point is "."; halves round away from zero.
The CSV is for programs: it writes exact plain decimals instead (`plain`), never exponents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Quote currencies priced like money: a tick of a cent is what their markets use.
FIAT_LIKE = frozenset({"USDT", "USDC", "BUSD", "FDUSD", "TUSD", "DAI", "USD", "EUR", "GBP", "TRY", "BRL", "JPY"})
COIN_DECIMALS = 8
SMALL_PRICE_DIGITS = 4
DASH = "\N{EN DASH}"  # what the pages show for "no value"


def quote_of(symbol: str) -> str:
    """'BTC/USDT' -> 'USDT' (a futures suffix such as ':USDT' is ignored)."""
    return symbol.split("/", 1)[1].split(":", 1)[0] if "/" in symbol else ""


def money_decimals(currency: str) -> int:
    # No currency known (an old event): written like money rather than like a coin.
    return 2 if not currency or currency.upper() in FIAT_LIKE else COIN_DECIMALS


def price_decimals(price: Decimal, quote: str) -> int:
    if quote.upper() not in FIAT_LIKE:
        return COIN_DECIMALS
    if abs(price) >= 1 or price == 0:
        return 2
    leading_zeros = -abs(price).adjusted() - 1  # 0.000123 -> 3
    return min(COIN_DECIMALS, leading_zeros + SMALL_PRICE_DIGITS)


def grouped(value: Decimal, decimals: int, *, trim: bool = False, signed: bool = False) -> str:
    """`value` rounded half away from zero to `decimals`, thousands grouped; `trim` drops trailing zeros;
    `signed` writes "+" before what is still above zero once rounded."""
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # "-0.00" reads as a loss that is not there
    text = ("+" if signed and rounded > 0 else "") + f"{rounded:,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def step_decimals(step: Decimal) -> int:
    """A market's tick or step as decimals: 0.01 -> 2, 0.00001 -> 5, 0.5 -> 1, 5 -> 0."""
    return max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]


def price(value: Decimal | None, symbol: str, tick: Decimal | None = None) -> str:
    """To the market's tick when known (`markets_loaded`), else by the rules above."""
    if value is None:
        return DASH
    return grouped(value, price_decimals(value, quote_of(symbol)) if tick is None else step_decimals(tick))


def amount(value: Decimal | None, step: Decimal | None = None) -> str:
    """Rounded to the market's amount step when known, else to 8 decimals; trailing zeros dropped."""
    if value is None:
        return DASH
    return grouped(value, COIN_DECIMALS if step is None else step_decimals(step), trim=True)


def money(value: Decimal | None, currency: str, *, signed: bool = False) -> str:
    if value is None:
        return DASH
    text = grouped(value, money_decimals(currency), signed=signed)
    return f"{text} {currency}" if currency else text


def percent(value: Decimal | None, *, signed: bool = True) -> str:
    if value is None:
        return DASH
    return f"{grouped(value, 2, signed=signed)} %"


def held(seconds: float | None) -> str:
    """How long a position was held: '45s', '12m 5s', '3h 20m', '2d 4h'."""
    if seconds is None or seconds < 0:
        return DASH
    whole = int(seconds)
    days, hours, minutes = whole // 86400, whole % 86400 // 3600, whole % 3600 // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {whole % 60}s"


def tone(value: Decimal | None) -> str:
    """The CSS class of a profit: 'gain', 'loss' or '' (none, or zero)."""
    if value is None or value == 0:
        return ""
    return "gain" if value > 0 else "loss"


def plain(value: Decimal | None) -> str:
    """Exact and machine-readable: '40800.92', '0', '-5.5'; never '0E-12' or '40800.920000000000'."""
    if value is None:
        return ""
    normal = value.normalize()
    if normal == 0:
        return "0"
    return format(normal, "f")
