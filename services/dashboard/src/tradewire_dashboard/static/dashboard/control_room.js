// The control room: renders what the server pushes. Nothing here asks the server on a timer; the only
// timers are local (toasts fading, the heartbeat watchdog, reconnect backoff).
"use strict";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const $ = (id) => document.getElementById(id);
const MAX_TRADES = 200;
const chart = new CandleChart($("chart"), $("chart-tooltip"));
const closedTradesChart = new PerformanceChart($("performance-chart"));
const STATE_TYPES = new Set(["price", "stats", "status_change", "heartbeat", "positions"]);

const bots = new Map(); // bot id -> its own figures, kept apart
const preferred = localStorage.getItem("tradewire.bot") || ""; // the bot chosen last time
let selected = "";
let lastEventAt = null;
let lastDelay = null;
const pending = new Map(); // request id -> button

const N = MarketNumbers;
const baseOf = (symbol) => (symbol && symbol.includes("/") ? symbol.split("/")[0] : "");
const time = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour12: false });

function bot(botId) {
  if (!bots.has(botId)) {
    bots.set(botId, {
      id: botId, status: null, offline: false, stateOffset: null, price: null, stats: null,
      position: null, balances: {}, trades: [], tradeIds: new Set(), watchdog: null,
      chart: CandleChart.emptyState(), positions: [], prices: {}, closing: new Set(),
    });
    renderBotList();
    if (!selected || botId === preferred) select(botId);
  }
  return bots.get(botId);
}

// ---- rendering -------------------------------------------------------------------------------------
function select(botId, { remember = false } = {}) {
  selected = botId;
  if (remember) localStorage.setItem("tradewire.bot", botId);
  $("bot-select").value = botId;
  const state = bots.get(botId);
  chart.show(state);
  renderTrades();
  renderAll();
  renderPerformance();
}

function renderBotList() {
  const pick = $("bot-select");
  const ids = [...bots.keys()].sort();
  pick.replaceChildren(...ids.map((id) => new Option(id, id, false, id === selected)));
  pick.disabled = ids.length === 0;
}

function badgeState(state) {
  if (!state || !state.status) return "unknown";
  if (state.offline) return "offline";
  return state.status;
}

function renderBadge() {
  const state = bots.get(selected);
  const label = badgeState(state);
  const badge = $("status-badge");
  badge.className = `badge badge-${label}`;
  badge.dataset.status = label;
  badge.textContent = label;
  badge.title = state && state.reason ? state.reason : "";
}

// Why the controls are off, or "" when they may be used. The reason is shown next to them and as a tooltip.
function controlsBlockedBy(state) {
  if (!config.canControl) return "You do not have permission to start or stop bots";
  if (!state) return "No bot selected";
  if (!state.status) return "Waiting for the bot's status";
  if (state.offline) return `Bot ${state.id} is offline (no heartbeat): commands cannot reach it`;
  return "";
}

function renderControls() {
  const state = bots.get(selected);
  $("refresh-button").disabled = !state;
  const busy = [...pending.values()].length > 0;
  const blocked = controlsBlockedBy(state);
  for (const [id, wanted] of [["start-button", "running"], ["stop-button", "stopped"]]) {
    const button = $(id);
    const already = !blocked && state.status === wanted ? `Bot ${state.id} is already ${wanted}` : "";
    button.disabled = Boolean(blocked || already) || busy;
    button.title = blocked || already;
  }
  // The kill switch works in any state the trader can hear: a stopped bot may still have orders open.
  $("halt-button").disabled = Boolean(blocked) || busy;
  $("halt-button").title = blocked || "Kill switch: cancel every open order of the market on the exchange, then stop";
  const hint = $("control-hint");
  hint.textContent = state ? blocked : "";
  hint.hidden = !hint.textContent;
}

function renderPrice(direction) {
  const state = bots.get(selected);
  const price = state && state.price;
  $("price").textContent = price ? N.price(price.last, price.symbol) : "–";
  $("price-symbol").textContent = price ? price.symbol : "";
  $("price-change").textContent = price ? `${N.percent(price.change_pct)} since start` : "";
  $("price-change").className = price ? N.tone(price.change_pct) : "muted";
  if (direction) {
    const el = $("price");
    el.classList.remove("flash-up", "flash-down");
    void el.offsetWidth; // restart the animation
    el.classList.add(direction === "up" ? "flash-up" : "flash-down");
  }
  const base = baseOf(price ? price.symbol : state && state.trades.length ? state.trades[0].symbol : "");
  $("position").textContent = state && state.position !== null ? `${N.amount(state.position)} ${base}`.trim() : "–";
  $("balance").textContent = state && Object.keys(state.balances).length
    ? Object.entries(state.balances).map(([currency, value]) => N.holding(value, currency)).join(" · ") : "–";
}

