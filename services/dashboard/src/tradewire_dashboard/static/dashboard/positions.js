// A bot's open positions (from the trader's `positions_changed` facts), valued at the latest price the
// trader published for each symbol: unrealized profit (value and %, before fees), how long it has been
// held (market time), the stoploss and take-profit levels, and a Close button that asks for confirmation.
"use strict";

// The unrealized profit of a position at a price, as the trader counts it before fees.
function unrealized(position, price) {
  if (price === null || price === undefined) return { value: null, pct: null };
  const entry = Number(position.entry_price);
  const value = (Number(price) - entry) * Number(position.amount);
  const pct = entry ? (Number(price) / entry - 1) * 100 : 0;
  return { value: value.toFixed(8), pct: pct.toFixed(8) };
}

function positionRow(state, position, { blocked, onClose, now }) {
  const N = MarketNumbers;
  const quote = N.quoteOf(position.symbol);
  const price = state.prices[position.symbol] ?? null;
  const profit = unrealized(position, price);
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
