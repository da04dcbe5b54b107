// Which client ids a live page of this origin is using. A tab's client id lives
// in sessionStorage, which a browser copies when a tab is duplicated: the copy
// must notice that the id is in use and take a fresh one. And a closed tab
// leaves its unacked batches (outbox.js) under its id: a later page may send
// them for it only once no live page holds that id.
//
// Two marks per held id:
// - `tussentafel:tab:<client id>` in localStorage = {instance, t}: this page's
//   random instance and the time, written every BEAT_MS while held and removed
//   on pagehide. Read synchronously, so a new BoardSync knows before its hello
//   whether its tab's id belongs to another live page (a fresh `t` from another
//   instance). A page that crashed leaves a mark that goes stale after FRESH_MS.
// - a Web Lock of the same name (navigator.locks, where the page is a secure
//   context): the browser releases it when the page is gone, crashed or not,
//   and keeps it for a hidden page whose timers are throttled; so it is what
//   decides whether a closed tab's outbox may be taken over, atomically. Where
//   there are no Web Locks the localStorage mark decides (a throttled hidden
//   tab may then be taken for closed: its batches are sent under its own id,
//   which the server never applies twice).
//
// Storage may be denied: then nothing is marked and every id counts as free.

const PREFIX = 'tussentafel:tab:';
export const BEAT_MS = 5000;
export const FRESH_MS = 15000;

function randomInstance() {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** This page's instance (a reload or a duplicate is another). */
export const INSTANCE = randomInstance();

const held = new Map(); // client id -> {count, unlock}
let beating = null;
let hidden = false; // between pagehide and pageshow: marks removed, not rewritten

function storage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null; // denied (privacy settings, sandboxed frames)
  }
}

function webLocks() {
  try {
    const locks = globalThis.navigator && globalThis.navigator.locks;
    return locks && typeof locks.request === 'function' ? locks : null;
  } catch {
    return null;
  }
}

function mark(id) {
  if (hidden) return;
  try {
    const store = storage();
    if (store) store.setItem(PREFIX + id, JSON.stringify({ instance: INSTANCE, t: Date.now() }));
  } catch { /* over quota or denied */ }
}

function readMark(id) {
  try {
    const store = storage();
    const text = store && store.getItem(PREFIX + id);
    const entry = text ? JSON.parse(text) : null;
    return entry && typeof entry.instance === 'string' && typeof entry.t === 'number' ? entry : null;
  } catch {
    return null;
  }
}

function unmark(id) {
  try {
    const store = storage();
    const entry = readMark(id);
    if (store && entry && entry.instance === INSTANCE) store.removeItem(PREFIX + id);
  } catch { /* denied */ }
}

function markAll() {
  for (const id of held.keys()) mark(id);
}

let listening = false;

/** Page events, from the first hold on (importing this module does nothing). */
function listen() {
  if (listening) return;
  listening = true;
  if (typeof globalThis.addEventListener === 'function') {
    globalThis.addEventListener('pagehide', () => {
      for (const id of held.keys()) unmark(id);
      hidden = true; // a reload or a closed tab: the id is free at once
    });
    globalThis.addEventListener('pageshow', () => {
      hidden = false; // back from the back/forward cache
      markAll();
    });
  }
  const doc = globalThis.document;
  if (doc && typeof doc.addEventListener === 'function') {
    // a hidden tab's timers may run once a minute: be fresh again the moment it
    // is seen (before the person can duplicate it)
    doc.addEventListener('visibilitychange', () => {
      if (doc.visibilityState === 'visible') markAll();
    });
  }
}

/** True if another live page (a duplicated tab) marked `id` within FRESH_MS. */
export function heldElsewhere(id) {
  if (held.has(id)) return false;
  const entry = readMark(id);
  return !!entry && entry.instance !== INSTANCE && Math.abs(Date.now() - entry.t) < FRESH_MS;
}

function register(id, unlock) {
  const entry = { count: 0, unlock, gone: false };
  held.set(id, entry);
  listen();
  mark(id);
  if (!beating && storage()) beating = setInterval(markAll, BEAT_MS);
  return entry;
}

/** A function that lets go of one hold of `entry` (once, however often called). */
function releaser(id, entry) {
  entry.count += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    entry.count -= 1;
    if (entry.count > 0 || held.get(id) !== entry) return;
    held.delete(id);
    unmark(id);
    entry.gone = true;
    if (entry.unlock) entry.unlock();
    entry.unlock = null;
    if (!held.size) {
      clearInterval(beating);
      beating = null;
    }
  };
}

/** Mark `id` as used by this page until the returned function is called (an
 * id held twice stays held until both let go). */
export function hold(id) {
  let entry = held.get(id);
  if (!entry) {
    entry = register(id, null);
    const mine = entry;
    const locks = webLocks();
    if (locks) {
      try {
        // waits while another page has it (a duplicate that was not noticed): it is theirs
        locks.request(PREFIX + id, () => (mine.gone ? undefined
          : new Promise((unlock) => { mine.unlock = unlock; }))).catch(() => {});
      } catch { /* not allowed here */ }
    }
  }
  return releaser(id, entry);
}

/** Take `id` over from a page that is gone: resolves to a release function, or
 * null while a live page holds it. */
export function takeOver(id) {
  if (held.has(id)) return Promise.resolve(null);
  const locks = webLocks();
  if (!locks) return Promise.resolve(heldElsewhere(id) ? null : releaser(id, register(id, null)));
  return new Promise((resolve) => {
    try {
      locks.request(PREFIX + id, { ifAvailable: true }, (lock) => {
        if (!lock || held.has(id)) {
          resolve(null);
          return undefined;
        }
        return new Promise((unlock) => resolve(releaser(id, register(id, unlock))));
      }).catch(() => resolve(null));
    } catch {
      resolve(null);
    }
  });
}