function renderStats() {
  const stats = bots.get(selected)?.stats;
  const quote = stats ? stats.quote_currency : "";
  const set = (id, text, tone = "") => { $(id).textContent = stats ? text : "–"; $(id).className = stats ? tone : ""; };
  set("stat-profit", stats && N.money(stats.realized_profit, quote, { signed: true }), stats && N.tone(stats.realized_profit));
  set("stat-unrealized", stats && N.money(stats.unrealized_profit, quote, { signed: true }), stats && N.tone(stats.unrealized_profit));
  set("stat-win-rate", stats && N.percent(stats.win_rate, { signed: false }));
  set("stat-trades", stats && String(stats.trades));
  set("stat-drawdown", stats && N.percent(stats.max_drawdown, { signed: false }));
  set("stat-equity", stats && N.money(stats.equity, quote));
  set("stat-fees", stats && N.money(stats.fees_paid, quote));
}

function tradeRow(trade) {
  const row = document.createElement("tr");
  row.dataset.eventId = trade.event_id;
  row.dataset.seq = trade.seq;
  const quote = N.quoteOf(trade.symbol);
  const profit = trade.realized_profit;
  const cells = [
    [time(trade.ts), "", "time"], [trade.side.toUpperCase(), `side side-${trade.side}`, "side"],
    [N.amount(trade.amount), "num", "amount"], [N.price(trade.price, trade.symbol), "num", "price"],
    [N.money(trade.cost, quote), "num", "cost"],
    [N.money(profit, quote, { signed: true }), `num ${N.tone(profit)}`, "profit"],
    [N.percent(trade.realized_profit_pct), `num ${N.tone(trade.realized_profit_pct)}`, "profit-pct"],
    [trade.entry ? N.held(trade.entry.duration_s) : "", "num", "held"],
    [[trade.reason, trade.tag].filter(Boolean).join(": "), "why", "why"],
    [N.amount(trade.position), "num", "position"],
  ];
  for (const [text, cls, field] of cells) {
    const cell = row.insertCell();
    cell.textContent = text;
    cell.dataset.field = field;
    if (cls) cell.className = cls;
  }
  return row;
}

function renderTrades() {
  const state = bots.get(selected);
  $("trades").tBodies[0].replaceChildren(...(state ? state.trades.map(tradeRow) : []));
}

function renderFleet() {
  const ordered = [...bots.values()].sort((a, b) => a.id.localeCompare(b.id));
  const rows = ordered.map((state) => {
    const row = document.createElement("tr");
    row.dataset.bot = state.id;
    if (state.id === selected) row.className = "selected";
    const name = row.insertCell();
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = state.id;
    button.setAttribute("aria-label", `Show bot ${state.id}`);
    button.addEventListener("click", () => select(state.id, { remember: true }));
    name.append(button);
    const badge = document.createElement("span");
    badge.className = `badge badge-${badgeState(state)}`;
    badge.textContent = badgeState(state);
    row.insertCell().append(badge);
    const stats = state.stats;
    const profit = row.insertCell();
    profit.className = `num ${stats ? N.tone(stats.realized_profit) : ""}`;
    profit.dataset.field = "profit";
    profit.textContent = stats ? N.money(stats.realized_profit, stats.quote_currency, { signed: true }) : "–";
    const trades = row.insertCell();
    trades.className = "num";
    trades.textContent = stats ? String(stats.trades) : String(state.trades.length);
    return row;
  });
  if (rows.length) $("fleet").tBodies[0].replaceChildren(...rows);
  renderFleetTotals(ordered);
}

