// Undo/redo of one's own changes by inverse ops, so it works while others
// edit: undoing a patch restores only the fields this user set; undoing a
// create deletes; undoing a delete is a `restore` op, which brings the element
// back with its id, author and content (protocol §5): undo never changes an id
// or an author.

import { STAMPS, opId } from './sync.js';

const LIMIT = 200;

function clean(el) {
  const out = { ...el };
  for (const name of STAMPS) delete out[name];
  return out;
}

/** Ops that undo `ops`, given the elements before `ops` were applied. */
export function inverseOps(elements, ops) {
  const state = new Map();
  const graves = new Map();
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
      if (before) inverse.push({ op: 'restore', id });
      state.set(id, null);
      if (before) graves.set(id, before);
    } else if (op.op === 'restore') {
      if (!before) inverse.push({ op: 'del', id });
      state.set(id, before || graves.get(id) || { id }); // back, its content known to the server
    }
  }
  return inverse.reverse();
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

  /** Drop ops that no longer apply: a restore of an element that is back
   * already, a change of one that someone deleted meanwhile. */
  _prepare(ops) {
    const elements = this.elements();
    const live = new Set(elements.keys());
    const out = [];
    for (const op of ops) {
      const id = opId(op);
      if (op.op === 'restore' ? live.has(id) : !live.has(id)) continue;
      out.push(op);
      if (op.op === 'restore') live.add(id);
      else if (op.op === 'del') live.delete(id);
    }
    return out;
  }
}
