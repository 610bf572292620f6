// The price chart: TradingView's lightweight-charts (vendored from npm), one line series with a buy or
// sell marker per trade. Each bot keeps its own points and markers; the chart shows the selected one.
"use strict";

const chartTime = (iso) => Date.parse(iso) / 1000; // seconds, with milliseconds kept as the fraction

class PriceChart {
  constructor(element) {
    this.chart = LightweightCharts.createChart(element, {
      autoSize: true,
      layout: { background: { color: "transparent" }, textColor: "#cbd5e1", attributionLogo: false },
      grid: { vertLines: { color: "#1e293b" }, horzLines: { color: "#1e293b" } },
      timeScale: { timeVisible: true, secondsVisible: true },
      rightPriceScale: { borderColor: "#334155" },
    });
    this.series = this.chart.addSeries(LightweightCharts.LineSeries, { color: "#38bdf8", lineWidth: 2 });
    this.markers = LightweightCharts.createSeriesMarkers(this.series, []);
    this.shown = null;
  }

  show(state) {
    this.shown = state ? state.id : null;
    this.series.setData(state ? state.points : []);
    this.markers.setMarkers(state ? state.markers : []);
    // A fixed spacing, scrolled to the newest point: fitting a bot's first two points would stretch
    // them across the chart and keep every later point that wide.
    this.chart.timeScale().applyOptions({ barSpacing: 6 });
    this.chart.timeScale().scrollToRealTime();
  }

  addPoint(state, iso, value) {
    const point = { time: chartTime(iso), value: Number(value) };
    const last = state.points[state.points.length - 1];
    if (last && point.time < last.time) return; // late and out of order: the chart only grows forward
    if (last && point.time === last.time) state.points[state.points.length - 1] = point;
    else state.points.push(point);
    if (state.id === this.shown) this.series.update(point);
  }

  addMarker(state, trade) {
    const buy = trade.side === "buy";
    state.markers.push({
      time: chartTime(trade.ts), position: buy ? "belowBar" : "aboveBar", color: buy ? "#22c55e" : "#f43f5e",
      shape: buy ? "arrowUp" : "arrowDown", text: buy ? "B" : "S",
    });
    if (state.id === this.shown) this.markers.setMarkers(state.markers);
  }
}

window.PriceChart = PriceChart;
