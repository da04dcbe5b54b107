// Direct manipulation and editing basics of the editor: dragging grade markers
// between the columns of their scale and milestones along their lane, arrow-key
// nudges, copy / paste / duplicate, keyboard focus on elements, and removing a
// new note that was left empty.

import { GRADES, day, daysBetween, isoDay, laneWidth, num, scaleColumns } from './geometry.js';
import { fmtDay } from './i18n.js';
import { s } from './render.js';
import { STAMPS, newId } from './sync.js';
import { keyBetween } from './zindex.js';

const DAY_MS = 86400000;
const PASTE_STEP = 24; // world px each paste lands further right and down
const CLIP_KEY = 'tussentafel:clipboard';
const REFS = ['from', 'to', 'lane', 'scale', 'target', 'parent'];
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

// -- moving -------------------------------------------------------------------

/** Patch ops that move the elements of `before` (Map id -> el) by dx, dy. */
export function moveOps(before, dx, dy) {
  const ops = [];
  for (const [id, el] of before) {
    if (el.kind === 'stroke') {
      const pts = (el.points || []).map((v, i) => Math.round((v + (i % 2 ? dy : dx)) * 10) / 10);
      ops.push({ op: 'patch', id, set: { x: num(el, 'x') + dx, y: num(el, 'y') + dy, points: pts } });
    } else {
      ops.push({ op: 'patch', id, set: { x: Math.round(num(el, 'x') + dx), y: Math.round(num(el, 'y') + dy) } });
    }
  }
  return ops;
}

/** Arrow keys: move the selection 1 world px (Shift: 10) as one batch. */
export function nudge(app, key, big) {
  const [ux, uy] = ARROWS[key];
  const ids = app.movableSelection();
  if (!ids.length) return false;
  const step = big ? 10 : 1;
  const before = new Map(ids.map((id) => [id, app.sync.elements.get(id)]));
  app.commit(moveOps(before, ux * step, uy * step));
  return true;
}

// -- dragging placed kinds -------------------------------------------------------

/** The date on `lane` at world x (clamped to the lane), or null. */
export function dateAt(lane, wx) {
  const start = day(lane.start);
  const end = day(lane.end);
  if (start === null || end === null || end <= start) return null;
  const at = Math.min(1, Math.max(0, (wx - num(lane, 'x')) / laneWidth(lane)));
  return isoDay(start + Math.round(at * daysBetween(start, end)) * DAY_MS);
}

/** Can `el` be dragged along what it is placed on? */
export function draggablePlaced(el) {
  return el && (el.kind === 'grade_vote' || el.kind === 'milestone');
}

/** A drag of a grade marker or milestone in progress: preview it under the pointer. */
export function dragPlaced(tools, g, world) {
  const app = tools.app;
  const el = app.sync.elements.get(g.target.id);
  if (!el) return;
  if (!g.checked) {
    g.checked = true;
    g.allowed = app.mayEdit(el, true);
  }
  if (!g.allowed) return;
  const node = tools.view.nodes.get(el.id);
  const from = tools.view.place(el) || [num(el, 'x'), num(el, 'y')];
  g.value = null;
  tools.selectionLayer.style.display = 'none'; // the outline stays behind: hide it while dragging
  node?.classList.add('dragging');
  if (el.kind === 'grade_vote') {
    const scale = app.sync.elements.get(el.scale);
    if (!scale) return;
    const cols = scaleColumns(scale);
    let col = cols.findIndex(([left, w]) => world[0] >= left && world[0] < left + w);
    if (col < 0) col = world[0] < cols[0][0] ? 0 : cols.length - 1; // past either end: the end column
    g.value = GRADES[col];
    const [left, cw] = cols[col];
    const x = Math.min(left + cw - 10, Math.max(left + 10, world[0]));
    if (node) node.setAttribute('transform', `translate(${x - from[0]} 0)`);
    tools.preview.replaceChildren(s('rect', { x: left + 2, y: num(scale, 'y') + 46, width: cw - 4, height: 66, rx: 4, class: 'drop-column' }));
  } else {
    const lane = app.sync.elements.get(el.lane);
    const date = lane && dateAt(lane, world[0]);
    if (!date) return;
    g.value = date;
    const start = day(lane.start);
    const t = daysBetween(start, day(date)) / Math.max(1, daysBetween(start, day(lane.end)));
    const x = num(lane, 'x') + t * laneWidth(lane);
    if (node) node.setAttribute('transform', `translate(${x - from[0]} 0)`);
    const labelY = from[2] ?? from[1] + 24;
    tools.preview.replaceChildren(s('text', { x, y: labelY + (labelY < from[1] ? -12 : 14), 'font-size': 13, 'font-weight': 'bold',
      'text-anchor': 'middle', class: 'drag-date', fill: '#0f172a' }, fmtDay(date)));
  }
}

/** The drop: one patch of `grade` or `date` (or nothing when it did not change). */
export function dropPlaced(tools, g) {
  const app = tools.app;
  const el = app.sync.elements.get(g.target.id);
  endPlaced(tools, g);
  if (!el || !g.allowed || !g.value) return;
  const field = el.kind === 'grade_vote' ? 'grade' : 'date';
  if (el[field] !== g.value) app.commit([{ op: 'patch', id: el.id, set: { [field]: g.value } }]);
}

/** Put the dragged node back where the board says (before the drop lands or after an abort). */
export function endPlaced(tools, g) {
  const node = tools.view.nodes.get(g.target.id);
  node?.removeAttribute('transform');
  node?.classList.remove('dragging');
  tools.selectionLayer.style.display = '';
}

// -- copy, paste, duplicate --------------------------------------------------------

/** The elements a copy of the selection takes: the selection, what is inside
 * selected frames, milestones on copied lanes, links between copied elements. */