// Totals across bots, per quote currency (profits in USDT and in BTC are not added together).
function renderFleetTotals(ordered) {
  const totals = new Map();
  for (const state of ordered) {
    if (!state.stats) continue;
    const total = totals.get(state.stats.quote_currency) || { profit: 0, equity: 0, trades: 0 };
    total.profit += Number(state.stats.realized_profit);
    total.equity += Number(state.stats.equity);
    total.trades += state.stats.trades;
    totals.set(state.stats.quote_currency, total);
  }
  const running = ordered.filter((state) => badgeState(state) === "running").length;
  const out = $("fleet-totals");
  out.replaceChildren();
  if (!ordered.length) return;
  out.append(`${running} of ${ordered.length} running`);
  for (const [quote, total] of totals) {
    const profit = total.profit.toFixed(8);
    const shown = document.createElement("span");
    shown.className = N.tone(profit);
    shown.dataset.field = "fleet-profit";
    shown.textContent = N.money(profit, quote, { signed: true });
    out.append(" · ", shown, ` profit · ${N.money(total.equity.toFixed(8), quote)} equity · ${total.trades} trades`);
  }
}

function renderAll() {
  renderBotList();
  renderBadge();
  renderControls();
  renderPrice(null);
  renderStats();
  renderFleet();
  renderPositionsOf(bots.get(selected));
}

function renderPositionsOf(state) {
  renderPositions(state, { blocked: controlsBlockedBy(state), onClose: closePosition });
}

// Closed trades: the daily profit and cumulative profit chart, and profit per symbol.
function renderPerformance() {
  const state = bots.get(selected);
  const trades = state ? state.trades : [];
  closedTradesChart.show(trades);
  const rows = symbolPerformance(trades).map((item) => {
    const row = document.createElement("tr");
    row.dataset.symbol = item.symbol;
    const quote = N.quoteOf(item.symbol);
    const average = item.closed ? (item.pct / item.closed).toFixed(8) : null;
    for (const [text, cls, field] of [
      [item.symbol, "", "symbol"], [String(item.trades), "num", "trades"], [String(item.closed), "num", "closed"],
      [item.closed ? N.percent(((item.wins / item.closed) * 100).toFixed(8), { signed: false }) : "–", "num", "win-rate"],
      [N.money(item.profit.toFixed(8), quote, { signed: true }), `num ${N.tone(item.profit.toFixed(8))}`, "profit"],
      [average === null ? "–" : N.percent(average), `num ${N.tone(average)}`, "average-pct"],
    ]) {
      const cell = row.insertCell();
      cell.textContent = text;
      cell.className = cls;
      cell.dataset.field = field;
    }
    return row;
  });
  $("symbols").tBodies[0].replaceChildren(...rows);
}

function closePosition(position, button) {
  const amount = `${N.amount(position.amount)} ${position.symbol.split("/")[0]}`;
  if (!window.confirm(`Close the ${position.symbol} position of ${selected}: sell ${amount} at market now?`)) return;
  const state = bots.get(selected);
  if (sendControl("close_position", button, { symbol: position.symbol })) state.closing.add(position.symbol);
  renderPositionsOf(state);
}

function renderMute() {
  const button = $("mute-button");
  button.setAttribute("aria-pressed", String(sound.on));
  button.textContent = sound.on ? "Sound: on" : "Sound: off";
}

// ---- applying pushed messages ------------------------------------------------------------------------
function armWatchdog(state, heartbeat) {
  clearTimeout(state.watchdog);
  const allowed = heartbeat.interval_s * 3 * 1000 - (Date.now() - Date.parse(heartbeat.ts));
  state.offline = allowed <= 0;
  if (!state.offline) {
    state.watchdog = setTimeout(() => {
      state.offline = true;
      console.warn(`💤 No heartbeat from bot ${state.id}: showing it offline`);
      renderAll();
    }, allowed);
  }
}

function applyTrade(state, trade, { notify }) {
  if (state.tradeIds.has(trade.event_id)) return false;
  state.tradeIds.add(trade.event_id);
  // Newest first by the bot's sequence number, whatever order trades arrive in (normally on top).
  let at = 0;
  while (at < state.trades.length && state.trades[at].seq > trade.seq) at += 1;
  state.trades.splice(at, 0, trade);
  if (state.trades.length > MAX_TRADES) state.trades.pop();
  if (state.id === selected) {
    // One new row instead of redrawing the table: cheap, and only the new row animates.
    const body = $("trades").tBodies[0];
    body.insertBefore(tradeRow(trade), body.rows[at] || null);
    while (body.rows.length > MAX_TRADES) body.deleteRow(-1);
  }
  state.position = trade.position;
  if (trade.balances) state.balances = trade.balances;
  chart.addTrade(state, trade);
  if (state.id === selected) renderPerformance();
  if (notify) {
    toast(`${trade.side.toUpperCase()} ${N.amount(trade.amount)} ${trade.symbol} @ ${N.price(trade.price, trade.symbol)} · ${state.id}`, trade.side);
    flashScreen(trade.side);
    sound.play(trade.side);
  }
  return true;
}

