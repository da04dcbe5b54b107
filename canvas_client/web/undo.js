// Undo/redo of one's own changes by inverse ops, so it works while others
// edit: undoing a patch restores only the fields this user set; undoing a
// create deletes; undoing a delete puts the element back. The server refuses
// a put of a deleted id, so an element that comes back gets a fresh id, and
// every reference to the old one (in the batch and in both stacks) follows.

import { STAMPS, newId, opId } from './sync.js';

const REF_FIELDS = ['from', 'to', 'lane', 'scale', 'target', 'parent'];
const LIMIT = 200;

function clean(el) {
  const out = { ...el };
  for (const name of STAMPS) delete out[name];
  return out;
}

/** Ops that undo `ops`, given the elements before `ops` were applied. */
export function inverseOps(elements, ops) {
  const state = new Map();
  const get = (id) => (state.has(id) ? state.get(id) : elements.get(id) || null);
  const inverse = [];
  for (const op of ops) {
    const id = opId(op);
    const before = get(id);
    if (op.op === 'put') {
      inverse.push(before ? { op: 'put', el: clean(before) } : { op: 'del', id });
      state.set(id, op.el);
    } else if (op.op === 'patch') {
      if (!before) continue;
      const set = {};
      const unset = [];
      for (const key of Object.keys(op.set || {})) {
        if (key in before) set[key] = before[key];
        else unset.push(key);
      }
      for (const key of op.unset || []) if (key in before) set[key] = before[key];
      const back = { op: 'patch', id, set };
      if (unset.length) back.unset = unset;
      inverse.push(back);
      const after = { ...before, ...(op.set || {}) };
      for (const key of op.unset || []) delete after[key];
      state.set(id, after);
    } else if (op.op === 'del') {
      if (before) inverse.push({ op: 'put', el: clean(before) });
      state.set(id, null);
    }
  }
  return inverse.reverse();
}

function remapOps(ops, map) {
  if (!map.size) return ops;
  return ops.map((op) => {
    if (op.op === 'put') {
      const el = { ...op.el, id: map.get(op.el.id) || op.el.id };
      for (const f of REF_FIELDS) if (map.has(el[f])) el[f] = map.get(el[f]);
      return { op: 'put', el };
    }
    const out = { ...op, id: map.get(op.id) || op.id };
    if (op.set) {
      out.set = { ...op.set };
      for (const f of REF_FIELDS) if (map.has(out.set[f])) out.set[f] = map.get(out.set[f]);
    }
    return out;
  });
}

export class UndoManager {
  /** push(ops) -> batch id: sends a batch; elements(): the current Map. */
  constructor({ push, elements }) {
    this.push = push;
    this.elements = elements;
    this.undos = [];
    this.redos = [];
    this.byBatch = new Map(); // batch id -> the entry it created (dropped if rejected)
  }

  /** Remember that `batch` was done; `inverse` undoes it. */
  record(batch, inverse) {
    if (!inverse.length) return;
    const entry = { ops: inverse };
    this.undos.push(entry);
    if (this.undos.length > LIMIT) this.undos.shift();
    this.redos = [];
    if (batch) this.byBatch.set(batch, { entry, stack: this.undos });
  }

  /** A batch was refused by the server: forget what it would have undone. */
  rejected(batch) {
    const found = this.byBatch.get(batch);
    this.byBatch.delete(batch);
    if (!found) return;
    const i = found.stack.indexOf(found.entry);
    if (i >= 0) found.stack.splice(i, 1);
  }

  acked(batch) {
    this.byBatch.delete(batch);
  }

  undo() { return this._step(this.undos, this.redos); }
  redo() { return this._step(this.redos, this.undos); }

  _step(from, to) {
    while (from.length) {
      const entry = from.pop();
      const ops = this._prepare(entry.ops);
      if (!ops.length) continue; // everything it touched is gone: try the next
      const inverse = inverseOps(this.elements(), ops);
      const batch = this.push(ops);
      const back = { ops: inverse };
      to.push(back);
      this.byBatch.set(batch, { entry: back, stack: to });
      return true;
    }
    return false;
  }

  /** Drop ops on elements that no longer exist; give returning ids fresh ones. */
  _prepare(ops) {
    const elements = this.elements();
    const map = new Map();
    for (const op of ops) {
      if (op.op === 'put' && !elements.has(op.el.id)) map.set(op.el.id, newId('e'));
    }
    if (map.size) {
      for (const stack of [this.undos, this.redos]) {
        for (const entry of stack) entry.ops = remapOps(entry.ops, map);
      }
    }
    const out = remapOps(ops, map).filter((op) => op.op === 'put' || elements.has(op.id));
    return out;
  }
}
