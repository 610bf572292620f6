"""The report as one self-contained HTML page: figures, tables and three charts that work offline.

Charts: TradingView's lightweight-charts (Apache 2.0), the library the dashboard's live chart already
uses, inlined from `vendor/` (about 200 KB). It is made for exactly this: candles with trade markers,
and line/area series on a shared time axis. Plotly would add ~4.5 MB of JavaScript to every report.
"""

from __future__ import annotations

import io
import json
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console

from tradewire_trader.backtest.terminal_table import breakdown_table, figures_table

CHART_LIBRARY = "lightweight-charts.standalone.production.js"

STYLE = """
body{font-family:system-ui,sans-serif;background:#0f172a;color:#e2e8f0;margin:0;padding:1rem 2rem}
h1{font-size:1.3rem} h2{font-size:1.05rem;margin-top:1.5rem} pre{font-size:.8rem;line-height:1.25;overflow-x:auto}
.chart{height:320px;margin:.5rem 0} .small{height:160px} .warning{color:#fbbf24} .note{color:#94a3b8}
"""

SCRIPT = """
"use strict";
const report = JSON.parse(document.getElementById("report-data").textContent);
const chartData = report.chart;
const options = {
  autoSize: true,
  layout: {background: {color: "#0f172a"}, textColor: "#cbd5e1", attributionLogo: false},
  grid: {vertLines: {color: "#1e293b"}, horzLines: {color: "#1e293b"}},
  // Every point fits the width at first (the default minimum spacing would show only the last ones);
  // a fixed price-axis width keeps the three charts' time axes aligned.
  timeScale: {timeVisible: true, secondsVisible: false, minBarSpacing: 0.001},
  rightPriceScale: {minimumWidth: 90},
};
const LC = LightweightCharts;
const priceChart = LC.createChart(document.getElementById("price"), options);
const candles = priceChart.addSeries(LC.CandlestickSeries, {});
candles.setData(chartData.price.map(([time, open, high, low, close]) => ({time, open, high, low, close})));
LC.createSeriesMarkers(candles, chartData.markers.map((m) => m.side === "buy"
  ? {time: m.time, position: "belowBar", color: "#22c55e", shape: "arrowUp", text: m.text}
  : {time: m.time, position: "aboveBar", color: m.win ? "#38bdf8" : "#f43f5e", shape: "arrowDown", text: m.text}));
const equityChart = LC.createChart(document.getElementById("equity"), options);
equityChart.addSeries(LC.LineSeries, {color: "#38bdf8", lineWidth: 2})
  .setData(chartData.equity.map(([time, value]) => ({time, value})));
const drawdownChart = LC.createChart(document.getElementById("drawdown"), options);
drawdownChart.addSeries(LC.AreaSeries, {lineColor: "#f43f5e", topColor: "rgba(244,63,94,0.05)",
  bottomColor: "rgba(244,63,94,0.4)", invertFilledArea: true})
  .setData(chartData.drawdown_pct.map(([time, value]) => ({time, value})));
const charts = [priceChart, equityChart, drawdownChart];
for (const chart of charts) chart.timeScale().fitContent();
// One time axis for the three: scrolling or zooming one moves the others.
for (const chart of charts) {
  chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
    if (range === null) return;
    for (const other of charts) if (other !== chart) other.timeScale().setVisibleLogicalRange(range);
  });
}
document.body.dataset.rendered = "yes";
"""


def _library() -> str:
    return (resources.files("tradewire_trader.backtest") / "vendor" / CHART_LIBRARY).read_text()


def _text_tables(report: dict[str, Any]) -> str:
    """The terminal's tables, rendered by rich as plain text: one source for both layouts."""
    console = Console(record=True, width=110, color_system=None, file=io.StringIO())
    quote = report["run"]["quote"]
    console.print(figures_table(report))
    for title, key in (
        ("per symbol", "per_symbol"),
        ("per exit reason", "per_exit_reason"),
        ("per month", "per_month"),
    ):
        console.print(breakdown_table(title, report[key], quote))
    return console.export_text()


def render_page(report: dict[str, Any]) -> str:
    data = json.dumps(report, allow_nan=False).replace("</", "<\\/")  # no early end of the script element
    chart = report["chart"]
    thinned = (
        f"Charts show one point per {chart['candles_per_point']} candles (high/low kept, deepest drawdown kept)."
        if chart["candles_per_point"] > 1
        else ""
    )
    cut = f" Markers for the first {chart['markers_cut']} trades are left out." if chart["markers_cut"] else ""
    notes = "".join(f'<p class="warning">{escape(note)}</p>' for note in report["notes"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backtest {escape(report["name"])}</title><style>{STYLE}</style></head>
<body>
<h1>Backtest {escape(report["name"])}</h1>
{notes}
<h2>Price of {escape(chart["symbol"])} with entries (green) and exits (blue: profit, red: loss)</h2>
<div id="price" class="chart"></div>
<h2>Equity ({escape(report["run"]["quote"])})</h2><div id="equity" class="chart small"></div>
<h2>Drawdown (%)</h2><div id="drawdown" class="chart small"></div>
<p class="note">{escape(thinned + cut)}</p>
<pre>{escape(_text_tables(report))}</pre>
<script>{_library()}</script>
<script id="report-data" type="application/json">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""


def write_page(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(report))
    return path