const handlers = {
  status(message, state) {
    const data = message.data;
    if (state.stateOffset && message.offset && compareOffsets(message.offset, state.stateOffset) < 0) return;
    state.stateOffset = message.offset;
    state.status = data.status;
    state.reason = data.reason;
    state.price = data.price || state.price;
    state.stats = data.stats || state.stats;
    state.position = data.position ?? state.position;
    state.balances = Object.keys(data.balances || {}).length ? data.balances : state.balances;
    if (data.heartbeat) armWatchdog(state, data.heartbeat);
    if (data.price) state.prices[data.price.symbol] = data.price.last;
    if (data.positions) state.positions = data.positions;
    // A resumed connection replays the trades in order; a fresh one shows the latest from here.
    if (data.last_trade && !message.resumed) applyTrade(state, data.last_trade, { notify: false });
    console.log(`📋 Status of bot ${state.id}:`, data);
  },
  trade(message, state) {
    if (applyTrade(state, message.data, { notify: true })) console.log("📊 New trade pushed from bot:", message.data);
  },
  price(message, state) {
    const before = state.price ? Number(state.price.last) : null;
    state.price = message.data;
    state.prices[message.data.symbol] = message.data.last;
    if (state.id === selected && state.positions.length) renderPositionsOf(state);
    const now = Number(message.data.last);
    if (state.id === selected) renderPrice(before === null || now === before ? null : now > before ? "up" : "down");
    console.log(`💹 Price pushed from bot ${state.id}: ${message.data.last}`);
  },
  stats(message, state) {
    state.stats = message.data;
    console.log(`📈 Stats pushed from bot ${state.id}:`, message.data);
  },
  status_change(message, state) {
    state.status = message.data.status;
    state.reason = message.data.reason;
    state.offline = false;
    console.log(`🔄 Status change pushed from bot ${state.id}: ${message.data.status} (${message.data.reason})`);
  },
  candles(message, state) {
    chart.setHistory(state, message.data.candles);
    console.log(`🕯️ ${message.data.candles.length} candles of bot ${state.id}`);
  },
  candle(message, state) {
    chart.addCandle(state, message.data);
  },
  positions(message, state) {
    state.positions = message.data.positions;
    console.log(`📂 Open positions pushed from bot ${state.id}:`, message.data.positions);
  },
  order_refused(message, state) {
    const data = message.data;
    toast(`${state.id}: ${data.side} ${N.amount(data.amount)} ${data.symbol} refused · ${data.reason}`, "error");
  },
  heartbeat(message, state) {
    state.status = message.data.status;
    armWatchdog(state, message.data);
  },
};

function onBotControl(message) {
  const data = message.data;
  const mine = data.request_id && pending.has(data.request_id);
  if (mine) {
    const button = pending.get(data.request_id);
    pending.delete(data.request_id);
    button.classList.remove("pending");
    button.removeAttribute("aria-busy");
    button.textContent = button.dataset.label;
  }
  console.log(`🎛️ Bot control answer for ${message.bot_id}:`, data);
  if (data.command === "close_position" && bots.has(message.bot_id)) bots.get(message.bot_id).closing.delete(data.symbol);
  if (data.command === "request_status" && data.ok) return;
  const who = mine ? "" : `${data.actor}: `;
  const what = `${data.command.replace("_", " ")}${data.symbol ? ` ${data.symbol}` : ""}`;
  toast(`${who}${what} ${message.bot_id}: ${data.outcome} · ${data.message}`, data.ok ? "info" : "error");
}

