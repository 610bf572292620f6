// Small DOM helpers for panels that are updated in place: a write that changes nothing is skipped (no
// style or layout work), and table rows are kept by key, so a live update moves or edits rows instead of
// rebuilding the table (and never replaces a button under the pointer).
"use strict";

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function setClass(element, cls) {
  if (element.className !== cls) element.className = cls;
}

// Fills a row's cells from [text, class, field] triples, adding the cells it lacks.
function fillCells(row, cells) {
  cells.forEach(([text, cls, field], index) => {
    const cell = row.cells[index] || row.insertCell();
    setText(cell, text);
    setClass(cell, cls);
    if (cell.dataset.field !== field) cell.dataset.field = field;
  });
}

// Makes `body` hold one row per item, in order: rows are found by `row.dataset[keyName]`, made by `make`
// when missing and refreshed by `update`; rows of other keys (or keyless ones) are removed.
function syncRows(body, items, { keyName, keyOf, make, update }) {
  const kept = new Map();
  for (const row of body.rows) if (row.dataset[keyName] !== undefined) kept.set(row.dataset[keyName], row);
  let at = 0;
  for (const item of items) {
    const key = String(keyOf(item));
    let row = kept.get(key);
    kept.delete(key);
    if (!row) {
      row = make(item);
      row.dataset[keyName] = key;
    }
    update(row, item);
    if (body.rows[at] !== row) body.insertBefore(row, body.rows[at] || null);
    at += 1;
  }
  while (body.rows.length > at) body.deleteRow(-1);
}

window.setText = setText;
window.setClass = setClass;
window.fillCells = fillCells;
window.syncRows = syncRows;
