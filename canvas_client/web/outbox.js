// The batches a BoardSync has pushed but not seen acked, kept in localStorage
// per board and client id, so that a reload during a network drop loses no
// edit: the next page load applies them again optimistically and re-sends them
// with their original ids after the welcome (the server answers a push id it
// already committed with the original ack and changes nothing; protocol §5).
//
// A tab that was closed before its batches were acked leaves them here; a later
// page of the same board sends them under that tab's client id (sync.js,
// "closed tabs"), but only with the same link: each batch names it as `link`, a
// short fingerprint of the token it was pushed with (never the token), so that
// a projector's viewer link does not send (and lose to a refusal) what a
// facilitator wrote.
//
// Bounded: the oldest batches that fit in MAX_BATCHES and MAX_BYTES are kept
// (order matters: a later batch may build on an earlier one); the rest live
// only in memory until acked, and save() says so (`full: true`).

export const MAX_BATCHES = 1000;
export const MAX_BYTES = 2 * 1024 * 1024; // UTF-16 code units of the stored JSON

function defaultStorage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null; // storage can be denied (privacy settings, sandboxed frames)
  }
}

/** The prefix of every stored outbox of `board` (the client id follows). */
export function outboxPrefix(board) {
  return `tussentafel:outbox:${board}:`;
}

/** A short fingerprint of a token (FNV-1a, 32 bits): tells two links apart, and
 * is of no use to anyone who does not have the token already. */
export function linkOf(token) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < token.length; i += 1) {
    hash ^= token.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export class Outbox {
  /** `storage`: a Storage, or null to keep nothing. `link`: what linkOf() said
   * of the token the batches are sent with (stored with each). */
  constructor(board, clientId, storage = defaultStorage(), link = '') {
    this.key = outboxPrefix(board) + clientId;
    this.storage = storage;
    this.link = link;
    this._json = new Map(); // batch id -> its stored JSON text (encoded once)
    this.full = false;
  }

  /** The stored batches, oldest first: [[batch id, ops], ...]. */
  load() {
    return this.entries().map((b) => [b.id, b.ops]);
  }

  /** The stored batches, oldest first: [{id, ops, link?}, ...]. */
  entries() {
    let text = null;
    try {
      text = this.storage && this.storage.getItem(this.key);
    } catch { /* denied */ }
    if (!text) return [];
    try {
      const stored = JSON.parse(text);
      return Array.isArray(stored)
        ? stored.filter((b) => b && typeof b.id === 'string' && Array.isArray(b.ops))
        : [];
    } catch {
      return []; // a damaged entry: nothing to re-send
    }
  }

  /** Store `pending` (Map batch id -> ops, in push order). Returns
   * {stored, total, full}: full when some batches could not be stored. */
  save(pending) {
    const parts = [];
    let bytes = 2;
    for (const [id, ops] of pending) {
      let json = this._json.get(id);
      if (json === undefined) {
        json = JSON.stringify(this.link ? { id, ops, link: this.link } : { id, ops });
        this._json.set(id, json);
      }
      if (parts.length >= MAX_BATCHES || bytes + json.length + 1 > MAX_BYTES) break;
      parts.push(json);
      bytes += json.length + 1;
    }
    for (const id of this._json.keys()) if (!pending.has(id)) this._json.delete(id);
    let stored = parts.length;
    if (this.storage) {
      try {
        if (stored) this.storage.setItem(this.key, `[${parts.join(',')}]`);
        else this.storage.removeItem(this.key);
      } catch {
        stored = 0; // over the browser's quota or denied: memory only
      }
    }
    this.full = stored < pending.size;
    return { stored, total: pending.size, full: this.full };
  }
}
