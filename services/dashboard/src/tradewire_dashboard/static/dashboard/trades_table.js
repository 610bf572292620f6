// The selected bot's trades, newest first: rows are kept by event id and updated in place, and the table
// shows at most TRADE_ROWS (the page keeps more per bot for the chart's markers and the positions' fees).
"use strict";

const TRADE_ROWS = 100;
const tradeTime = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour12: false });

// An exit's reason as a CSS class: stoploss and liquidation read as losses, roi and take-profit as gains.
function reasonTone(reason) {
  if (!reason) return "";
  if (/stop|liquidat|halt/.test(reason)) return "why-loss";
  if (/roi|take_profit|target/.test(reason)) return "why-gain";
  return "why-other";
}

function tradeCells(trade) {
  const N = MarketNumbers;
  const quote = N.quoteOf(trade.symbol);
  const profit = trade.realized_profit;
  return [
    [tradeTime(trade.ts), "", "time"], [trade.side.toUpperCase(), `side side-${trade.side}`, "side"],
    [N.amount(trade.amount, trade.symbol), "num", "amount"], [N.price(trade.price, trade.symbol), "num", "price"],
    [N.money(trade.cost, quote), "num", "cost"],
    [N.money(profit, quote, { signed: true }), `num ${N.tone(profit)}`, "profit"],
    [N.percent(trade.realized_profit_pct), `num ${N.tone(trade.realized_profit_pct)}`, "profit-pct"],
    [trade.entry ? N.held(trade.entry.duration_s) : "", "num", "held"],
    [[trade.reason, trade.tag].filter(Boolean).join(": "), `why ${reasonTone(trade.reason)}`.trim(), "why"],
    [N.amount(trade.position, trade.symbol), "num", "position"],
  ];
}

function renderTradesTable(state) {
  const body = document.getElementById("trades").tBodies[0];
  const shown = state ? state.id : "";
  if (body.dataset.bot !== shown) {
    body.replaceChildren(); // another bot's rows: none of them is kept
    body.dataset.bot = shown;
  }
  syncRows(body, state ? state.trades.slice(0, TRADE_ROWS) : [], {
    keyName: "eventId",
    keyOf: (trade) => trade.event_id,
    make: (trade) => {
      const row = document.createElement("tr");
      row.dataset.seq = trade.seq;
      return row;
    },
    // A trade never changes: its cells are written once, and again only when a market's precision arrives.
    update: (row, trade) => {
      if (row.numbersVersion === MarketNumbers.version) return;
      fillCells(row, tradeCells(trade));
      row.numbersVersion = MarketNumbers.version;
    },
  });
}

window.renderTradesTable = renderTradesTable;
window.reasonTone = reasonTone;
