"""The shipped markets file: ccxt's own `load_markets()` structure for Binance spot, made offline.

`fixtures/binance_spot_exchange_info.json` holds Binance's exchangeInfo entries as ccxt recorded them;
ccxt's Binance parser turns them into unified markets (precision as tick sizes, limits for amount,
price and cost), written to `fixtures/markets.json` without the raw `info` (it is in the source file).
No network: the parser is fed the recorded answer. Regenerate after editing the source file:

    python -m tradewire_trader.markets_file          # write fixtures/markets.json
    python -m tradewire_trader.markets_file --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import ccxt  # type: ignore[import-untyped]

SOURCE = "binance_spot_exchange_info.json"
MARKETS = "markets.json"


def _fixture(name: str) -> Path:
    return Path(str(resources.files("tradewire_trader") / "fixtures" / name))


def parsed_markets() -> list[dict[str, Any]]:
    """ccxt's markets for every symbol of the source file, in its order, without `info`."""
    symbols = json.loads(_fixture(SOURCE).read_text())["symbols"]
    # The margin lists ccxt would fetch alongside are empty here: these are spot markets.
    client = ccxt.binance({"options": {"crossMarginPairsData": [], "isolatedMarginPairsData": []}})
    markets = client.parse_markets(symbols)
    return [{key: value for key, value in market.items() if key != "info"} for market in markets]


def rendered() -> str:
    return json.dumps(parsed_markets(), indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    target = _fixture(MARKETS)
    if "--check" in argv:
        if target.read_text() != rendered():
            print(f"{target} is out of date: run python -m tradewire_trader.markets_file", file=sys.stderr)
            return 1
        return 0
    target.write_text(rendered())
    print(f"wrote {len(parsed_markets())} markets to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
