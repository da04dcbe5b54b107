// A client's copy of a board (no I/O, no DOM): the JavaScript twin of
// canvas_client/replica.py, kept line for line in step with it.
//
// `base` is the server's state at `clock` as this client knows it; `pending`
// are this client's pushed batches not yet acked, applied on top
// optimistically. `elements` is what the user sees: base plus pending. An ack
// moves a batch into base, stamped exactly as the server did (docs/protocol.md
// §3.3); a rejection drops it, which rolls the optimistic edit back.

export const STAMPS = ['author', 'v', 'created', 'updated'];

/** A patch or ack skipped a clock: reconnect with `since`. */
export class Gap extends Error {}

export function opId(op) {
  return op.op === 'put' ? op.el.id : op.id;
}

/** Apply ops to a Map in place. With `clock`/`time` (and `me` for own puts)
 * stamp as the server does; without, apply optimistically. */
export function applyOps(elements, ops, { clock = null, time = null, me = null } = {}) {
  for (const op of ops) {
    if (op.op === 'put') {
      const el = { ...op.el };
      if (me !== null && clock !== null) {
        const old = elements.get(el.id);
        for (const name of STAMPS) delete el[name];
        el.author = old ? ('author' in old ? old.author : me) : me;
        el.created = old ? ('created' in old ? old.created : time) : time;
      }
      if (clock !== null) {
        el.v = clock;
        el.updated = time;
      }
      elements.set(el.id, el);
    } else if (op.op === 'patch') {
      const old = elements.get(op.id);
      if (!old) continue;
      const el = { ...old };
      for (const [key, value] of Object.entries(op.set || {})) {
        if (!STAMPS.includes(key)) el[key] = value;
      }
      for (const key of op.unset || []) {
        if (!STAMPS.includes(key)) delete el[key];
      }
      if (clock !== null) {
        el.v = clock;
        el.updated = time;
      }
      elements.set(op.id, el);
    } else if (op.op === 'del') {
      elements.delete(op.id);
    }
  }
}

export class Replica {
  constructor() {
    this.me = '';
    this.clock = 0;
    this.base = new Map();
    this.pending = new Map(); // batch id -> ops, in push order
    this.elements = new Map();
  }

  /** Returns the touched ids (null: everything may have changed). */
  welcome(message) {
    this.me = message.you;
    if (message.full) {
      this.base = new Map(message.elements.map((el) => [el.id, el]));
    } else {
      for (const id of message.deleted || []) this.base.delete(id);
      for (const el of message.elements) this.base.set(el.id, el);
    }
    this.clock = message.clock;
    this._recompute(null);
    return null;
  }

  local(batch, ops) {
    this.pending.set(batch, ops);
    applyOps(this.elements, ops);
    return new Set(ops.map(opId));
  }

  /** Someone else's change; null if already seen. Throws Gap. */
  patch(message) {
    const clock = message.clock;
    if (clock <= this.clock) return null;
    if (clock !== this.clock + 1) throw new Gap(`expected clock ${this.clock + 1}, got ${clock}`);
    applyOps(this.base, message.ops, { clock, time: message.time });
    this.clock = clock;
    const ids = new Set(message.ops.map(opId));
    this._recompute(ids);
    return ids;
  }

  /** Settle a pushed batch: {ops, ids} (ops null if unknown). Throws Gap. */
  ack(message) {
    const ops = this.pending.has(message.id) ? this.pending.get(message.id) : null;
    this.pending.delete(message.id);
    if (message.ok) {
      const clock = message.clock;
      if (clock <= this.clock) return { ops, ids: ops ? this._touch(ops) : new Set() };
      if (clock !== this.clock + 1) throw new Gap(`expected clock ${this.clock + 1}, got ack ${clock}`);
      if (ops) applyOps(this.base, ops, { clock, time: message.time, me: this.me });
      this.clock = clock;
    }
    return { ops, ids: ops ? this._touch(ops) : new Set() };
  }

  _touch(ops) {
    const ids = new Set(ops.map(opId));
    this._recompute(ids);
    return ids;
  }

  _recompute(ids) {
    if (ids === null) {
      this.elements = new Map(this.base);
      for (const ops of this.pending.values()) applyOps(this.elements, ops);
      return;
    }
    for (const id of ids) {
      if (this.base.has(id)) this.elements.set(id, this.base.get(id));
      else this.elements.delete(id);
    }
    for (const ops of this.pending.values()) {
      applyOps(this.elements, ops.filter((op) => ids.has(opId(op))));
    }
  }
}
