// Drawing at most once per frame. A pushed message only changes the page's state and marks the panels it
// touched as dirty; the panels are redrawn together in the next animation frame, each once, however many
// messages arrived in between (a burst of 200 trades is one redraw, not 200).
"use strict";

class RenderLoop {
  // `panels`: name -> function drawing it, called in this order.
  constructor(panels) {
    this.panels = panels;
    this.dirty = new Set();
    this.scheduled = false;
    // What the browser tests read: frames drawn, and how often each panel was drawn.
    this.counts = { frames: 0, marks: 0, renders: Object.fromEntries(Object.keys(panels).map((name) => [name, 0])) };
  }

  mark(...names) {
    for (const name of names) this.dirty.add(name);
    this.counts.marks += 1;
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame(() => this.flush());
    }
  }

  markAll() {
    this.mark(...Object.keys(this.panels));
  }

  flush() {
    this.scheduled = false;
    const dirty = this.dirty;
    this.dirty = new Set();
    this.counts.frames += 1;
    for (const [name, draw] of Object.entries(this.panels)) {
      if (!dirty.has(name)) continue;
      this.counts.renders[name] += 1;
      try {
        draw();
      } catch (error) {
        console.error(`drawing ${name} failed`, error); // one broken panel must not stop the others
      }
    }
  }
}

window.RenderLoop = RenderLoop;
