// The control room: applies what the server pushes to each bot's state and marks the panels it changed;
// the render loop redraws those once per animation frame. Nothing here asks the server on a timer; the
// only timers are local (toasts fading, the heartbeat watchdog, reconnect backoff).
"use strict";

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const $ = (id) => document.getElementById(id);
const MAX_TRADES = 200; // per bot: the chart's markers and the positions' fee rates read them
const chart = new CandleChart($("chart"), $("chart-tooltip"));
const closedTradesChart = new PerformanceChart($("performance-chart"));
const STATE_TYPES = new Set(["price", "stats", "status_change", "heartbeat", "positions"]);
const N = MarketNumbers;

const bots = new Map(); // bot id -> its own figures, kept apart
const preferred = localStorage.getItem("tradewire.bot") || ""; // the bot chosen last time
let selected = "";
let lastEventAt = null;
let lastDelay = null;
let priceMove = null; // "up" / "down": the price flash to start in the next frame
const pending = new Map(); // request id -> button
const notices = []; // trades to announce in the next frame (the newest few of a burst)

const selectedState = () => bots.get(selected);
const loop = new RenderLoop({
  bots: () => renderBotList(bots, selected),
  badge: () => renderBadge(selectedState()),
  controls: () => renderControls(selectedState(), { canControl: config.canControl, busy: pending.size > 0 }),
  price: () => { renderPrice(selectedState(), priceMove); priceMove = null; },
  stats: () => renderStats(selectedState()),
  positions: () => renderPositionsOf(selectedState()),
  trades: () => renderTradesTable(selectedState()),
  performance: () => {
    const performance = selectedState()?.performance;
    closedTradesChart.show(performance);
    renderSymbolTable(performance);
  },
  fleet: () => renderFleet(bots, selected, (id) => select(id, { remember: true })),
  notices: announce,
});
// What each kind of change makes dirty, for the selected bot (other bots only show in the fleet).
const SELECTED_PANELS = ["badge", "controls", "price", "stats", "positions"];

function bot(botId) {
  if (!bots.has(botId)) {
    bots.set(botId, {
      id: botId, status: null, offline: false, stateOffset: null, price: null, stats: null,
      position: null, balances: {}, trades: [], tradeIds: new Set(), watchdog: null,
      chart: CandleChart.emptyState(), positions: [], prices: {}, closing: new Set(), performance: null,
    });
    loop.mark("bots", "fleet");
    if (!selected || botId === preferred) select(botId);
  }
  return bots.get(botId);
}

function select(botId, { remember = false } = {}) {
  selected = botId;
  if (remember) localStorage.setItem("tradewire.bot", botId);
  chart.show(bots.get(botId));
  loop.markAll();
}

function renderPositionsOf(state) {
  renderPositions(state, { blocked: controlsBlockedBy(state, config.canControl), onClose: closePosition });
}

function closePosition(position, button) {
  const amount = `${N.amount(position.amount, position.symbol)} ${position.symbol.split("/")[0]}`;
  if (!window.confirm(`Close the ${position.symbol} position of ${selected}: sell ${amount} at market now?`)) return;
  const state = selectedState();
  if (sendControl("close_position", button, { symbol: position.symbol })) state.closing.add(position.symbol);
  renderPositionsOf(state); // at once: the button says "Closing…" under the pointer
}

function renderMute() {
  const button = $("mute-button");
  button.setAttribute("aria-pressed", String(sound.on));
  button.textContent = sound.on ? "Sound: on" : "Sound: off";
}

// The trades of a burst are announced once per frame: the newest few as toasts, one flash, one sound.
function announce() {
  const shown = notices.splice(0).slice(-MAX_TOASTS);
  for (const [trade, botId] of shown) {
    toast(`${trade.side.toUpperCase()} ${N.amount(trade.amount, trade.symbol)} ${trade.symbol} @ ${N.price(trade.price, trade.symbol)} · ${botId}`, trade.side);
  }
  const last = shown[shown.length - 1];
  if (last) {
    flashScreen(last[0].side);
    sound.play(last[0].side);
  }
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
      changed(state, ...SELECTED_PANELS);
    }, allowed);
  }
}

// Marks panels dirty: the fleet for any bot, the others only when the bot is the one shown.
function changed(state, ...panels) {
  loop.mark("fleet", ...(state.id === selected ? panels : []));
}

function applyTrade(state, trade, { notify, offset = null }) {
  if (state.tradeIds.has(trade.event_id)) return false;
  state.tradeIds.add(trade.event_id);
  // Newest first by the bot's sequence number, whatever order trades arrive in (normally on top).
  let at = 0;
  while (at < state.trades.length && state.trades[at].seq > trade.seq) at += 1;
  state.trades.splice(at, 0, trade);
  if (state.trades.length > MAX_TRADES) state.tradeIds.delete(state.trades.pop().event_id);
  state.position = trade.position;
  if (trade.balances) state.balances = trade.balances;
  chart.addTrade(state, trade);
  const folded = foldTrade(state.performance, trade, offset);
  changed(state, "trades", "price", "positions", ...(folded ? ["performance"] : []));
  if (notify) {
    notices.push([trade, state.id]);
    loop.mark("notices");
  }
  return true;
}

// A market's precision (tick, step) writes its numbers from now on, the rows already drawn too.
function learnMarkets(state, markets) {
  const before = N.version;
  for (const market of markets) N.setMarket(market.symbol, market);
  if (N.version !== before) loop.mark("fleet", "trades", "performance", ...SELECTED_PANELS);
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
    learnMarkets(state, data.markets || []);
    // A resumed connection replays the trades in order; a fresh one shows the latest from here.
    if (data.last_trade && !message.resumed) applyTrade(state, data.last_trade, { notify: false });
    changed(state, ...SELECTED_PANELS);
    console.log(`📋 Status of bot ${state.id}:`, data);
  },
  trade(message, state) {
    if (applyTrade(state, message.data, { notify: true, offset: message.offset })) console.log("📊 New trade pushed from bot:", message.data);
  },
  price(message, state) {
    const before = state.price ? Number(state.price.last) : null;
    state.price = message.data;
    state.prices[message.data.symbol] = message.data.last;
    const now = Number(message.data.last);
    if (state.id === selected && before !== null && now !== before) priceMove = now > before ? "up" : "down";
    // The fleet shows no price: only the shown bot's panels are dirty.
    if (state.id === selected) loop.mark("price", ...(state.positions.length ? ["positions"] : []));
  },
  stats(message, state) {
    state.stats = message.data;
    changed(state, "stats", "positions");
  },
  status_change(message, state) {
    state.status = message.data.status;
    state.reason = message.data.reason;
    state.offline = false;
    changed(state, ...SELECTED_PANELS);
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
    if (state.id === selected) loop.mark("positions");
  },
  performance(message, state) {
    state.performance = performanceFrom(message.data);
    changed(state, "performance");
    console.log(`📅 Recorded performance of bot ${state.id} through ${message.data.through}`);
  },
  markets(message, state) {
    learnMarkets(state, message.data.markets);
  },
  order_refused(message, state) {
    const data = message.data;
    toast(`${state.id}: ${data.side} ${N.amount(data.amount, data.symbol)} ${data.symbol} refused · ${data.reason}`, "error");
  },
  heartbeat(message, state) {
    state.status = message.data.status;
    armWatchdog(state, message.data);
    changed(state, "badge", "controls");
  },
};
