// The page's connection: every pushed message goes to its handler (control_room.js), the connection's
// state is shown in the toolbar with the age of the last event; this script starts the page (last loaded).
"use strict";

function onMessage(message) {
  const now = Date.now();
  if (message.type === "error") {
    console.error("⚠️ Error from the server:", message.data.message);
    toast(message.data.message, "error");
    return;
  }
  if (message.type === "bot_control") {
    onBotControl(message);
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
  if (!["status", "candles", "performance", "markets"].includes(message.type)) {
    lastEventAt = now;
    lastDelay = message.data.ts ? now - Date.parse(message.data.ts) : null;
  }
}

function onSocketState(state, detail) {
  const el = $("connection");
  el.dataset.state = state;
  el.className = `conn conn-${state}`;
  el.textContent = {
    connecting: "connecting…", resuming: "resuming…", live: "live",
    offline: `reconnecting in ${detail ? (detail.delay / 1000).toFixed(1) : "?"} s`,
  }[state];
  if (state === "offline") forgetPending();
}

// The age of the last event, redrawn with the screen (no timer and no request: only a repaint).
function renderAge() {
  if (lastEventAt !== null) {
    const age = Date.now() - lastEventAt;
    setText($("event-age"), `last event ${age} ms ago${lastDelay !== null ? ` (arrived in ${lastDelay} ms)` : ""}`);
  }
  requestAnimationFrame(renderAge);
}

for (const message of config.recentTrades) applyTrade(bot(message.bot_id), message.data, { notify: false });
const socket = new PushSocket(config.wsPath, { onMessage, onState: onSocketState, maxDelay: config.reconnectMaxMs });
for (const [botId, offset] of Object.entries(config.resumeFrom)) socket.offsets.set(botId, offset);
window.tradewire = { socket, bots, chart, loop }; // for the console and the browser tests
renderMute();
loop.markAll();
socket.connect();
requestAnimationFrame(renderAge);
