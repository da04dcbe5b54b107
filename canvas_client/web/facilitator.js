// Facilitator controls (shown only when the welcome's role is facilitator):
// timer, follow me, private round and reveal, lock/unlock, snapshots, invite
// links, the insights panel (GET /api/boards/{id}/insights), and after the
// Atelier: the report, export and delete (aftercare.js).

import { afterAtelier } from './aftercare.js';
import { Bin } from './bin.js';
import { presentBlock } from './present.js';
import { $, copyText, h, humanError, pageParams, toast } from './dom.js';
import { GRADES, box, str, union } from './geometry.js';
import { fmtNumber, fmtTime, label as enumLabel, t } from './i18n.js';
import { reach, shareBase } from './reach.js';

const { board, token, join, screen } = pageParams();
const ROTATED = new URLSearchParams(location.hash.slice(1)).has('rotated'); // this page came from a rotation

async function api(path, { method = 'GET', body } = {}) {
  const r = await fetch(`/api/boards/${encodeURIComponent(board)}${path}`, {
    method,
    // anything that changes something is JSON (the server answers 415 otherwise)
    headers: { authorization: `Bearer ${token}`, ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(data.message || r.statusText), { code: data.error });
  return data;
}

function when(ms) {
  return fmtTime(ms, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export class Facilitator {
  constructor(app) {
    this.app = app;
    this.panel = $('#facilitate');
    this.insightsPanel = $('#insights');
    this.snapshots = [];
    this.armed = null; // snapshot id whose restore waits for a second click
    const tabs = $('#tabs');
    tabs.hidden = false;
    tabs.addEventListener('click', (e) => {
      const tab = e.target.closest('[data-tab]');
      if (tab) this.show(tab.dataset.tab);
    });
    app.sync.on('session', () => this.render());
    app.sync.on('event', (message) => { // the server recomputes after each change that matters
      if (message.name === 'insights' && message.insights) this.showInsights(message.insights);
    });
    app.sync.on('status', () => this.render());
    this.bin = new Bin(app, api);
    this.render();
    this.loadSnapshots();
    reach().then((info) => { if (info) this.render(); }); // links the room can reach
    if (ROTATED) this.show('facilitate');
  }

  show(name) {
    for (const b of document.querySelectorAll('#tabs [data-tab]')) {
      b.classList.toggle('on', b.dataset.tab === name);
      b.setAttribute('aria-selected', String(b.dataset.tab === name));
    }
    for (const id of ['inspector', 'facilitate', 'insights', 'bin']) $(`#${id}`).hidden = id !== name;
    if (name === 'insights') this.loadInsights();
    if (name === 'bin') this.bin.open();
  }

  async run(name, args = {}, done = '') {
    try {
      const result = await this.app.sync.cmd(name, args);
      if (done) toast(done, 'ok');
      return result;
    } catch (err) {
      toast(humanError(err.code, err.message), 'error');
      return null;
    }
  }

  follow(on) { return this.run(on ? 'follow.start' : 'follow.stop'); }

  reveal() {
    const frame = this.app.sync.session.private_frame;
    return this.run('reveal', frame ? { frame } : {});
  }

  selectedFrame() {
    const ids = [...this.app.selection];
    const el = ids.length === 1 && this.app.sync.elements.get(ids[0]);
    return el && el.kind === 'frame' ? el : null;
  }

  render() {
    const active = document.activeElement;
    if (this.panel.contains(active) && active.matches('input')) { // don't clobber typing
      if (!this.deferred) {
        this.deferred = true;
        active.addEventListener('blur', () => { this.deferred = false; setTimeout(() => this.render(), 150); }, { once: true });
      }
      return;
    }
    const app = this.app;
    const sess = app.sync.session;
    const btn = (label, fn, cls = '', id = null) => h('button', { type: 'button', class: cls, id, onclick: fn }, label);
    const minutes = h('input', { type: 'number', id: 'timer-minutes', min: 1, max: 240, value: 5, 'aria-label': t('fac.minutes_label') });
    const label = h('input', { type: 'text', id: 'timer-label', placeholder: t('fac.timer_placeholder'), maxlength: 200 });
    const sections = [];
    sections.push(presentBlock(this)); // the projector first: it is used all session
    if (ROTATED) sections.push(this.newLinks());
    if (join || screen) {
      const participantLink = join ? `${shareBase()}/b/${encodeURIComponent(board)}?t=${encodeURIComponent(join)}` : '';
      const screenLink = screen ? `${shareBase()}/b/${encodeURIComponent(board)}/screen?t=${encodeURIComponent(screen)}${join ? `#join=${encodeURIComponent(join)}` : ''}` : '';
      sections.push(h('section', { class: 'fac-block' }, h('h4', {}, t('fac.invite')),
        participantLink ? h('div', { class: 'row' }, btn(t('fac.copy_participant'), async () => toast(await copyText(participantLink) ? t('fac.participant_copied') : participantLink, 'ok'))) : null,
        screenLink ? h('div', { class: 'row' }, h('a', { class: 'button', href: screenLink, target: '_blank', rel: 'noopener' }, t('fac.open_projector'))) : null));
    }
    sections.push(h('section', { class: 'fac-block' }, h('h4', {}, t('fac.rotate')),
      h('p', { class: 'muted' }, t('fac.rotate_hint')),
      h('div', { class: 'row' }, btn(t(this.rotateArmed ? 'fac.rotate_sure' : 'fac.rotate'), () => this.rotate(),
        this.rotateArmed ? 'danger' : '', 'rotate-links'))));
    sections.push(h('section', { class: 'fac-block' }, h('h4', {}, t('fac.timer')),
      sess.timer ? h('p', { class: 'muted' }, t('fac.running', { label: sess.timer.label || t('fac.timer_word') })) : null,
      label,
      h('div', { class: 'row' }, minutes, h('span', { class: 'muted' }, t('fac.minutes'))),
      h('div', { class: 'row' },
        btn(t('fac.start_timer'), () => this.run('timer.start', { seconds: Math.max(1, Number(minutes.value) || 5) * 60, label: label.value.trim() }), 'primary', 'timer-start'),
        btn(t('common.stop'), () => this.run('timer.stop'), '', 'timer-stop'))));
    sections.push(h('section', { class: 'fac-block' }, h('h4', {}, t('fac.room')),
      h('div', { class: 'row' }, sess.follow === app.sync.you
        ? btn(t('fac.follow_stop'), () => this.follow(false), 'on', 'follow-toggle')
        : btn(t('fac.follow_start'), () => this.follow(true), '', 'follow-toggle')),
      h('div', { class: 'row' }, sess.private
        ? [btn(t('fac.reveal'), () => this.reveal(), 'primary', 'reveal'), btn(t('fac.private_stop'), () => this.run('private.stop'))]
        : [btn(t('fac.private'), () => this.run('private.start', {}, t('fac.private_started')), '', 'private-start'),
          btn(t('fac.private_frame'), () => {
            const frame = this.selectedFrame();
            if (!frame) toast(t('fac.select_frame'), 'info');
            else this.run('private.start', { frame: frame.id }, t('fac.private_in', { frame: frame.label }));
          })]),
      h('div', { class: 'row' },
        btn(t('fac.lock'), () => this.lock(true), '', 'lock'),
        btn(t('fac.unlock'), () => this.lock(false), '', 'unlock'))));
    const snapLabel = h('input', { type: 'text', id: 'snapshot-label', placeholder: t('fac.snapshot_placeholder'), maxlength: 200 });
    sections.push(h('section', { class: 'fac-block' }, h('h4', {}, t('fac.snapshots')),
      h('div', { class: 'row' }, snapLabel, btn(t('common.save'), () => this.saveSnapshot(snapLabel.value), 'primary', 'snapshot-save')),
      h('ul', { class: 'snapshots', id: 'snapshot-list' }, this.snapshots.length ? this.snapshots.map((snap) => this.snapshotRow(snap))
        : h('li', { class: 'muted' }, t('fac.no_snapshots')))));
    sections.push(afterAtelier(board, token));
    this.panel.replaceChildren(...sections);
  }

  /** New tokens for every role (POST /rotate) after a second click: the old links,
   * this page's too, stop working, so the page reopens on its new link and shows them. */
  async rotate() {
    if (!this.rotateArmed) {
      this.rotateArmed = true;
      this.render();
      setTimeout(() => { if (this.rotateArmed) { this.rotateArmed = false; this.render(); } }, 5000);
      return;
    }
    this.rotateArmed = false;
    let made;
    try {
      made = await api('/rotate', { method: 'POST' });
    } catch (err) {
      toast(humanError(err.code, err.message), 'error');
      this.render();
      return;
    }
    const tokens = made.tokens;
    const hash = `#join=${encodeURIComponent(tokens.participant)}&screen=${encodeURIComponent(tokens.viewer)}&rotated=1`;
    location.replace(`${location.pathname}?t=${encodeURIComponent(tokens.facilitator)}${hash}`);
  }

  /** The three links after a rotation, to copy and share. */
  newLinks() {
    const base = `${shareBase()}/b/${encodeURIComponent(board)}`;
    const links = [
      ['participant', join && `${base}?t=${encodeURIComponent(join)}`],
      ['viewer', screen && `${base}/screen?t=${encodeURIComponent(screen)}${join ? `#join=${encodeURIComponent(join)}` : ''}`],
      ['facilitator', `${base}?t=${encodeURIComponent(token)}${join ? `#join=${encodeURIComponent(join)}&screen=${encodeURIComponent(screen)}` : ''}`],
    ].filter(([, url]) => url);
    return h('section', { class: 'fac-block new-links', id: 'new-links' }, h('h4', {}, t('fac.new_links')),
      h('p', { class: 'muted' }, t('fac.rotated')),
      ...links.map(([role, url]) => h('label', { dataset: { role } }, t(`fac.link_${role}`),
        h('input', { type: 'text', readonly: true, value: url, onfocus: (e) => e.target.select() }),
        h('button', { type: 'button', onclick: async () => toast(await copyText(url) ? t('fac.link_copied') : url, 'ok') }, t('common.copy')))));
  }

  async lock(locked) {
    const ids = [...this.app.selection];
    if (!ids.length) {
      toast(t('fac.lock_first'), 'info');
      return;
    }
    const result = await this.run(locked ? 'lock' : 'unlock', { ids });
    if (result) toast(t(`fac.${locked ? 'locked' : 'unlocked'}_${result.ids.length === 1 ? 'one' : 'many'}`, { n: result.ids.length }), 'ok');
    this.app.inspector.render();
  }

  async saveSnapshot(label) {
    const text = label.trim() || t('fac.snapshot_default', { time: fmtTime(Date.now()) });
    const result = await this.run('snapshot', { label: text }, t('fac.snapshot_saved'));
    if (result) this.loadSnapshots();
  }

  async loadSnapshots() {
    try {
      this.snapshots = (await api('/snapshots')).snapshots || [];
    } catch {
      this.snapshots = [];
    }
    this.render();
  }

  snapshotRow(snap) {
    const svg = `/api/boards/${encodeURIComponent(board)}/snapshots/${encodeURIComponent(snap.snapshot)}.svg?t=${encodeURIComponent(token)}`;
    const armed = this.armed === snap.snapshot;
    return h('li', { dataset: { snapshot: snap.snapshot } },
      h('div', { class: 'snap-title' }, snap.label || t('fac.snapshot')),
      h('div', { class: 'muted' }, t('fac.snapshot_meta', { when: when(snap.created_at), n: fmtNumber(snap.elements) })),
      h('div', { class: 'row' },
        h('a', { class: 'button', href: svg, download: `${board}-${snap.snapshot}.svg` }, t('fac.svg')),
        h('button', { type: 'button', class: armed ? 'danger' : '', onclick: () => this.restore(snap) }, t(armed ? 'fac.restore_sure' : 'fac.restore'))));
  }

  async restore(snap) {
    if (this.armed !== snap.snapshot) {
      this.armed = snap.snapshot;
      this.render();
      setTimeout(() => { if (this.armed === snap.snapshot) { this.armed = null; this.render(); } }, 5000);
      return;
    }
    this.armed = null;
    try {
      await api(`/snapshots/${encodeURIComponent(snap.snapshot)}/restore`, { method: 'POST' });
      toast(t('fac.restored', { label: snap.label }), 'ok');
    } catch (err) {
      toast(humanError(err.code, err.message), 'error');
    }
    this.render();
  }

  // -- insights ---------------------------------------------------------------------

  async loadInsights() {
    const panel = this.insightsPanel;
    if (!this.insights) panel.replaceChildren(h('p', { class: 'muted' }, t('ins.loading')));
    let data;
    try {
      data = await api('/insights');
    } catch (err) {
      panel.replaceChildren(h('p', { class: 'error' }, humanError(err.code, err.message)));
      return;
    }
    this.showInsights(data);
  }

  /** Draw the insights (from GET /insights or the live `insights` event). */
  showInsights(data) {
    this.insights = data;
    const panel = this.insightsPanel;
    const els = this.app.sync.elements;
    const name = (id) => {
      const el = els.get(id);
      return el ? str(el.label || el.text || el.holder || el.title || enumLabel('kind', el.kind)) || id : id;
    };
    const chip = (id) => h('button', { type: 'button', class: 'chip', onclick: () => this.focus([id]) }, name(id));
    const ter = data.territory || {};
    const blocks = [h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => this.loadInsights() }, t('ins.refresh')))];
    blocks.push(h('section', { class: 'ins-block' }, h('h4', {}, t('ins.territory')),
      this.list(t('ins.overlapping'), (ter.overlaps || []).map(([a, b]) => h('li', {}, chip(a), ` ${t('ins.overlaps')} `, chip(b)))),
      this.list(t('ins.outside'), (ter.outside || []).map((id) => h('li', {}, chip(id)))),
      this.list(t('ins.without'), (ter.without_domain || []).map((n) => h('li', {}, n)))));
    const grades = Object.entries(data.grades || {});
    blocks.push(h('section', { class: 'ins-block' }, h('h4', {}, t('ins.grades')),
      grades.length ? grades.map(([scale, g]) => this.gradeChart(name(scale), g)) : h('p', { class: 'muted' }, t('ins.no_markers'))));
    blocks.push(h('section', { class: 'ins-block' }, h('h4', {}, t('ins.roles')),
      this.list('', (data.roles || []).map((r) => h('li', {}, h('strong', {}, enumLabel('rule', r.rule)), r.holder ? ` — ${r.holder}` : '',
        r.table ? ` ${t('ins.at', { table: r.table })}` : '', ' ', ...(r.cards || []).map(chip))), t('ins.no_roles'))));
    blocks.push(h('section', { class: 'ins-block' }, h('h4', {}, t('ins.time')),
      this.list('', (data.time || []).map((c) => h('li', {}, chip(c.milestones[0]), ` ${t('ins.and')} `, chip(c.milestones[1]), ` ${t(c.days === 1 ? 'ins.apart_one' : 'ins.apart_many', { n: c.days })}`)),
        t('ins.no_time'))));
    panel.replaceChildren(...blocks);
  }

  list(title, items, empty = t('ins.none')) {
    return h('div', {}, title ? h('h5', {}, title) : null, items.length ? h('ul', { class: 'ins-list' }, items) : h('p', { class: 'muted' }, empty));
  }

  /** The markers of one scale: a row per grade (its whole name, never broken
   * in a narrow panel), a bar for now and one for the ambition. */
  gradeChart(title, g) {
    const max = Math.max(1, ...GRADES.flatMap((k) => [(g.current || {})[k] || 0, (g.ambition || {})[k] || 0]));
    const aspect = (a) => t(a === 'current' ? 'ins.now' : 'ins.ambition');
    const bar = (a, k) => {
      const n = (g[a] || {})[k] || 0;
      return h('span', { class: `gbar ${a}`, title: `${enumLabel('grade', k)} · ${aspect(a)}: ${n}` },
        h('span', { class: 'track' }, h('i', { style: `width:${(n / max) * 100}%` })), h('b', {}, String(n)));
    };
    const spread = g.spread || {};
    return h('div', { class: 'grade-chart' }, h('h5', {}, title),
      h('p', { class: 'grade-keys' }, h('span', { class: 'key current' }, aspect('current')), h('span', { class: 'key ambition' }, aspect('ambition'))),
      h('div', { class: 'grade-grid' }, ...GRADES.flatMap((k) => [
        h('span', { class: 'grade-name' }, enumLabel('grade', k)),
        h('span', { class: 'grade-bars' }, bar('current', k), bar('ambition', k)),
      ])),
      h('p', { class: 'muted' }, t('ins.spread', { current: spread.current ?? 0, ambition: spread.ambition ?? 0 })));
  }

  focus(ids) {
    this.app.select(ids);
    const b = union(ids.map((id) => this.app.sync.elements.get(id)).filter(Boolean).map((el) => box(el)));
    if (b) {
      this.app.view.fit([b[0] - 100, b[1] - 100, b[2] + 200, b[3] + 200], 40, 1.5);
      this.app.userMovedView();
    }
  }
}
