// Noticing a trade: a toast, a screen flash and, when the user turned it on, a short sound.
"use strict";

const MAX_TOASTS = 4;

function toast(text, kind = "info") {
  const item = document.createElement("div");
  item.className = `toast toast-${kind}`;
  item.setAttribute("role", kind === "error" ? "alert" : "status");
  item.textContent = text;
  const stack = document.getElementById("toasts");
  stack.append(item);
  while (stack.children.length > MAX_TOASTS) stack.firstElementChild.remove();
  setTimeout(() => item.remove(), 5000);
}

function flashScreen(side) {
  const flash = document.getElementById("flash");
  flash.className = "flash";
  void flash.offsetWidth;
  flash.className = `flash flash-${side}`;
}

const sound = {
  on: localStorage.getItem("tradewire.sound") === "on",
  context: null,
  // Browsers allow audio only after a user gesture: the context is made (or resumed) in a click.
  enableFromGesture() {
    this.context = this.context || new AudioContext();
    return this.context.resume();
  },
  play(side) {
    if (!this.on || !this.context || this.context.state !== "running") return;
    const oscillator = this.context.createOscillator();
    const gain = this.context.createGain();
    oscillator.frequency.value = side === "buy" ? 880 : 523;
    gain.gain.setValueAtTime(0.15, this.context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, this.context.currentTime + 0.25);
    oscillator.connect(gain).connect(this.context.destination);
    oscillator.start();
    oscillator.stop(this.context.currentTime + 0.25);
  },
};

