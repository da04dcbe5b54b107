// Who is here: live cursors with names in each participant's colour, the
// online list, others' selections; and the session bar: timer, follow mode,
// private round.

import { readable } from './contrast.js';
import { $, h, initials, mmss } from './dom.js';
import { label as enumLabel, t } from './i18n.js';
import { privateCountNode } from './privatecount.js';
import { s } from './render.js';

const CURSOR_IDLE_MS = 12000;

export class People {
  constructor(app) {
    this.app = app;
    this.cursors = new Map(); // participant id -> {node, at}
    this.layer = s('g', { class: 'cursors' });
    app.view.screen.append(this.layer);
    this.timerTick = null;
    setInterval(() => this.place(), 2000); // let idle cursors fade
  }

  get sync() { return this.app.sync; }

  update(changed) {
    const now = Date.now();
    for (const p of changed) {
      if (p.cursor) {
        const c = this.cursors.get(p.id);
        if (c) c.at = now;
        else this.cursors.set(p.id, { node: null, at: now });
      }
    }
    this.place();
    this.renderList();
  }

  /** Others' selections, for outlines in their colours. */
  selections() {
    const out = [];
    for (const p of this.sync.participants.values()) {
      if (p.id === this.sync.you || !p.online || !Array.isArray(p.selection) || !p.selection.length) continue;
      out.push({ ids: p.selection.filter((id) => this.sync.elements.has(id)), color: p.color });
    }
    return out;
  }

  place() {
    const now = Date.now();
    const view = this.app.view;
    for (const [id, c] of this.cursors) {
      const p = this.sync.participants.get(id);
      const show = p && p.online && id !== this.sync.you && p.role !== 'viewer' && Array.isArray(p.cursor) && now - c.at < CURSOR_IDLE_MS;
      if (!show) {
        if (c.node) c.node.remove();
        c.node = null;
        continue;
      }
      if (!c.node || c.node.dataset.name !== (p.name || '') || c.node.dataset.color !== p.color) {
        if (c.node) c.node.remove();
        c.node = this.cursorNode(p);
        this.layer.append(c.node);
      }
      const [x, y] = view.toScreen(p.cursor[0], p.cursor[1]);
      c.node.setAttribute('transform', `translate(${Math.round(x)} ${Math.round(y)})`);
      c.node.classList.toggle('idle', now - c.at > CURSOR_IDLE_MS / 2);
    }
  }

  cursorNode(p) {
    const name = p.name || t('person.someone');
    const w = Math.min(220, 16 + name.length * 7.4);
    const g = s('g', { class: 'cursor', 'data-participant': p.id },
      s('path', { d: 'M0,0 L0,17 L4.5,13 L8,20.5 L11,19 L7.6,11.8 L13.5,11.5 Z', fill: p.color, stroke: '#fff', 'stroke-width': 1.5, 'stroke-linejoin': 'round' }),
      s('rect', { x: 12, y: 18, width: w, height: 22, rx: 11, fill: readable(p.color) }),
      s('text', { x: 12 + w / 2, y: 33, 'text-anchor': 'middle', fill: '#fff', 'font-size': 12.5, 'font-weight': 600 }, name));
    g.dataset.name = p.name || '';
    g.dataset.color = p.color;
    return g;
  }

  renderList() {
    const people = [...this.sync.participants.values()]
      .filter((p) => p.online && p.role !== 'viewer')
      .sort((a, b) => (a.id === this.sync.you ? -1 : b.id === this.sync.you ? 1 : String(a.name).localeCompare(String(b.name))));
    const shown = people.slice(0, 8);
    // your own face renames you: on a phone it stands in for the name button (#me),
    // which gives its room in the top bar to the board's title
    const chips = shown.map((p) => {
      const me = p.id === this.sync.you;
      const who = me ? t('person.you', { name: p.name || t('person.someone') }) : p.name || t('person.someone');
      return h('button', {
        type: 'button', class: `avatar${me ? ' me' : ''}${p.role === 'facilitator' ? ' lead' : ''}`,
        style: `background:${readable(p.color)}`,
        title: [who, enumLabel('approle', p.role), me ? t('board.rename') : ''].filter(Boolean).join(' · '),
        dataset: { participant: p.id },
        onclick: () => {
          if (me) this.app.rename();
          else if (Array.isArray(p.viewport)) {
            this.app.view.fit(p.viewport, 0, 4);
            this.app.userMovedView();
          }
        },
      }, initials(p.name));
    });
    if (people.length > shown.length) chips.push(h('span', { class: 'avatar more' }, `+${people.length - shown.length}`));
    $('#people').replaceChildren(...chips, h('span', { class: 'online-count' }, t('people.online', { n: people.length })));
  }

  /** Timer, follow and private-round banners from the session. */
  session() {
    const sess = this.sync.session;
    const me = this.sync.you;
    const facilitator = this.sync.role === 'facilitator';
    const banners = [];
    if (sess.private) {
      const where = sess.private_frame ? t('banner.where', { frame: this.frameName(sess.private_frame) }) : '';
      banners.push(h('div', { class: 'banner private', id: 'private-banner' },
        h('strong', {}, t('banner.private')),
        t(facilitator ? 'banner.private_fac' : 'banner.private_part', { where }),
        privateCountNode(sess.private_count),
        facilitator ? h('button', { type: 'button', onclick: () => this.app.facilitator && this.app.facilitator.reveal() }, t('banner.reveal_now')) : null));
    }
    if (sess.follow) {
      const leader = this.sync.participants.get(sess.follow);
      const name = (leader && leader.name) || t('person.the_facilitator');
      if (sess.follow === me) {
        banners.push(h('div', { class: 'banner follow', id: 'follow-banner' }, h('strong', {}, t('banner.you_lead')),
          h('button', { type: 'button', onclick: () => this.app.facilitator && this.app.facilitator.follow(false) }, t('common.stop'))));
      } else if (this.app.following) {
        banners.push(h('div', { class: 'banner follow', id: 'follow-banner' }, h('strong', {}, t('banner.following', { name })),
          t('banner.look_around')));
      } else {
        banners.push(h('div', { class: 'banner follow', id: 'follow-banner' }, t('banner.leading', { name }),
          h('button', { type: 'button', onclick: () => { this.app.following = true; this.app.followLeader(); this.session(); } }, t('banner.follow_again'))));
      }
    }
    $('#banners').replaceChildren(...banners);
    this.timer();
    this.renderList();
  }

  frameName(id) {
    const el = this.sync.elements.get(id);
    return (el && el.label) || t('frame.this');
  }

  timer() {
    const box = $('#timer');
    const timer = this.sync.session.timer;
    clearInterval(this.timerTick);
    if (!timer) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const draw = () => {
      const left = timer.ends - this.sync.serverNow();
      box.replaceChildren(h('span', { class: 'timer-label' }, timer.label || t('timer.default')), h('span', { class: 'timer-time' }, left > 0 ? mmss(left) : t('timer.up')));
      box.classList.toggle('done', left <= 0);
      box.classList.toggle('soon', left > 0 && left < 60000);
      if (left <= 0) clearInterval(this.timerTick);
    };
    this.timerTick = setInterval(draw, 250);
    draw();
  }
}
