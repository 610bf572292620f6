"""Backtesting: the trader's own engine over stored candles, with a report a trader can check.

`docs/backtesting.md` walks through it. Data lives in `candle_table` (columns in memory) and
`candle_file` (Freqtrade's file layouts); `download` fetches candles through ccxt.
"""
