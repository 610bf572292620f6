// Every bot at a glance: status, realized profit and trades, with totals across bots per quote currency
// (profits in USDT and in BTC are not added together). Rows are kept by bot and updated in place.
"use strict";

function badgeState(state) {
  if (!state || !state.status) return "unknown";
  if (state.offline) return "offline";
  return state.status;
}

function newFleetRow(state, onPick) {
  const row = document.createElement("tr");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button";
  button.textContent = state.id;
  button.setAttribute("aria-label", `Show bot ${state.id}`);
  button.addEventListener("click", () => onPick(state.id));
  row.insertCell().append(button);
  row.insertCell().append(document.createElement("span"));
  for (const field of ["profit", "trades"]) {
    const cell = row.insertCell();
    cell.dataset.field = field;
  }
  return row;
}

function updateFleetRow(row, state, selected) {
  const N = MarketNumbers;
  setClass(row, state.id === selected ? "selected" : "");
  const badge = row.cells[1].firstChild;
  setClass(badge, `badge badge-${badgeState(state)}`);
  setText(badge, badgeState(state));
  // The trader's own figures; before its first stats, what its recorded history adds up to.
  const figures = state.stats ? {
    profit: state.stats.realized_profit, quote: state.stats.quote_currency, trades: state.stats.trades,
  } : recordedFigures(state);
  setClass(row.cells[2], `num ${figures ? N.tone(figures.profit) : ""}`.trim());
  setText(row.cells[2], figures && figures.quote !== null ? N.money(figures.profit, figures.quote, { signed: true }) : "–");
  setClass(row.cells[3], "num");
  setText(row.cells[3], String(figures ? figures.trades : state.trades.length));
}

// Realized profit and trades of the recorded history (`performance`); profit only when every symbol is
// quoted in one currency (USDT and BTC profits are not added together).
function recordedFigures(state) {
  if (!state.performance) return null;
  const rows = [...state.performance.symbols.values()];
  const quotes = new Set(rows.map((row) => MarketNumbers.quoteOf(row.symbol)));
  const profit = rows.reduce((sum, row) => sum + row.profit, 0).toFixed(8);
  return { profit, quote: quotes.size === 1 ? [...quotes][0] : null, trades: rows.reduce((sum, row) => sum + row.trades, 0) };
}

function renderFleet(bots, selected, onPick) {
  const ordered = [...bots.values()].sort((a, b) => a.id.localeCompare(b.id));
  if (ordered.length) {
    syncRows(document.getElementById("fleet").tBodies[0], ordered, {
      keyName: "bot",
      keyOf: (state) => state.id,
      make: (state) => newFleetRow(state, onPick),
      update: (row, state) => updateFleetRow(row, state, selected),
    });
  }
  renderFleetTotals(ordered);
}

function renderFleetTotals(ordered) {
  const N = MarketNumbers;
  const totals = new Map();
  for (const state of ordered) {
    if (!state.stats) continue;
    const total = totals.get(state.stats.quote_currency) || { profit: 0, unrealized: 0, equity: 0, trades: 0 };
    total.profit += Number(state.stats.realized_profit);
    total.unrealized += Number(state.stats.unrealized_profit);
    total.equity += Number(state.stats.equity);
    total.trades += state.stats.trades;
    totals.set(state.stats.quote_currency, total);
  }
  const out = document.getElementById("fleet-totals");
  out.replaceChildren();
  if (!ordered.length) return;
  const running = ordered.filter((state) => badgeState(state) === "running").length;
  out.append(`${running} of ${ordered.length} running`);
  for (const [quote, total] of totals) {
    const profit = total.profit.toFixed(8);
    const shown = document.createElement("span");
    shown.className = N.tone(profit);
    shown.dataset.field = "fleet-profit";
    shown.textContent = N.money(profit, quote, { signed: true });
    const unrealized = document.createElement("span");
    unrealized.className = N.tone(total.unrealized.toFixed(8));
    unrealized.dataset.field = "fleet-unrealized";
    unrealized.textContent = N.money(total.unrealized.toFixed(8), quote, { signed: true });
    out.append(" · ", shown, " profit · ", unrealized, ` unrealized · ${N.money(total.equity.toFixed(8), quote)} equity · ${total.trades} trades`);
  }
}

window.badgeState = badgeState;
window.renderFleet = renderFleet;
