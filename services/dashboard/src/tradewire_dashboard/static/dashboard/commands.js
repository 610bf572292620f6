// Commands to a bot (start, stop, halt, close a position, refresh): the button stays pending until the
// command's `bot_control` answer arrives, which is shown as a notice (another user's too, with their name).
"use strict";

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
  loop.mark("controls");
  return true;
}

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
  if (data.command === "close_position" && bots.has(message.bot_id)) {
    bots.get(message.bot_id).closing.delete(data.symbol);
    loop.mark("positions");
  }
  loop.mark("controls");
  if (data.command === "request_status" && data.ok) return;
  const who = mine ? "" : `${data.actor}: `;
  const what = `${data.command.replace("_", " ")}${data.symbol ? ` ${data.symbol}` : ""}`;
  toast(`${who}${what} ${message.bot_id}: ${data.outcome} · ${data.message}`, data.ok ? "info" : "error");
}

// The connection went away before the answers came: nothing is pending any more.
function forgetPending() {
  if (!pending.size) return;
  for (const button of pending.values()) {
    button.classList.remove("pending");
    button.textContent = button.dataset.label;
  }
  pending.clear();
  for (const state of bots.values()) state.closing.clear();
  toast("Connection lost before the answer arrived; check the bot's status", "error");
  loop.mark("controls", "positions");
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
