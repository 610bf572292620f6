// What a bot's closed trades add up to: daily realized profit bars with the cumulative profit (the
// equity curve of closed trades) in one small lightweight-charts chart, and profit per symbol. Worked out
// from the trades the page holds for the bot (the recorded ones it was rendered with, then each live
// one), by the market time of each trade when the trader gives it.
"use strict";

const tradeTime = (trade) => Date.parse(trade.market_time || trade.ts) / 1000;
const dayOf = (secondsSinceEpoch) => Math.floor(secondsSinceEpoch / 86400) * 86400;

function closedTrades(trades) {
  return trades.filter((trade) => trade.realized_profit !== null && trade.realized_profit !== undefined)
    .sort((a, b) => tradeTime(a) - tradeTime(b) || a.seq - b.seq);
}

function dailyProfit(trades) {
  const days = new Map();
  for (const trade of closedTrades(trades)) {
    const day = dayOf(tradeTime(trade));
    days.set(day, (days.get(day) || 0) + Number(trade.realized_profit));
  }
  return [...days.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({
    time, value, color: value >= 0 ? "rgba(34,197,94,.7)" : "rgba(244,63,94,.7)",
  }));
}

function cumulativeProfit(trades) {
  let total = 0;
  const points = [];
  for (const trade of closedTrades(trades)) {
    total += Number(trade.realized_profit);
    const time = tradeTime(trade);
    const last = points[points.length - 1];
    if (last && last.time >= time) last.value = total; // one point per second on the chart's scale
    else points.push({ time: Math.floor(time), value: total });
  }
  return points;
}

function symbolPerformance(trades) {
  const rows = new Map();
  for (const trade of trades) {
    const row = rows.get(trade.symbol) || { symbol: trade.symbol, trades: 0, closed: 0, wins: 0, profit: 0, pct: 0 };
    row.trades += 1;
    if (trade.realized_profit !== null && trade.realized_profit !== undefined) {
      row.closed += 1;
      row.profit += Number(trade.realized_profit);
      row.pct += Number(trade.realized_profit_pct || 0);
      if (Number(trade.realized_profit) > 0) row.wins += 1;
    }
    rows.set(trade.symbol, row);
  }
  return [...rows.values()].sort((a, b) => b.profit - a.profit);
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

  show(trades) {
    this.daily.setData(dailyProfit(trades));
    this.cumulative.setData(cumulativeProfit(trades));
    this.chart.timeScale().fitContent();
  }
}

window.PerformanceChart = PerformanceChart;
window.symbolPerformance = symbolPerformance;
