// The selected bot's figures: the price card (last price with an up/down flash, change since start,
// position and balances) and the stats card.
"use strict";

const baseOf = (symbol) => (symbol && symbol.includes("/") ? symbol.split("/")[0] : "");

function renderPrice(state, direction) {
  const N = MarketNumbers;
  const $ = (id) => document.getElementById(id);
  const price = state && state.price;
  setText($("price"), price ? N.price(price.last, price.symbol) : "–");
  setText($("price-symbol"), price ? price.symbol : "");
  setText($("price-change"), price ? `${N.percent(price.change_pct)} since start` : "");
  setClass($("price-change"), price ? N.tone(price.change_pct) : "muted");
  if (direction) {
    const el = $("price");
    el.classList.remove("flash-up", "flash-down");
    void el.offsetWidth; // restart the animation (once per frame at most: the render loop calls this)
    el.classList.add(direction === "up" ? "flash-up" : "flash-down");
  }
  const symbol = price ? price.symbol : state && state.trades.length ? state.trades[0].symbol : "";
  setText($("position"), state && state.position !== null ? `${N.amount(state.position, symbol)} ${baseOf(symbol)}`.trim() : "–");
  setText($("balance"), state && Object.keys(state.balances).length
    ? Object.entries(state.balances).map(([currency, value]) => N.holding(value, currency)).join(" · ") : "–");
}

function renderStats(state) {
  const N = MarketNumbers;
  const stats = state ? state.stats : null;
  const quote = stats ? stats.quote_currency : "";
  const set = (id, text, tone = "") => {
    const el = document.getElementById(id);
    setText(el, stats ? text : "–");
    setClass(el, stats ? tone : "");
  };
  set("stat-profit", stats && N.money(stats.realized_profit, quote, { signed: true }), stats && N.tone(stats.realized_profit));
  set("stat-unrealized", stats && N.money(stats.unrealized_profit, quote, { signed: true }), stats && N.tone(stats.unrealized_profit));
  set("stat-win-rate", stats && N.percent(stats.win_rate, { signed: false }));
  set("stat-trades", stats && String(stats.trades));
  set("stat-drawdown", stats && N.percent(stats.max_drawdown, { signed: false }));
  set("stat-equity", stats && N.money(stats.equity, quote));
  set("stat-fees", stats && N.money(stats.fees_paid, quote));
}

window.renderPrice = renderPrice;
window.renderStats = renderStats;
