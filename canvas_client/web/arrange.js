// Arranging the selection: what a move takes along, re-parenting into the
// frame an element lands in, delete (with what hangs on it), z-order.

import { deletable, othersQuestion } from './deleting.js';
import { toast } from './dom.js';
import { CIRCLES, PLACED, box, frameAt } from './geometry.js';
import { t } from './i18n.js';
import { keyBetween } from './zindex.js';

/** Ids a move of the selection moves: the selection and everything inside
 * selected frames; elements placed by others (votes, milestones) and links stay. */
export function movableSelection(app) {
  const children = new Map();
  for (const el of app.sync.elements.values()) {
    if (el.parent) {
      if (!children.has(el.parent)) children.set(el.parent, []);
      children.get(el.parent).push(el.id);
    }
  }
  const out = new Set();
  const visit = (id) => {
    const el = app.sync.elements.get(id);
    if (!el || out.has(id) || PLACED[el.kind] || el.kind === 'link') return;
    out.add(id);
    if (el.kind === 'frame') for (const child of children.get(id) || []) visit(child);
  };
  for (const id of app.selection) visit(id);
  return [...out];
}

export function reparent(app, g, ops) {
  const moved = new Set(g.before.keys());
  const elements = new Map(app.sync.elements);
  for (const op of ops) elements.set(op.id, { ...elements.get(op.id), ...op.set });
  for (const op of ops) {
    const el = elements.get(op.id);
    if (el.parent && moved.has(el.parent)) continue; // moves with its frame
    const b = box(el);
    if (!b) continue;
    const [cx, cy] = CIRCLES.has(el.kind) ? [el.x, el.y] : [b[0] + b[2] / 2, b[1] + Math.min(b[3] / 2, 30)];
    const frame = frameAt(elements, cx, cy, moved);
    const next = frame ? frame.id : null;
    if (next === (el.parent || null)) continue;
    if (next) op.set.parent = next;
    else op.unset = ['parent'];
  }
}

export function deleteSelection(app) {
  if (!app.selection.size) return;
  const { ok, locked } = deletable(app, app.selection); // never half-deleted: locked ones stay whole
  if (!ok.length) {
    if (locked.length) toast(t('err.locked'), 'error');
    return;
  }
  if (locked.length) toast(t(locked.length === 1 ? 'delete.locked_one' : 'delete.locked_many', { n: locked.length }), 'info');
  const ids = new Set(ok);
  for (const el of app.sync.elements.values()) { // lines and milestones go with what they hang on
    if ((el.kind === 'link' && (ids.has(el.from) || ids.has(el.to))) || (el.kind === 'milestone' && ids.has(el.lane))
      || (el.kind === 'vote' && ids.has(el.target))) {
      if (app.role === 'facilitator' || !el.locked) ids.add(el.id);
    }
  }
  if (!ids.size) return;
  const question = othersQuestion(app, [...ids]);
  if (question && !window.confirm(question)) return;
  const ops = [...ids].map((id) => ({ op: 'del', id }));
  if (app.commit(ops)) app.select([]);
}

/** z-order: 'front' | 'back' | 'forward' | 'backward' within the element's layer. */
export function reorder(app, where) {
  const ids = [...app.selection];
  if (!ids.length) return;
  const all = [...app.sync.elements.values()].filter((el) => typeof el.z === 'string').sort((a, b) => (a.z < b.z ? -1 : a.z > b.z ? 1 : 0));
  const chosen = all.filter((el) => app.selection.has(el.id));
  const rest = all.filter((el) => !app.selection.has(el.id));
  let lo = null;
  let hi = null;
  if (where === 'front') lo = rest.length ? rest[rest.length - 1].z : null;
  else if (where === 'back') hi = rest.length ? rest[0].z : null;
  else {
    const first = chosen[0];
    const last = chosen[chosen.length - 1];
    if (where === 'forward') {
      const i = rest.findIndex((el) => el.z > last.z);
      if (i < 0) return;
      lo = rest[i].z;
      hi = rest[i + 1] ? rest[i + 1].z : null;
    } else {
      const below = rest.filter((el) => el.z < first.z);
      if (!below.length) return;
      hi = below[below.length - 1].z;
      lo = below.length > 1 ? below[below.length - 2].z : null;
    }
  }
  const ops = [];
  for (const el of chosen) {
    const z = keyBetween(lo, hi);
    ops.push({ op: 'patch', id: el.id, set: { z } });
    lo = z;
  }
  app.commit(ops);
}
