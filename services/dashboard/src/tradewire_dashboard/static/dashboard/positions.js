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

// The cells of one position's row, in column order: [text, class, field].
function positionCells(state, position, now) {
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
  return [
    [position.symbol, "", "symbol"],
    [N.amount(position.amount, position.symbol), "num", "amount"],
    [N.price(position.entry_price, position.symbol), "num", "entry"],
    [price === null ? "–" : N.price(price, position.symbol), "num", "current"],
    [N.money(profit.value, quote, { signed: true }), `num ${N.tone(profit.value)}`, "unrealized"],
    [profit.pct === null ? "–" : N.percent(profit.pct), `num ${N.tone(profit.pct)}`, "unrealized-pct"],
    [N.held(now - Date.parse(position.entry_time) / 1000), "num", "held"],
    [position.stoploss ? N.price(position.stoploss, position.symbol) : "–", "num", "stoploss"],
    [position.take_profit ? N.price(position.take_profit, position.symbol) : "–", "num", "take-profit"],
  ];
}

// A new, empty row for a symbol: its cells and its Close button are made once and then updated in place, so
// that a live update never replaces the button under a trader's pointer (a click would miss it).
function newPositionRow(symbol, onClose) {
  const row = document.createElement("tr");
  row.dataset.symbol = symbol;
  for (let i = 0; i < 9; i += 1) row.insertCell();
  const button = document.createElement("button");
  button.type = "button";
  button.className = "danger close-position";
  button.setAttribute("aria-label", `Close the ${symbol} position`);
  // The row holds the position it shows now: a click closes what the trader sees at that moment.
  button.addEventListener("click", () => onClose(row.position, button));
  row.insertCell().append(button);
  return row;
}

function updatePositionRow(row, state, position, { blocked, now }) {
  row.position = position;
  fillCells(row, positionCells(state, position, now));
  const N = MarketNumbers;
  const button = row.querySelector("button.close-position");
  const closing = state.closing.has(position.symbol);
  setText(button, closing ? "Closing…" : "Close");
  button.disabled = Boolean(blocked) || closing;
  button.classList.toggle("pending", closing);
  button.title = blocked || `Sell ${N.amount(position.amount)} ${position.symbol.split("/")[0]} at market now`;
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
  // Rows are keyed by symbol and by bot: another bot's rows, or the empty-table row, are replaced.
  const kept = new Map();
  for (const row of body.rows) {
    if (row.dataset.symbol && row.dataset.bot === state.id) kept.set(row.dataset.symbol, row);
  }
  const rows = positions.map((position) => {
    let row = kept.get(position.symbol);
    if (!row) {
      row = newPositionRow(position.symbol, options.onClose);
      row.dataset.bot = state.id;
    }
    updatePositionRow(row, state, position, { ...options, now });
    return row;
  });
  const same = rows.length === body.rows.length && rows.every((row, index) => body.rows[index] === row);
  if (!same) body.replaceChildren(...rows);
}

window.renderPositions = renderPositions;
