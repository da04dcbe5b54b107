// The Tussentafel protocol client (docs/protocol.md), with no DOM code: a plugin
// inside another whiteboard can import it and use a board as its backend.
//
//   const sync = new BoardSync({ board, token, name: 'Ada' });
//   sync.on('change', ({ ids }) => redraw(ids));   // ids: Set, or null = everything
//   sync.connect();
//   sync.push([{ op: 'put', el: { id: newId(), kind: 'note', ... } }]);
//
// The replica (replica.js) mirrors canvas_client/replica.py: optimistic local
// batches, stamped like the server's on ack, dropped (rolled back) on refusal.
// Unacked batches are kept in localStorage (outbox.js): a reload re-applies and
// re-sends them with their ids, which the server never applies twice. Those of
// a tab that was closed are sent by the next page of the board, under the
// closed tab's client id (tablock.js tells live tabs from closed ones).

import { FATAL_CLOSES as FATAL, PROTOCOL_VERSION, SUBPROTOCOLS } from './kinds.js';
import { Outbox, linkOf, outboxPrefix } from './outbox.js';
import { Gap, Replica, STAMPS, Unknown, applyOps, opId } from './replica.js';
import { heldElsewhere, hold, takeOver } from './tablock.js';

export { Gap, Replica, STAMPS, Unknown, applyOps, opId };
/** The protocol version this client speaks (docs/protocol.md §8). */
export const PROTOCOL = PROTOCOL_VERSION;
export const SUBPROTOCOL = SUBPROTOCOLS.json;
/** Close codes after which reconnecting cannot help (docs/protocol.md §5):
 * a revoked or wrong link (4401, 4404), a client bug (1008, 1009), a protocol
 * version this server lacks (4426). */
export const FATAL_CLOSES = new Set(FATAL);
const PING_EVERY_MS = 20000;
const SILENCE_MS = 45000;
const CMD_TIMEOUT_MS = 10000;
// closed tabs' outboxes: at most this many after each welcome, each within this time
const ORPHANS_PER_START = 3;
const ORPHAN_TIMEOUT_MS = 20000;
// refusals that say "not now": the batch stays stored for a later page
const TRY_LATER = new Set(['rate_limited', 'unavailable', 'full']);

export class CommandError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

/** A random element id (A-Za-z0-9, `prefix` first). */
export function newId(prefix = 'e') {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = new Uint8Array(14);
  globalThis.crypto.getRandomValues(bytes);
  let out = prefix;
  for (const b of bytes) out += abc[b % abc.length];
  return out;
}

function defaultStorage() {
  try {
    return globalThis.sessionStorage || null;
  } catch {
    return null; // storage can be denied (privacy settings, sandboxed frames)
  }
}

/** The messages of one JSON frame: a bundle's, in order, or the one message
 * (none when the frame is not JSON). */
function unbundle(data) {
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    return [];
  }
  return message && message.type === 'bundle' ? message.messages || [] : [message];
}

const claimed = new Set(); // client ids held by live BoardSync instances of this page

/** A stable id for this tab (reconnects and reloads reuse it). A duplicated
 * tab starts with a copy of its original's sessionStorage: while another live
 * page holds the stored id (tablock.js), this tab takes a fresh one. */
export function tabClientId(storage = defaultStorage()) {
  const key = 'tussentafel.client';
  let id = null;
  try {
    id = storage && storage.getItem(key);
  } catch { /* denied */ }
  if (!id || heldElsewhere(id)) {
    id = newId('c');
    try {
      storage && storage.setItem(key, id);
    } catch { /* denied */ }
  }
  return id;
}

/** The tab's client id for the first instance that asks, a fresh one for every
 * other instance alive at the same time (two instances never share one). */
function claimClientId() {
  let id = tabClientId();
  while (claimed.has(id)) id = newId('c');
  claimed.add(id);
  return id;
}

