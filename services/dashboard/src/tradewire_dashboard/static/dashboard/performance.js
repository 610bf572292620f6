// What a bot's closed trades add up to over its WHOLE recorded history: daily realized profit as bars, the
// cumulative realized profit (equity curve of closed trades) as a line, and profit per symbol. The server
// works them out in the database and sends them once per bot when the socket connects (`performance`);
// each trade that arrives live after the figures' `through` offset is folded in here. Days are UTC days
// of market time (the trader's clock) when the trade has one.
"use strict";

const DAY_S = 86400;
const marketSeconds = (trade) => Date.parse(trade.market_time || trade.ts) / 1000;
const isClosing = (trade) => trade.realized_profit !== null && trade.realized_profit !== undefined;

// The server's `performance` data as the page keeps it: numbers, keyed for folding in live trades.
function performanceFrom(data) {
  return {
    through: data.through,
    step: data.equity_step_s,
    daily: new Map(data.daily.map((day) => [Date.parse(`${day.day}T00:00:00Z`) / 1000, Number(day.profit)])),
    equity: data.equity.map((point) => ({ time: point.time, value: Number(point.profit) })),
    symbols: new Map(data.symbols.map((row) => [row.symbol, {
      symbol: row.symbol, trades: row.trades, closed: row.closed, wins: row.wins,
      profit: Number(row.profit), pct: Number(row.pct_sum),
    }])),
  };
}

// Adds one live trade; false when the server's figures already hold it (at or before `through`).
function foldTrade(performance, trade, offset) {
  if (!performance) return false;
  if (performance.through && (!offset || compareOffsets(offset, performance.through) <= 0)) return false;
  const row = performance.symbols.get(trade.symbol) || { symbol: trade.symbol, trades: 0, closed: 0, wins: 0, profit: 0, pct: 0 };
  row.trades += 1;
  performance.symbols.set(trade.symbol, row);
  if (!isClosing(trade)) return true;
  const profit = Number(trade.realized_profit);
  row.closed += 1;
  row.profit += profit;
  row.pct += Number(trade.realized_profit_pct || 0);
  if (profit > 0) row.wins += 1;
  const at = marketSeconds(trade);
  const day = Math.floor(at / DAY_S) * DAY_S;
  performance.daily.set(day, (performance.daily.get(day) || 0) + profit);
  const bucket = Math.floor(at / performance.step) * performance.step;
  const last = performance.equity[performance.equity.length - 1];
  const total = (last ? last.value : 0) + profit;
  if (last && last.time >= bucket) last.value = total; // a late trade lands in the newest bucket
  else performance.equity.push({ time: bucket, value: total });
  return true;
}

class PerformanceChart {
  constructor(element) {
    this.chart = LightweightCharts.createChart(element, {
      autoSize: true,
      layout: { background: { color: "transparent" }, textColor: "#cbd5e1", attributionLogo: false },
      grid: { vertLines: { visible: false }, horzLines: { color: "#1e293b" } },
      timeScale: { timeVisible: false, borderColor: "#334155" },
      rightPriceScale: { borderColor: "#334155" },
      leftPriceScale: { visible: true, borderColor: "#334155" },
    });
    this.daily = this.chart.addSeries(LightweightCharts.HistogramSeries, { priceScaleId: "left", title: "daily" });
    this.cumulative = this.chart.addSeries(LightweightCharts.LineSeries, { color: "#38bdf8", lineWidth: 2, title: "cumulative" });
  }

  show(performance) {
    const days = performance ? [...performance.daily.entries()].sort((a, b) => a[0] - b[0]) : [];
    this.daily.setData(days.map(([time, value]) => ({
      time, value, color: value >= 0 ? "rgba(34,197,94,.7)" : "rgba(244,63,94,.7)",
    })));
    this.cumulative.setData(performance ? performance.equity : []);
    this.chart.timeScale().fitContent();
  }
}

function symbolCells(item) {
  const N = MarketNumbers;
  const quote = N.quoteOf(item.symbol);
  const profit = item.profit.toFixed(8);
  const average = item.closed ? (item.pct / item.closed).toFixed(8) : null;
  return [
    [item.symbol, "", "symbol"], [String(item.trades), "num", "trades"], [String(item.closed), "num", "closed"],
    [item.closed ? N.percent(((item.wins / item.closed) * 100).toFixed(8), { signed: false }) : "–", "num", "win-rate"],
    [N.money(profit, quote, { signed: true }), `num ${N.tone(profit)}`.trim(), "profit"],
    [average === null ? "–" : N.percent(average), `num ${N.tone(average)}`.trim(), "average-pct"],
  ];
}

function renderSymbolTable(performance) {
  const rows = performance ? [...performance.symbols.values()].sort((a, b) => b.profit - a.profit) : [];
  syncRows(document.getElementById("symbols").tBodies[0], rows, {
    keyName: "symbol",
    keyOf: (item) => item.symbol,
    make: () => document.createElement("tr"),
    update: (row, item) => fillCells(row, symbolCells(item)),
  });
}

window.PerformanceChart = PerformanceChart;
window.performanceFrom = performanceFrom;
window.foldTrade = foldTrade;
window.renderSymbolTable = renderSymbolTable;
