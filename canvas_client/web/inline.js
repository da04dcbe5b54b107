// Editing an element's main text in place: a textarea over the element.
// Enter saves (Shift+Enter: new line), Escape cancels, leaving it saves.

import { $, h } from './dom.js';
import { num } from './geometry.js';
import { t } from './i18n.js';
import { MAIN_FIELD } from './kinds.js';
import { dropEmptyNote } from './manip.js';

export { MAIN_FIELD };
const REQUIRED = new Set(['text', 'label', 'moment', 'focus', 'symbol']);
const MULTILINE = new Set(['note', 'text']);

let current = null;

function fontSize(el) {
  if (el.kind === 'text') return num(el, 'size', 16);
  if (el.kind === 'table') return Math.max(10, Math.min(24, num(el, 'r') / 8));
  if (el.kind === 'frame') return Math.min(56, Math.max(20, num(el, 'h') * 0.3)) * 0.45;
  return el.kind === 'note' ? 15 : 14;
}

/** Where the editor goes, in stage pixels. */
function rect(app, el) {
  const b = app.tools.boundsOf(el.id) || [num(el, 'x'), num(el, 'y'), 160, 40];
  let [x, y, w, hgt] = b;
  if (el.kind === 'table') [x, y, w, hgt] = [num(el, 'x') - num(el, 'r') * 0.75, num(el, 'y') - num(el, 'r') + 4, num(el, 'r') * 1.5, fontSize(el) * 3];
  else if (el.kind === 'frame') hgt = Math.min(56, Math.max(20, num(el, 'h') * 0.3));
  else if (el.kind === 'lane') hgt = 28;
  else if (el.kind === 'grade_scale') hgt = 30;
  else if (el.kind === 'domain') [x, y, w, hgt] = [num(el, 'x') - num(el, 'r') * 0.8, num(el, 'y') - 22, num(el, 'r') * 1.6, 44];
  const [sx, sy] = app.view.toScreen(x, y);
  const z = app.view.cam.z;
  return { left: sx, top: sy, width: Math.max(140, w * z), height: Math.max(34, hgt * z) };
}

export function placeInline(app) {
  if (!current) return;
  const el = app.sync.elements.get(current.id);
  if (!el) return;
  const r = rect(app, el);
  const room = current.area.parentElement.clientWidth; // keep it on a narrow screen
  r.width = Math.min(r.width, Math.max(120, room - 8));
  r.left = Math.max(4, Math.min(r.left, room - r.width - 4));
  Object.assign(current.area.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px`,
    fontSize: `${Math.max(13, fontSize(el) * app.view.cam.z)}px` });
}

export function closeInline(app, save = true) {
  if (!current) return;
  const { id, field, area, fresh, original } = current;
  current = null;
  area.remove();
  const value = area.value;
  if (fresh && !value.trim() && dropEmptyNote(app, id)) return; // no empty note left behind
  if (!save) return;
  const el = app.sync.elements.get(id);
  if (!el || value === original) return;
  const op = value.trim() || REQUIRED.has(field)
    ? { op: 'patch', id, set: { [field]: value } }
    : { op: 'patch', id, set: {}, unset: [field] };
  app.commit([op], { undo: !fresh }); // a fresh element's undo removes it, text and all
}

/** Open the editor on element `id` (field: its main text unless given). */
export function openInline(app, id, field = null, fresh = false) {
  closeInline(app, true);
  const el = app.sync.elements.get(id);
  if (!el) return;
  field = field || MAIN_FIELD[el.kind];
  if (!field || !app.mayEdit(el, true)) return;
  const original = typeof el[field] === 'string' ? el[field] : '';
  const area = h('textarea', { id: 'inline-editor', class: `inline-editor k-${el.kind}`, rows: 1, maxlength: 2000,
    spellcheck: 'true', 'aria-label': t('inline.edit', { field: t(`field.${field}`) }), dataset: { id, field } });
  area.value = original;
  $('#stage').append(area);
  current = { id, field, area, fresh, original };
  placeInline(app);
  area.addEventListener('keydown', (event) => {
    event.stopPropagation();
    if (event.key === 'Escape') {
      event.preventDefault();
      closeInline(app, false);
    } else if (event.key === 'Enter' && !(event.shiftKey && MULTILINE.has(el.kind))) {
      event.preventDefault();
      closeInline(app, true);
    }
  });
  area.addEventListener('blur', () => {
    if (current && current.area === area) closeInline(app, true);
  });
  area.focus({ preventScroll: true });
  area.select();
}