export class BoardSync {
  /**
   * @param {object} o
   * @param {string} o.board  board id
   * @param {string} o.token  a token of that board (any role)
   * @param {string} [o.name] shown to the others
   * @param {string} [o.origin] http(s) origin of the server (default: this page's)
   * @param {string} [o.clientId] this instance's id (default: the tab's, kept in
   *   sessionStorage, for the first instance; a fresh one for each further instance)
   * @param {Function} [o.WebSocket] a WebSocket implementation
   * @param {Function} [o.fetch] a fetch implementation (the refused-handshake probe)
   * @param {number} [o.presenceHz] at most this many presence messages a second
   * @param {Function} [o.beforePush] ops => ops: check or change a batch before
   *   it is applied and sent; throwing refuses it (push throws, nothing changes)
   * @param {Storage|null} [o.outbox] where unacked batches survive a reload
   *   (default localStorage; null keeps them in memory only)
   */
  constructor({ board, token, name = '', origin, clientId, WebSocket: WS, fetch: fetchFn,
    presenceHz = 20, beforePush = null, outbox }) {
    this.board = board;
    this.token = token;
    this.name = name;
    const base = (origin || globalThis.location.origin).replace(/\/$/, '');
    this.httpUrl = `${base}/api/boards/${encodeURIComponent(board)}/ws`;
    this.url = this.httpUrl.replace(/^http/, 'ws');
    this._ownId = !clientId;
    this.clientId = clientId || claimClientId();
    this.WS = WS || globalThis.WebSocket;
    this.fetch = fetchFn || globalThis.fetch?.bind(globalThis);
    this.beforePush = beforePush;
    this.presenceGap = 1000 / presenceHz;
    this.replica = new Replica();
    this.status = 'idle';
    this.role = '';
    this.session = { timer: null, follow: null, private: false, private_frame: null, private_count: 0,
      present: null, present_insights: false };
    this.participants = new Map();
    this.welcomes = 0;
    this.serverOffset = 0; // server ms - local ms
    this.closedBy = null;
    this._listeners = new Map();
    this._ws = null;
    this._seq = 0;
    // push ids are remembered by the server per participant, and a reload keeps
    // the participant (same client id) but restarts _seq: a nonce keeps them apart
    this._nonce = newId('').slice(0, 8);
    this._acks = new Map(); // batch -> resolve(ack)
    this._cmds = new Map(); // cmd id -> {resolve, reject, timer}
    this._backoff = 0;
    this._retry = null;
    this._presence = {}; // the latest of each field, re-sent after a reconnect
    this._presenceDirty = false;
    this._presenceAt = 0;
    this._presenceTimer = null;
    this._ping = null;
    this._heardAt = 0;
    this._stopped = false;
    // kept for the tab's id or a given one; a fresh per-instance id would never be loaded again
    const tabs = !clientId && this.clientId === tabClientId();
    const keep = outbox !== undefined ? outbox : (clientId || tabs ? undefined : null);
    this._link = linkOf(String(token));
    this.outbox = new Outbox(board, this.clientId, keep, this._link);
    this.outboxFull = false;
    // while this instance lives, its id is marked as in use: a duplicated tab
    // takes another, and no other page sends this outbox as a closed tab's
    this._holds = tabs || !!this.outbox.storage;
    this._release = this._holds ? hold(this.clientId) : null;
    this._recovering = false;
    // a reload during a drop: the edits come back at once and go out after the welcome
    for (const [batch, ops] of this.outbox.load()) this.replica.local(batch, ops);
  }

  // -- state ------------------------------------------------------------------

  get elements() { return this.replica.elements; }
  get clock() { return this.replica.clock; }
  get you() { return this.replica.me; }
  get live() { return this.status === 'live'; }
  /** The server's clock now (ms), estimated from the welcome. */
  serverNow() { return Date.now() + this.serverOffset; }

  // -- events -----------------------------------------------------------------

