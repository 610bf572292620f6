// The chart: TradingView's lightweight-charts (vendored from npm). Candles as the trader closed them
// (`candle_closed` facts on the bus: the recent ones arrive when the page connects, then each one live),
// the volume in a pane under them, the lines the strategy declares to plot, and a buy or sell marker per
// trade with a tooltip (price, amount, profit, reason). Each bot keeps its own series; the chart shows the
// selected one. Its element has a fixed height, so autoSize never feeds back into the page's layout.
"use strict";

const MAX_CANDLES = 1000; // per bot: older ones are dropped, in batches, so memory stays bounded
const PLOT_COLOURS = ["#f59e0b", "#a78bfa", "#f472b6", "#34d399", "#60a5fa", "#fb923c"];
const seconds = (iso) => Math.floor(Date.parse(iso) / 1000);

class CandleChart {
  constructor(element, tooltip) {
    this.tooltip = tooltip;
    this.chart = LightweightCharts.createChart(element, {
      autoSize: true,
      layout: { background: { color: "transparent" }, textColor: "#cbd5e1", attributionLogo: false },
      grid: { vertLines: { color: "#1e293b" }, horzLines: { color: "#1e293b" } },
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: "#334155" },
      rightPriceScale: { borderColor: "#334155" },
      crosshair: { mode: LightweightCharts.CrosshairMode.Normal },
    });
    this.candles = this.chart.addSeries(LightweightCharts.CandlestickSeries, {
      upColor: "#22c55e", downColor: "#f43f5e", borderVisible: false, wickUpColor: "#22c55e", wickDownColor: "#f43f5e",
    });
    this.volume = this.chart.addSeries(LightweightCharts.HistogramSeries, { priceFormat: { type: "volume" }, color: "#475569" }, 1);
    this.chart.panes()[1].setHeight(80);
    this.markers = LightweightCharts.createSeriesMarkers(this.candles, []);
    this.lines = new Map(); // plot name -> line series
    this.shown = null;
    this.decimals = null;
    this.chart.subscribeCrosshairMove((param) => this.hover(param));
  }

  static emptyState() {
    return { candles: [], volumes: [], plots: new Map(), markers: [], tradesAt: new Map(), symbol: "" };
  }

  show(state) {
    this.shown = state ? state.id : null;
    const chart = state ? state.chart : CandleChart.emptyState();
    this.fitPrices(chart);
    this.candles.setData(chart.candles);
    this.volume.setData(chart.volumes);
    for (const [name, line] of this.lines) {
      if (!chart.plots.has(name)) { this.chart.removeSeries(line); this.lines.delete(name); }
    }
    for (const [name, points] of chart.plots) this.line(name).setData(points);
    this.markers.setMarkers(chart.markers);
    this.chart.timeScale().applyOptions({ barSpacing: 8 });
    this.chart.timeScale().scrollToRealTime();
  }

  // The price axis written like the page's prices (the market's tick).
  fitPrices(chart) {
    const last = chart.candles[chart.candles.length - 1];
    if (!last) return;
    const decimals = MarketNumbers.priceDecimalsOf(String(last.close), chart.symbol);
    if (decimals === this.decimals) return;
    this.decimals = decimals;
    this.candles.applyOptions({ priceFormat: { type: "price", precision: decimals, minMove: 10 ** -decimals } });
  }

  line(name) {
    if (!this.lines.has(name)) {
      const colour = PLOT_COLOURS[this.lines.size % PLOT_COLOURS.length];
      this.lines.set(name, this.chart.addSeries(LightweightCharts.LineSeries, {
        color: colour, lineWidth: 1, title: name, priceLineVisible: false, lastValueVisible: false,
      }));
    }
    return this.lines.get(name);
  }

  // A whole history at once (on connect): replaces what the bot had, keeps newer live candles.
  setHistory(state, candles) {
    const chart = state.chart;
    const fresh = CandleChart.emptyState();
    fresh.markers = chart.markers;
    fresh.tradesAt = chart.tradesAt;
    for (const candle of candles) CandleChart.append(fresh, candle);
    const newest = fresh.candles.length ? fresh.candles[fresh.candles.length - 1].time : -Infinity;
    for (let at = 0; at < chart.candles.length; at += 1) {
      if (chart.candles[at].time > newest) CandleChart.append(fresh, chart.candles[at].source);
    }
    state.chart = fresh;
    if (state.id === this.shown) this.show(state);
  }

  addCandle(state, candle) {
    const chart = state.chart;
    const appended = CandleChart.append(chart, candle);
    if (!appended) return;
    if (chart.candles.length > MAX_CANDLES + 100) {
      const drop = chart.candles.length - MAX_CANDLES;
      chart.candles.splice(0, drop);
      chart.volumes.splice(0, drop);
      for (const points of chart.plots.values()) {
        const first = chart.candles[0].time;
        while (points.length && points[0].time < first) points.shift();
      }
      if (state.id === this.shown) this.show(state);
      return;
    }
    if (state.id !== this.shown) return;
    const [bar, volume] = appended;
    this.fitPrices(chart);
    this.candles.update(bar);
    this.volume.update(volume);
    for (const [name, value] of Object.entries(candle.plots || {})) {
      if (value !== null) this.line(name).update({ time: bar.time, value });
    }
  }

  // Adds a candle to a bot's series; null when it is older than the newest (late and out of order).
  static append(chart, candle) {
    const time = seconds(candle.open_time);
    const last = chart.candles[chart.candles.length - 1];
    if (last && time < last.time) return null;
    const bar = { time, open: Number(candle.open), high: Number(candle.high), low: Number(candle.low), close: Number(candle.close), source: candle };
    const volume = { time, value: Number(candle.volume), color: bar.close >= bar.open ? "rgba(34,197,94,.45)" : "rgba(244,63,94,.45)" };
    const same = last && time === last.time;
    const put = (list, item) => { if (same) list[list.length - 1] = item; else list.push(item); };
    put(chart.candles, bar);
    put(chart.volumes, volume);
    chart.symbol = candle.symbol;
    for (const [name, value] of Object.entries(candle.plots || {})) {
      if (!chart.plots.has(name)) chart.plots.set(name, []);
      const points = chart.plots.get(name);
      if (value === null) continue;
      const lastPoint = points[points.length - 1];
      if (lastPoint && lastPoint.time === time) points[points.length - 1] = { time, value };
      else points.push({ time, value });
    }
    return [bar, volume];
  }

  // A marker on the candle the trade happened in (its market time); older traders without one get none.
  addTrade(state, trade) {
    if (!trade.market_time) return;
    const chart = state.chart;
    const time = seconds(trade.market_time);
    const buy = trade.side === "buy";
    if (!chart.tradesAt.has(time)) chart.tradesAt.set(time, []);
    chart.tradesAt.get(time).push(trade);
    chart.markers.push({
      time, position: buy ? "belowBar" : "aboveBar", color: buy ? "#22c55e" : "#f43f5e",
      shape: buy ? "arrowUp" : "arrowDown", text: buy ? "B" : "S",
    });
    chart.markers.sort((a, b) => a.time - b.time);
    if (chart.markers.length > MAX_CANDLES) {
      const gone = chart.markers.splice(0, chart.markers.length - MAX_CANDLES);
      for (const marker of gone) chart.tradesAt.delete(marker.time);
    }
    if (state.id === this.shown) this.markers.setMarkers(chart.markers);
  }

  // The tooltip of the trades on the hovered candle: price, amount, profit, reason.
  hover(param) {
    const state = this.shown && window.tradewire ? window.tradewire.bots.get(this.shown) : null;
    const trades = state && param.time !== undefined ? state.chart.tradesAt.get(param.time) : null;
    if (!trades || !param.point) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.replaceChildren(...trades.map((trade) => {
      const line = document.createElement("div");
      const quote = MarketNumbers.quoteOf(trade.symbol);
      const profit = trade.realized_profit === null || trade.realized_profit === undefined ? ""
        : ` · ${MarketNumbers.money(trade.realized_profit, quote, { signed: true })} (${MarketNumbers.percent(trade.realized_profit_pct)})`;
      const why = [trade.reason, trade.tag].filter(Boolean).join(": ");
      line.className = `side-${trade.side}`;
      line.textContent = `${trade.side.toUpperCase()} ${MarketNumbers.amount(trade.amount, trade.symbol)} @ ${MarketNumbers.price(trade.price, trade.symbol)}${profit}${why ? ` · ${why}` : ""}`;
      return line;
    }));
    this.tooltip.hidden = false;
    this.tooltip.style.left = `${Math.min(param.point.x + 14, this.tooltip.parentElement.clientWidth - this.tooltip.offsetWidth - 8)}px`;
    this.tooltip.style.top = `${Math.max(param.point.y - 40, 4)}px`;
  }
}

window.CandleChart = CandleChart;
