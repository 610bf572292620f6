// A bot's open positions (from the trader's `positions_changed` facts), valued at the latest price the
// trader published for each symbol: unrealized profit (value and %, the entry fee counted), how long it has been
// held (market time), the stoploss and take-profit levels, and a Close button that asks for confirmation.
"use strict";

// The fee rate the bot paid when it bought this symbol: the quote value of the fee over the cost of its
// latest buy (facts on each trade); 0 when the page holds no such trade.
function feeRate(state, symbol) {
  const quote = MarketNumbers.quoteOf(symbol);
  const inQuote = (trade) => trade.fee_quote ?? (trade.fee_currency === quote ? trade.fee : null);
  const buy = state.trades.find((trade) => trade.side === "buy" && trade.symbol === symbol && inQuote(trade) !== null);
  return buy && Number(buy.cost) ? Number(inQuote(buy)) / Number(buy.cost) : 0;
}

// The unrealized profit of a position at a price, as the trader counts it: its value at that price less
// what it cost, the entry fee included (no exit fee). % of that cost.
function unrealized(position, price, rate) {
  if (price === null || price === undefined) return { value: null, pct: null };
  const amount = Number(position.amount);
  const cost = Number(position.entry_price) * amount * (1 + rate);
  const value = Number(price) * amount - cost;
  return { value: value.toFixed(8), pct: cost ? ((value / cost) * 100).toFixed(8) : null };
}

function positionRow(state, position, { blocked, onClose, now }) {
  const N = MarketNumbers;
  const quote = N.quoteOf(position.symbol);
  const price = state.prices[position.symbol] ?? null;
  // One open position: the trader's own figure from its stats (which may trail the last price by a few
  // seconds). Several: each estimated from the last price and the entry fee.
  const own = state.positions.length === 1 && state.stats ? state.stats.unrealized_profit : null;
  const profit = own === null ? unrealized(position, price, feeRate(state, position.symbol)) : {
    value: own,
    pct: ((Number(own) / (Number(position.entry_price) * Number(position.amount))) * 100).toFixed(8),
  };
  const row = document.createElement("tr");
  row.dataset.symbol = position.symbol;
  const cells = [
    [position.symbol, "", "symbol"],
    [N.amount(position.amount), "num", "amount"],
    [N.price(position.entry_price, position.symbol), "num", "entry"],
    [price === null ? "–" : N.price(price, position.symbol), "num", "current"],
    [N.money(profit.value, quote, { signed: true }), `num ${N.tone(profit.value)}`, "unrealized"],
    [profit.pct === null ? "–" : N.percent(profit.pct), `num ${N.tone(profit.pct)}`, "unrealized-pct"],
    [N.held(now - Date.parse(position.entry_time) / 1000), "num", "held"],
    [position.stoploss ? N.price(position.stoploss, position.symbol) : "–", "num", "stoploss"],
    [position.take_profit ? N.price(position.take_profit, position.symbol) : "–", "num", "take-profit"],
  ];
  for (const [text, cls, field] of cells) {
    const cell = row.insertCell();
    cell.textContent = text;
    cell.dataset.field = field;
    if (cls) cell.className = cls;
  }
  const button = document.createElement("button");
  button.type = "button";
  button.className = "danger close-position";
  const closing = state.closing.has(position.symbol);
  button.textContent = closing ? "Closing…" : "Close";
  button.disabled = Boolean(blocked) || closing;
  if (closing) button.classList.add("pending");
  button.title = blocked || `Sell ${N.amount(position.amount)} ${position.symbol.split("/")[0]} at market now`;
  button.setAttribute("aria-label", `Close the ${position.symbol} position`);
  button.addEventListener("click", () => onClose(position, button));
  row.insertCell().append(button);
  return row;
}

// Market time now for the bot: its newest candle's, or the clock when it has none yet.
function marketNow(state) {
  const candles = state.chart.candles;
  return candles.length ? candles[candles.length - 1].time : Date.now() / 1000;
}

function renderPositions(state, options) {
  const body = document.getElementById("positions").tBodies[0];
  const positions = state && state.positions ? state.positions : [];
  if (!positions.length) {
    const row = document.createElement("tr");
    const cell = row.insertCell();
    cell.colSpan = 10;
    cell.className = "empty";
    cell.textContent = state ? "No open position." : "No bot selected.";
    body.replaceChildren(row);
    return;
  }
  const now = marketNow(state);
  body.replaceChildren(...positions.map((position) => positionRow(state, position, { ...options, now })));
}

window.renderPositions = renderPositions;