  /** Listen to 'status' | 'welcome' | 'change' | 'presence' | 'session' |
   * 'event' | 'ack' | 'rejected' | 'error' | 'refused' | 'closed' | 'outbox' | 'recovered'
   * (payloads: sync.d.ts, docs/sync-js.md). Returns an unsubscribe. */
  on(type, fn) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(fn);
    return () => this._listeners.get(type).delete(fn);
  }

  _emit(type, detail) {
    for (const fn of this._listeners.get(type) || []) {
      try {
        fn(detail);
      } catch (err) {
        console.error(err); // one broken listener must not break the protocol
      }
    }
  }

  _setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this._emit('status', { status });
  }

  // -- connection -------------------------------------------------------------

  connect() {
    this._stopped = false;
    if (this._holds && !this._release) this._release = hold(this.clientId);
    if (this._ws) return;
    this._setStatus(this.welcomes ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new this.WS(this.url, [SUBPROTOCOL]);
    } catch (err) {
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      const hello = { type: 'hello', protocol: PROTOCOL, token: this.token,
        client: this.clientId, name: this.name };
      if (this.welcomes) hello.since = this.clock;
      ws.send(JSON.stringify(hello));
      this._heardAt = Date.now();
    };
    ws.onmessage = (event) => {
      if (ws !== this._ws) return;
      this._heardAt = Date.now();
      const messages = unbundle(event.data);
      try {
        for (const one of messages) this._handle(one);
      } catch (err) {
        if (!(err instanceof Gap)) throw err;
        this._saveOutbox(); // an Unknown restore was settled before the catch-up
        this._drop(4000, 'gap: catching up'); // reconnect with since, at once
        this._backoff = 0;
      }
    };
    ws.onclose = (event) => {
      if (ws !== this._ws) return;
      if (!opened) {
        this._ws = null;
        this._probe(event.code, event.reason || '');
        return;
      }
      this._closed(event.code, event.reason || '');
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  /** The handshake failed before it opened. A browser does not show why, so ask
   * the same URL over plain HTTP: a refusal (403 origin, 503 full) is emitted as
   * 'refused'; 403 ends the connection for good, anything else reconnects. */
  async _probe(code, reason) {
    let refusal = null;
    try {
      const answer = await this.fetch(this.httpUrl, { cache: 'no-store' });
      if (!answer.ok) {
        const body = await answer.json().catch(() => ({}));
        refusal = { status: answer.status, code: body.error || '', message: body.message || '' };
      }
    } catch { /* unreachable: an ordinary reconnect */ }
    if (this._stopped || this._ws) return;
    if (refusal) {
      this._emit('refused', refusal);
      if (refusal.status === 403) {
        this._stopTimers();
        this._failCommands('the server refused this page');
        this.closedBy = { code, reason: refusal.message, status: refusal.status };
        this._setStatus('closed');
        this._emit('closed', this.closedBy);
        return;
      }
    }
    this._closed(code, reason);
  }

  /** Close for good (no reconnect). */
  close() {
    this._stopped = true;
    if (this._ownId) claimed.delete(this.clientId);
    if (this._release) this._release();
    this._release = null;
    clearTimeout(this._retry);
    const ws = this._ws;
    this._ws = null;
    this._stopTimers();
    if (ws) ws.close(1000, 'bye');
    this._failCommands('the connection was closed');
    this._setStatus('idle');
  }

  /** Reconnect now (e.g. the network came back); keeps pending edits. */
  reconnectNow() {
    if (this._stopped || this.status === 'closed' || this.status === 'live') return;
    clearTimeout(this._retry);
    this._backoff = 0;
    if (!this._ws) this.connect();
  }

  /** Change the name the others see (a new hello, so a quick reconnect). */
  rename(name) {
    this.name = name;
    if (this._ws) this._drop(4000, 'rename');
    this._backoff = 0;
  }

  _drop(code, reason) {
    const ws = this._ws;
    if (!ws) return;
    this._ws = null;
    try {
      ws.close(code, reason);
    } catch { /* already closing */ }
    this._closed(code, reason);
  }

  _closed(code, reason) {
    this._ws = null;
    this._stopTimers();
    this._failCommands('the connection dropped');
    if (FATAL_CLOSES.has(code)) {
      this.closedBy = { code, reason };
      this._setStatus('closed');
      this._emit('closed', { code, reason });
      return;
    }
    if (this._stopped) return;
    this._setStatus(this.welcomes ? 'reconnecting' : 'connecting');
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    clearTimeout(this._retry);
    const delay = this._backoff === 0 ? 0 : Math.min(4000, 250 * 2 ** (this._backoff - 1));
    this._backoff += 1;
    const jitter = delay * (0.8 + Math.random() * 0.4);
    this._retry = setTimeout(() => {
      this._retry = null;
      if (!this._stopped) this.connect();
    }, jitter);
  }

  _stopTimers() {
    clearInterval(this._ping);
    this._ping = null;
    clearTimeout(this._presenceTimer);
    this._presenceTimer = null;
  }

  _failCommands(reason) {
    for (const [id, cmd] of this._cmds) {
      clearTimeout(cmd.timer);
      cmd.reject(new CommandError('offline', reason));
      this._cmds.delete(id);
    }
  }

  _send(message) {
    if (this._ws && this._ws.readyState === 1) this._ws.send(JSON.stringify(message));
  }

  // -- receiving --------------------------------------------------------------

  _handle(message) {
    if (!message || typeof message !== 'object') return;
    switch (message.type) {
      case 'welcome': return this._welcome(message);
      case 'patch': {
        const ids = this.replica.patch(message);
        if (ids) this._emit('change', { ids, reason: 'remote', by: message.by });
        return;
      }
      case 'ack': return this._ack(message);
      case 'presence': return this._presenceIn(message.participants || []);
      case 'event': return this._event(message);
      case 'result': return this._result(message);
      case 'error':
        this._emit('error', message);
        return;
      default:
    }
  }

  _welcome(message) {
    this.replica.welcome(message);
    this.role = message.role;
    this.serverOffset = (message.time || Date.now()) - Date.now();
    this.session = { timer: null, follow: null, private: false, private_frame: null, private_count: 0,
      present: null, present_insights: false, ...(message.session || {}) };
    this.participants = new Map((message.participants || []).map((p) => [p.id, p]));
    this.welcomes += 1;
    this._backoff = 0;
    this._setStatus('live');
    this._emit('welcome', message);
    this._emit('change', { ids: null, reason: 'welcome' });
    this._emit('session', this.session);
    this._emit('presence', { participants: [...this.participants.values()], all: true });
    for (const [batch, ops] of this.replica.pending) this._send({ type: 'push', id: batch, ops });
    if (Object.keys(this._presence).length) {
      this._presenceDirty = true;
      this._flushPresence();
    }
    this._ping = setInterval(() => {
      if (Date.now() - this._heardAt > SILENCE_MS) this._drop(4000, 'silent: reconnecting');
      else this._send({ type: 'ping' });
    }, PING_EVERY_MS);
    this._recoverOrphans();
  }

  _ack(message) {
    const { ops, ids } = this.replica.ack(message);
    this._saveOutbox();
    const resolve = this._acks.get(message.id);
    this._acks.delete(message.id);
    if (message.ok) {
      this._emit('ack', { ...message, ops });
    } else {
      this._emit('rejected', { ...message, ops });
    }
    if (ids.size) this._emit('change', { ids, reason: message.ok ? 'ack' : 'rollback' });
    if (resolve) resolve(message);
  }

  _presenceIn(entries) {
    for (const entry of entries) {
      if (!entry || typeof entry.id !== 'string') continue;
      this.participants.set(entry.id, { ...(this.participants.get(entry.id) || {}), ...entry });
    }
    this._emit('presence', { participants: entries, all: false });
  }

  _event(message) {
    const s = this.session;
    switch (message.name) {
      case 'timer': s.timer = message.timer || null; break;
      case 'follow': s.follow = message.follow || null; break;
      case 'private':
        s.private = !!message.private;
        s.private_frame = message.frame || null;
        s.private_count = message.count || 0;
        break;
      case 'reveal':
        if (s.private && (message.frame == null || message.frame === s.private_frame)) {
          s.private = false;
          s.private_frame = null;
          s.private_count = 0;
        }
        break;
      case 'private_count': s.private_count = message.count || 0; break;
      case 'present':
        s.present = message.present || null;
        s.present_insights = !!message.insights;
        break;
      default:
    }
    this._emit('event', message);
    if (['timer', 'follow', 'private', 'reveal', 'present'].includes(message.name)) this._emit('session', s);
  }

  _result(message) {
    const cmd = this._cmds.get(message.id);
    if (!cmd) return;
    this._cmds.delete(message.id);
    clearTimeout(cmd.timer);
    if (message.ok) cmd.resolve(message);
    else cmd.reject(new CommandError(message.code, message.message));
  }

  // -- sending ----------------------------------------------------------------

  /** Apply ops at once and send them (queued while offline, re-sent after a
   * reconnect until acked). Returns {batch, ack: Promise<ack message>}.
   * `beforePush` sees the ops first; if it throws, push throws and nothing changes. */
  push(ops) {
    if (this.beforePush) ops = this.beforePush(ops);
    if (!Array.isArray(ops)) throw new TypeError('push needs a list of ops');
    this._seq += 1;
    const batch = `b${this._seq}-${this._nonce}`;
    const ack = new Promise((resolve) => this._acks.set(batch, resolve));
    const ids = this.replica.local(batch, ops);
    this._saveOutbox();
    if (this.live) this._send({ type: 'push', id: batch, ops });
    this._emit('change', { ids, reason: 'local' });
    return { batch, ack };
  }

  /** Keep the unacked batches for a reload; 'outbox' says when some no longer fit. */
  _saveOutbox() {
    const { stored, total, full } = this.outbox.save(this.replica.pending);
    if (full !== this.outboxFull) {
      this.outboxFull = full;
      this._emit('outbox', { stored, total, full });
    }
  }

  // -- closed tabs' outboxes ---------------------------------------------------

  /** The client ids of this board's other stored outboxes. */
  _orphans() {
    const store = this.outbox.storage;
    const prefix = outboxPrefix(this.board);
    const found = [];
    try {
      for (let i = 0; i < store.length; i += 1) {
        const key = store.key(i);
        const client = key && key.startsWith(prefix) ? key.slice(prefix.length) : '';
        // a hello's client is 1-128 characters: another key could never be sent
        if (client && client.length <= 128 && key !== this.outbox.key) found.push(client);
      }
    } catch { /* denied, or a Storage that cannot list its keys */ }
    return found;
  }

  /** Send what closed tabs of this board left unacked, each under its own
   * client id: the server knows a batch it already committed by participant
   * and push id, and the participant comes from the client id, so under any
   * other id a batch could be applied twice (over newer edits). Only batches
   * pushed with this same link (a viewer's would be refused and lost); at
   * most ORPHANS_PER_START outboxes, one at a time. */
  async _recoverOrphans() {
    if (this._recovering || !this.outbox.storage || this.role === 'viewer') return;
    this._recovering = true;
    try {
      let tried = 0;
      for (const client of this._orphans()) {
        if (tried >= ORPHANS_PER_START || this._stopped || !this.live) break;
        if (claimed.has(client)) continue;
        const box = new Outbox(this.board, client, this.outbox.storage, this._link);
        if (!box.entries().every((b) => !b.link || b.link === this._link)) continue;
        const release = await takeOver(client); // null: its tab is alive
        if (!release) continue;
        tried += 1;
        try {
          await this._deliver(client, box); // read again now that it is ours
        } finally {
          release();
        }
      }
    } catch (err) {
      console.error(err);
    } finally {
      this._recovering = false;
    }
  }

  /** A short second connection as `client`: push each stored batch of `box`
   * with its own id, one after the other, and forget it once answered (ok, or
   * refused: then 'rejected' with `client`). Stops (keeping the rest) on a
   * "not now" refusal, a close or after ORPHAN_TIMEOUT_MS. Emits 'recovered'. */
  _deliver(client, box) {
    const left = new Map(box.load());
    if (!left.size) {
      box.save(left); // nothing usable (damaged): nobody will send it
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let ws = null;
      let current = null;
      let acked = 0;
      let refused = 0;
      const finish = () => {
        if (!ws) return;
        const socket = ws;
        ws = null;
        clearTimeout(timer);
        try {
          socket.close(1000, 'recovered');
        } catch { /* already closed */ }
        if (acked || refused) this._emit('recovered', { client, acked, refused, left: left.size });
        resolve();
      };
      const timer = setTimeout(finish, ORPHAN_TIMEOUT_MS);
      try {
        ws = new this.WS(this.url, [SUBPROTOCOL]);
      } catch {
        clearTimeout(timer);
        resolve();
        return;
      }
      const socket = ws;
      const next = () => {
        const first = left.entries().next();
        if (first.done) {
          finish();
          return;
        }
        [current] = first.value;
        socket.send(JSON.stringify({ type: 'push', id: current, ops: first.value[1] }));
      };
      socket.onopen = () => {
        // `since`: a catch-up welcome, not a second copy of the board
        socket.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL, token: this.token, client,
          name: this.name, since: this.clock }));
      };
      socket.onmessage = (event) => {
        for (const one of unbundle(event.data)) {
          if (ws !== socket || !one || typeof one !== 'object') return;
          if (one.type === 'welcome') {
            next();
          } else if (one.type === 'ack' && one.id === current) {
            if (!one.ok && TRY_LATER.has(one.code)) {
              finish();
              return;
            }
            const ops = left.get(current);
            left.delete(current);
            box.save(left); // the key goes with the last one
            if (one.ok) {
              acked += 1;
            } else {
              refused += 1;
              this._emit('rejected', { ...one, ops, client });
            }
            next();
          } else if (one.type === 'error' && one.fatal) {
            finish();
          }
        }
      };
      socket.onclose = finish;
      socket.onerror = () => { /* onclose follows */ };
    });
  }

  /** A facilitator command; resolves to its result, rejects with CommandError. */
  cmd(name, args = {}) {
    if (!this.live) return Promise.reject(new CommandError('offline', 'not connected'));
    this._seq += 1;
    const id = `c${this._seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._cmds.delete(id);
        reject(new CommandError('timeout', 'no answer from the server'));
      }, CMD_TIMEOUT_MS);
      this._cmds.set(id, { resolve, reject, timer });
      this._send({ type: 'cmd', id, name, args });
    });
  }

  /** Where this client points: {cursor?: [x, y], viewport?: [x, y, w, h],
   * selection?: [id], pointer?: [x, y] (facilitators)}; null clears a field (`cursor: null`,
   * the cursor left the board; `selection: []` clears too), undefined leaves it as it was.
   * Coalesced: at most presenceHz messages a second. */
  presence(fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) this._presence[key] = value;
    }
    this._presenceDirty = true;
    this._flushPresence();
  }

  _flushPresence() {
    if (!this._presenceDirty || !this.live || this._presenceTimer) return;
    const wait = this._presenceAt + this.presenceGap - Date.now();
    if (wait > 0) {
      this._presenceTimer = setTimeout(() => {
        this._presenceTimer = null;
        this._flushPresence();
      }, wait);
      return;
    }
    this._presenceDirty = false;
    this._presenceAt = Date.now();
    this._send({ type: 'presence', ...this._presence });
  }
}
