// The control room's one WebSocket: it only listens for pushes (no polling), reconnects by itself with
// exponential backoff and jitter, and resumes each bot after the last offset it received, so trades
// missed while away arrive in order and none twice.
"use strict";

const TOO_SLOW = 4008; // the server's close code for a client that fell too far behind
const LOGIN_REQUIRED = 4401; // ...and for one whose session is gone

// Stream offsets look like "1700000000000-3": compare them as (milliseconds, sequence) pairs.
function compareOffsets(a, b) {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

class PushSocket {
  constructor(path, { onMessage, onState, maxDelay = 15000 }) {
    this.path = path;
    this.maxDelay = maxDelay;
    this.onMessage = onMessage;
    this.onState = onState;
    this.offsets = new Map(); // bot id -> last relayed offset
    this.attempt = 0;
    this.ws = null;
    this.retryTimer = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const after = [...this.offsets].map(([bot, offset]) => `${bot}:${offset}`).join(",");
    return `${scheme}//${location.host}${this.path}${after ? `?after=${encodeURIComponent(after)}` : ""}`;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.onState(this.offsets.size ? "resuming" : "connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    this.advanced = false;
    const resumed = new Set(this.offsets.keys());
    ws.addEventListener("open", () => {
      this.onState("live");
      console.log("📡 Listening for pushed updates from bot...", this.offsets.size ? Object.fromEntries(this.offsets) : "");
    });
    ws.addEventListener("message", (event) => {
      this.attempt = 0; // a working connection, not one that opens and closes again
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        console.error("Unreadable push from the server:", event.data);
        return;
      }
      message.resumed = resumed.has(message.bot_id); // replayed events follow for this bot
      this.remember(message);
      this.onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (event.code === LOGIN_REQUIRED) {
        console.warn("🔒 The session has ended; going to the login page");
        this.onState("offline", { delay: 0, code: event.code });
        location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
        return;
      }
      if (event.code === TOO_SLOW && !this.advanced) {
        // Cut off again before catching up at all: the backlog is too long to replay, so start over
        // from a fresh snapshot instead of retrying the same resume for ever.
        console.warn("🐢 Too far behind to catch up; reloading from a fresh snapshot");
        this.forget(null);
      }
      const delay = this.nextDelay();
      console.warn(`🔌 Connection closed (code ${event.code}); reconnecting in ${Math.round(delay)} ms`);
      this.onState("offline", { delay, code: event.code });
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }

  // Only relayed events move a bot's resume point; a `status` snapshot may be ahead of replayed events.
  remember(message) {
    if (!message.bot_id || !message.offset) return;
    const known = this.offsets.get(message.bot_id);
    if (message.type === "status") {
      if (known === undefined) this.offsets.set(message.bot_id, message.offset);
      return;
    }
    if (known === undefined || compareOffsets(message.offset, known) > 0) {
      this.offsets.set(message.bot_id, message.offset);
      this.advanced = true;
    }
  }

  forget(botId) {
    if (botId === null) this.offsets.clear();
    else this.offsets.delete(botId);
  }

  nextDelay() {
    const base = 250, cap = this.maxDelay;
    const ceiling = Math.min(cap, base * 2 ** this.attempt);
    this.attempt += 1;
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  send(payload) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(payload));
    return true;
  }

  // For tests and for the user: drop the connection as a network failure would.
  drop() {
    if (this.ws) this.ws.close(4000, "dropped by the page");
  }
}

window.PushSocket = PushSocket;
window.compareOffsets = compareOffsets;