function onMessage(message) {
  const now = Date.now();
  if (message.type === "error") {
    console.error("⚠️ Error from the server:", message.data.message);
    toast(message.data.message, "error");
    return;
  }
  if (message.type === "bot_control") {
    onBotControl(message);
    renderControls();
    return;
  }
  if (message.type === "resync") {
    console.warn("♻️ History lost, reloading the snapshot:", message.data.reason);
    for (const id of message.bot_id ? [message.bot_id] : [...bots.keys()]) {
      socket.send({ command: "request_status", bot_id: id, request_id: `resync-${id}-${now}` });
    }
    return;
  }
  const state = bot(message.bot_id);
  if (STATE_TYPES.has(message.type) && state.stateOffset && compareOffsets(message.offset, state.stateOffset) <= 0) {
    return; // older than the snapshot already shown
  }
  const handler = handlers[message.type];
  if (!handler) {
    console.warn("Unknown push:", message);
    return;
  }
  handler(message, state);
  if (message.type !== "status" && message.type !== "candles") {
    lastEventAt = now;
    lastDelay = message.data.ts ? now - Date.parse(message.data.ts) : null;
  }
  if (message.type === "price") {
    renderFleet();
    return;
  }
  if (message.type === "candle") return;
  renderAll();
}

function onSocketState(state, detail) {
  const el = $("connection");
  el.dataset.state = state;
  el.className = `conn conn-${state}`;
  el.textContent = {
    connecting: "connecting…", resuming: "resuming…", live: "live",
    offline: `reconnecting in ${detail ? (detail.delay / 1000).toFixed(1) : "?"} s`,
  }[state];
  if (state === "offline" && pending.size) {
    for (const button of pending.values()) {
      button.classList.remove("pending");
      button.textContent = button.dataset.label;
    }
    pending.clear();
    for (const state of bots.values()) state.closing.clear();
    toast("Connection lost before the answer arrived; check the bot's status", "error");
    renderControls();
  }
}

// The age of the last event, redrawn with the screen (no timer and no request: only a repaint).
function renderAge() {
  if (lastEventAt !== null) {
    const age = Date.now() - lastEventAt;
    $("event-age").textContent = `last event ${age} ms ago${lastDelay !== null ? ` (arrived in ${lastDelay} ms)` : ""}`;
  }
  requestAnimationFrame(renderAge);
}

function sendControl(command, button, extra = {}) {
  const requestId = `${command}-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
  if (!socket.send({ command, bot_id: selected, request_id: requestId, ...extra })) {
    toast("Not connected; try again in a moment", "error");
    return false;
  }
  button.dataset.label = button.dataset.label || button.textContent;
  button.textContent = { start_bot: "Starting…", halt_bot: "Halting…", close_position: "Closing…" }[command] || "Stopping…";
  button.classList.add("pending");
  button.setAttribute("aria-busy", "true");
  pending.set(requestId, button);
  renderControls();
  return true;
}

$("bot-select").addEventListener("change", (event) => select(event.target.value, { remember: true }));
$("start-button").addEventListener("click", (event) => sendControl("start_bot", event.currentTarget));
$("stop-button").addEventListener("click", (event) => sendControl("stop_bot", event.currentTarget));
$("halt-button").addEventListener("click", (event) => sendControl("halt_bot", event.currentTarget));
// The one way the page asks for the status: when the user says so (the original design's rule).
$("refresh-button").addEventListener("click", () => {
  socket.send({ command: "request_status", bot_id: selected, request_id: `refresh-${Date.now()}` });
});
$("mute-button").addEventListener("click", async () => {
  sound.on = !sound.on;
  localStorage.setItem("tradewire.sound", sound.on ? "on" : "off");
  if (sound.on) await sound.enableFromGesture().catch(() => toast("The browser refused to play sound", "error"));
  renderMute();
});
// A stored "sound on" still needs a gesture on this page before the browser lets it play.
document.addEventListener("pointerdown", () => { if (sound.on && !sound.context) sound.enableFromGesture(); }, { once: true });

for (const message of config.recentTrades) applyTrade(bot(message.bot_id), message.data, { notify: false });
const socket = new PushSocket(config.wsPath, { onMessage, onState: onSocketState, maxDelay: config.reconnectMaxMs });
for (const [botId, offset] of Object.entries(config.resumeFrom)) socket.offsets.set(botId, offset);
window.tradewire = { socket, bots, chart }; // for the console and the browser tests
renderMute();
renderAll();
socket.connect();
requestAnimationFrame(renderAge);