export function copiedElements(app) {
  const els = app.sync.elements;
  const ids = new Set(app.movableSelection());
  for (const id of app.selection) {
    const el = els.get(id);
    if (el && (el.kind === 'link' || el.kind === 'milestone')) ids.add(id);
  }
  for (const el of els.values()) {
    if (el.kind === 'milestone' && ids.has(el.lane)) ids.add(el.id);
  }
  for (const el of els.values()) {
    if (el.kind === 'link' && ids.has(el.from) && ids.has(el.to)) ids.add(el.id);
  }
  const out = [];
  for (const id of ids) {
    const el = els.get(id);
    if (el && el.kind !== 'grade_vote' && el.kind !== 'vote') out.push(el);
  }
  return out;
}

/** Put ops of fresh copies of `els`, `step` world px further; references
 * between the copies point at the copies, the rest stay as they were. */
export function copyOps(els, step, top) {
  const ids = new Map(els.map((el) => [el.id, newId(String(el.kind).slice(0, 2))]));
  const sorted = [...els].sort((a, b) => (String(a.z) < String(b.z) ? -1 : String(a.z) > String(b.z) ? 1 : 0));
  let z = top;
  const ops = [];
  for (const orig of sorted) {
    const el = { ...orig, id: ids.get(orig.id) };
    for (const name of [...STAMPS, 'locked']) delete el[name];
    for (const ref of REFS) if (typeof el[ref] === 'string' && ids.has(el[ref])) el[ref] = ids.get(el[ref]);
    if (el.kind === 'milestone' && !ids.has(orig.lane)) el.date = orig.date; // stays on its lane
    else if (typeof el.x === 'number' && typeof el.y === 'number') {
      Object.assign(el, moveOps(new Map([[el.id, el]]), step, step)[0].set);
    }
    z = keyBetween(z, null);
    el.z = z;
    ops.push({ op: 'put', el });
  }
  return ops;
}

function storeClip(els) {
  try {
    localStorage.setItem(CLIP_KEY, JSON.stringify(els));
  } catch { /* private mode or too big: the copy stays in this page */ }
}

function readClip() {
  try {
    const raw = JSON.parse(localStorage.getItem(CLIP_KEY) || 'null');
    return Array.isArray(raw) ? raw.filter((el) => el && typeof el === 'object' && typeof el.id === 'string') : null;
  } catch {
    return null;
  }
}

export class Clipboard {
  constructor(app) {
    this.app = app;
    this.els = [];
    this.pastes = 0;
  }

  copy() {
    const els = copiedElements(this.app);
    if (!els.length) return false;
    this.els = els.map((el) => ({ ...el }));
    this.pastes = 0;
    storeClip(this.els);
    return true;
  }

  paste() {
    const stored = readClip();
    if (stored && JSON.stringify(stored) !== JSON.stringify(this.els)) {
      this.els = stored; // copied in another tab
      this.pastes = 0;
    }
    if (!this.els.length) return false;
    this.pastes += 1;
    return this.put(this.els, PASTE_STEP * this.pastes);
  }

  duplicate() {
    const els = copiedElements(this.app);
    return els.length ? this.put(els, PASTE_STEP) : false;
  }

  put(els, step) {
    const ops = copyOps(els, step, this.app.topZ());
    if (!this.app.commit(ops)) return false;
    this.app.select(ops.map((op) => op.el.id));
    return true;
  }
}

/** Keys of this module; true when the key was handled. */
export function manipKey(app, e) {
  const typing = e.target.closest && e.target.closest('input, textarea, select, [contenteditable]');
  if (typing || e.altKey) return false;
  const mod = e.ctrlKey || e.metaKey;
  if (!mod && ARROWS[e.key]) {
    if (!nudge(app, e.key, e.shiftKey)) return false;
  } else if (mod && !e.shiftKey && (e.key === 'c' || e.key === 'C')) {
    if (!app.clipboard.copy()) return false;
  } else if (mod && !e.shiftKey && (e.key === 'v' || e.key === 'V')) {
    app.clipboard.paste();
  } else if (mod && !e.shiftKey && (e.key === 'd' || e.key === 'D')) {
    app.clipboard.duplicate();
  } else return false;
  e.preventDefault();
  e.stopImmediatePropagation();
  return true;
}

// -- keyboard focus -----------------------------------------------------------

/** Tab reaches elements ([data-id] groups are focusable): focusing one selects it,
 * so Enter (keys.js) edits it. */
export function wireFocus(app) {
  let pointing = false; // a click focuses too: then the pointer tools decide what is selected
  const svg = app.view.svg;
  svg.addEventListener('pointerdown', () => { pointing = true; }, true);
  document.addEventListener('keydown', () => { pointing = false; }, true);
  svg.addEventListener('focusin', (e) => {
    const g = e.target.closest && e.target.closest('[data-id]');
    if (!g || pointing) return;
    if (!(app.selection.size === 1 && app.selection.has(g.dataset.id))) app.select([g.dataset.id]);
  });
}

// -- empty new notes --------------------------------------------------------------

/** A new note closed without text is removed, and its creation leaves undo. */
export function dropEmptyNote(app, id) {
  const el = app.sync.elements.get(id);
  if (!el || el.kind !== 'note' || String(el.text || '').trim()) return false;
  app.sync.push([{ op: 'del', id }]);
  const stack = app.undo.undos;
  const i = stack.findIndex((entry) => entry.ops.length === 1 && entry.ops[0].op === 'del' && entry.ops[0].id === id);
  if (i >= 0) stack.splice(i, 1);
  if (app.selection.has(id)) app.select([...app.selection].filter((x) => x !== id));
  return true;
}
