// The editor on phones and tablets: below 1024 px the side panel is a bottom
// sheet; a touch device opens on the current exercise; a long press selects.

import { $, h } from './dom.js';
import { currentExercise } from './exercises.js';
import { box } from './geometry.js';
import { t } from './i18n.js';

export const NARROW = '(max-width: 1023.98px)';
const LONG_PRESS_MS = 550;
const SLOP = 8;
const READABLE_ZOOM = 0.7; // the template's smallest text is still ~8 px // screen px a finger may wander during a long press

export function isNarrow() {
  return window.matchMedia(NARROW).matches;
}

/** The side panel as a bottom sheet (CSS shows it as such below 1024 px). */
export class Sheet {
  constructor() {
    this.side = $('#side');
    this.toggle = h('button', { type: 'button', id: 'sheet-toggle', class: 'sheet-toggle', 'aria-controls': 'side',
      'aria-expanded': 'false', dataset: { i18n: 'sheet.open' }, onclick: () => this.open(!this.isOpen) }, t('sheet.open'));
    $('#stage').append(this.toggle);
    this.side.prepend(h('div', { class: 'sheet-head' },
      h('span', { class: 'sheet-grip', 'aria-hidden': 'true' }),
      h('button', { type: 'button', id: 'sheet-close', class: 'sheet-close', dataset: { i18n: 'sheet.close' },
        onclick: () => this.open(false) }, t('sheet.close'))));
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && this.isOpen) this.open(false); });
    tabRoles();
  }

  get isOpen() { return document.body.classList.contains('sheet-open'); }

  open(on) {
    document.body.classList.toggle('sheet-open', on);
    this.toggle.setAttribute('aria-expanded', String(on));
  }

  /** Mark the open button while something is selected. */
  selected(count) {
    this.toggle.classList.toggle('has-selection', count > 0);
  }
}

/** The panel's tabs as ARIA tabs (role, selected state, controlled panel). */
function tabRoles() {
  const tabs = [...document.querySelectorAll('#tabs [data-tab]')];
  const mark = () => {
    for (const tab of tabs) tab.setAttribute('aria-selected', String(tab.classList.contains('on')));
  };
  for (const tab of tabs) {
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-controls', tab.dataset.tab);
    new MutationObserver(mark).observe(tab, { attributes: true, attributeFilter: ['class'] });
  }
  mark();
}

/** The first view on a narrow screen: zoomed to the current exercise; true if done. */
export function exerciseView(app) {
  if (!isNarrow()) return false;
  const frame = currentExercise(app.sync.elements, app.sync.session);
  const b = frame && box(frame);
  if (!b) return false;
  const view = app.view;
  view.fit(b, 8, 1.5);
  if (view.cam.z < READABLE_ZOOM) { // a phone: the frame's top left, readable, not a thumbnail
    view.cam = { x: b[0] - 8 / READABLE_ZOOM, y: b[1] - 8 / READABLE_ZOOM, z: READABLE_ZOOM };
    view.applyCamera();
  }
  return true;
}

/** A finger held still on an element selects it, whatever the tool. */
export function longPress(app) {
  const svg = app.view.svg;
  let press = null;
  const stop = () => {
    if (press) clearTimeout(press.timer);
    press = null;
  };
  svg.addEventListener('pointerdown', (e) => {
    stop();
    if (e.pointerType !== 'touch' || app.tools.pointers.size > 1) return;
    const node = e.target.closest && e.target.closest('[data-id]');
    const id = node && svg.contains(node) ? node.dataset.id : null;
    if (!id) return;
    press = { x: e.clientX, y: e.clientY, timer: setTimeout(() => {
      press = null;
      app.tools.clear(); // the tool's gesture (a new note, a drag) is off
      if (app.tool !== 'select') app.setTool('select');
      app.select([id]);
      if (navigator.vibrate) navigator.vibrate(15);
    }, LONG_PRESS_MS) };
  });
  svg.addEventListener('pointermove', (e) => {
    if (press && (app.tools.pointers.size > 1 || Math.hypot(e.clientX - press.x, e.clientY - press.y) > SLOP)) stop();
  });
  for (const type of ['pointerup', 'pointercancel']) svg.addEventListener(type, stop);
}
