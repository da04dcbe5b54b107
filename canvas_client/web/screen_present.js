// Present mode on the projector (/b/{id}/screen): the frame the facilitator
// presents fills the screen with every text at least MIN_TEXT_PX tall, the
// facilitator's pointer on top; or the insights, large. Participants' views
// are not touched (docs/protocol.md, "Present mode").

import { h } from './dom.js';
import { presentedFrame } from './exercises.js';
import { GRADES, box, fit, str } from './geometry.js';
import { label, t } from './i18n.js';
import { s } from './render.js';

/** No text on the projector is smaller than this while a frame is presented. */
export const MIN_TEXT_PX = 18;

export class Presenter {
  constructor({ sync, view, board, token }) {
    this.sync = sync;
    this.view = view;
    this.board = board;
    this.token = token;
    this.pointerLayer = s('g', { class: 'screen-pointers' });
    view.screen.append(this.pointerLayer);
    this.panel = null;
    this.data = null;
    this.raised = false; // some text carries a raised size
    sync.on('event', (message) => {
      if (message.name === 'insights' && message.insights) {
        this.data = message.insights;
        this.renderInsights();
      }
    });
  }

  get frame() {
    return presentedFrame(this.sync.elements, this.sync.session);
  }

  /** Fit the presented frame; false when none is presented. */
  fit() {
    const frame = this.frame;
    document.body.classList.toggle('presenting', !!frame);
    if (!frame) return false;
    this.view.fit(box(frame), 20, 8);
    return true;
  }

  /** After every camera change and render: text size floor, pointers. */
  camera() {
    this.minText();
    this.pointers();
  }

  /** Text drawn smaller than MIN_TEXT_PX on screen is set to MIN_TEXT_PX
   * (in world units: MIN_TEXT_PX / zoom), only while presenting a frame. */
  minText() {
    const z = this.view.cam.z;
    const on = !!this.frame;
    if (!on && !this.raised) return; // nothing to undo: spare big boards the walk
    this.raised = on;
    for (const node of this.view.world.querySelectorAll('text')) {
      if (!node.dataset.base) node.dataset.base = String(parseFloat(node.getAttribute('font-size')) || 14);
      const base = Number(node.dataset.base);
      const want = on && base * z < MIN_TEXT_PX ? `${(MIN_TEXT_PX * 1.01) / z}px` : '';
      if (node.style.fontSize === want) continue;
      node.style.fontSize = want;
      // text fitted to its room at its own size is fitted again at the larger one
      if (node.dataset.fitW) refit(node, want ? MIN_TEXT_PX / z : base);
    }
  }

  /** The facilitators' pointers, as big red dots. */
  pointers() {
    const dots = [];
    if (this.frame) {
      for (const p of this.sync.participants.values()) {
        if (!p.online || p.role !== 'facilitator' || !Array.isArray(p.pointer)) continue;
        const [x, y] = this.view.toScreen(p.pointer[0], p.pointer[1]);
        dots.push(s('g', { class: 'screen-pointer', 'data-participant': p.id, transform: `translate(${Math.round(x)} ${Math.round(y)})` },
          s('title', {}, t('screen.pointer', { name: p.name || '' })),
          s('circle', { class: 'halo', r: 30 }), s('circle', { class: 'dot', r: 13 })));
      }
    }
    this.pointerLayer.replaceChildren(...dots);
  }

  /** Show or hide the insights, as the session says. */
  session() {
    const on = !!this.sync.session.present_insights;
    document.body.classList.toggle('presenting-insights', on);
    if (!on) {
      if (this.panel) this.panel.remove();
      this.panel = null;
      return;
    }
    if (!this.panel) {
      this.panel = h('section', { id: 'present-insights', class: 'present-insights', 'aria-live': 'polite' });
      document.querySelector('.screen-board').append(this.panel);
      this.load();
    }
    this.renderInsights();
  }

  async load() {
    try {
      const r = await fetch(`/api/boards/${encodeURIComponent(this.board)}/insights`, { headers: { authorization: `Bearer ${this.token}` } });
      if (r.ok) this.data = await r.json();
    } catch { /* the next insights event fills it in */ }
    this.renderInsights();
  }

  name(id) {
    const el = this.sync.elements.get(id);
    return el ? str(el.label || el.text || el.holder || el.title) || label('kind', el.kind) : id;
  }

  renderInsights() {
    if (!this.panel) return;
    const data = this.data;
    if (!data) {
      this.panel.replaceChildren(h('p', { class: 'muted' }, t('screen.insights.loading')));
      return;
    }
    const terr = data.territory || {};
    const list = (title, items) => h('div', {}, h('h3', {}, title),
      items.length ? h('ul', {}, items.map((item) => h('li', {}, item))) : h('p', { class: 'muted' }, t('screen.insights.none')));
    const charts = Object.entries(data.grades || {}).map(([scale, g]) => this.chart(this.name(scale), g));
    this.panel.replaceChildren(
      h('h2', {}, t('screen.insights.title')),
      h('div', { class: 'cols' },
        list(t('screen.insights.overlaps'), (terr.overlaps || []).map(([a, b]) => t('screen.insights.overlap', { a: this.name(a), b: this.name(b) }))),
        list(t('screen.insights.outside'), (terr.outside || []).map((id) => this.name(id))),
        list(t('screen.insights.without'), terr.without_domain || [])),
      h('div', {}, h('h3', {}, t('screen.insights.grades')), charts.length ? charts : h('p', { class: 'muted' }, t('screen.insights.none'))));
  }

  /** The markers of one scale, large: a row per grade (its whole name), a bar
   * for now and one for the ambition (as the editor's insights). */
  chart(title, g) {
    const max = Math.max(1, ...GRADES.flatMap((k) => [(g.current || {})[k] || 0, (g.ambition || {})[k] || 0]));
    const aspect = (a) => t(a === 'current' ? 'screen.insights.now' : 'screen.insights.ambition');
    const bar = (a, k) => {
      const n = (g[a] || {})[k] || 0;
      return h('span', { class: `pbar ${a}`, title: `${label('grade', k)} · ${aspect(a)}: ${n}` },
        h('span', { class: 'track' }, h('i', { style: `width:${(n / max) * 100}%` })), h('b', {}, String(n)));
    };
    return h('div', { class: 'present-grades' }, h('p', { class: 'muted' }, title),
      h('p', { class: 'grade-keys' }, h('span', { class: 'key current' }, aspect('current')), h('span', { class: 'key ambition' }, aspect('ambition'))),
      h('div', { class: 'present-chart' }, ...GRADES.flatMap((k) => [
        h('span', { class: 'head' }, label('grade', k)),
        h('span', { class: 'bars' }, bar('current', k), bar('ambition', k)),
      ])));
  }
}

/** Text fitted to its room (render.js fitted()) fitted again at `size`: the
 * estimate first, then shortened while the drawn text is still wider. */
function refit(node, size) {
  const room = Number(node.dataset.fitW);
  const chars = Array.from(fit(node.dataset.full || '', room, size, node.dataset.fitBold === '1'));
  node.textContent = chars.join('');
  const cut = chars.at(-1) === '…' ? chars.slice(0, -1) : chars;
  while (cut.length > 1 && node.getComputedTextLength() > room) {
    cut.pop();
    node.textContent = `${cut.join('').trimEnd()}…`;
  }
}
