// The toolbar: the bot picker, the status badge, and Start / Stop / Halt / Refresh, which follow the bot's
// state (off, with the reason beside them, when a command could not reach the bot or is not allowed).
"use strict";

function renderBotList(bots, selected) {
  const pick = document.getElementById("bot-select");
  const ids = [...bots.keys()].sort();
  const same = pick.options.length === ids.length && ids.every((id, at) => pick.options[at].value === id);
  if (!same) pick.replaceChildren(...ids.map((id) => new Option(id, id, false, id === selected)));
  if (pick.value !== selected && ids.includes(selected)) pick.value = selected;
  pick.disabled = ids.length === 0;
}

function renderBadge(state) {
  const label = badgeState(state);
  const badge = document.getElementById("status-badge");
  setClass(badge, `badge badge-${label}`);
  if (badge.dataset.status !== label) badge.dataset.status = label;
  setText(badge, label);
  badge.title = state && state.reason ? state.reason : "";
}

// Why the controls are off, or "" when they may be used. The reason is shown next to them and as a tooltip.
function controlsBlockedBy(state, canControl) {
  if (!canControl) return "You do not have permission to start or stop bots";
  if (!state) return "No bot selected";
  if (!state.status) return "Waiting for the bot's status";
  if (state.offline) return `Bot ${state.id} is offline (no heartbeat): commands cannot reach it`;
  return "";
}

function renderControls(state, { canControl, busy }) {
  const $ = (id) => document.getElementById(id);
  $("refresh-button").disabled = !state;
  const blocked = controlsBlockedBy(state, canControl);
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
  setText(hint, state ? blocked : "");
  hint.hidden = !hint.textContent;
}

window.renderBotList = renderBotList;
window.renderBadge = renderBadge;
window.controlsBlockedBy = controlsBlockedBy;
window.renderControls = renderControls;
