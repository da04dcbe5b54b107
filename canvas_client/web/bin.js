// The facilitator's "Recently deleted" bin (a tab beside Facilitate): the
// deleted elements that can still come back, newest first, with who deleted
// them and when (GET /api/boards/{id}/deleted), restored one or many at once
// (POST .../deleted/restore) with their own id and author.

import { h, humanError, toast } from './dom.js';
import { fmtTime, label as enumLabel, t } from './i18n.js';

const REFRESH_MS = 400;

export class Bin {
  /** `api(path, {method, body})`: the facilitator's authorised fetch. */
  constructor(app, api) {
    this.app = app;
    this.api = api;
    this.items = [];
    this.chosen = new Set();
    this.loaded = false;
    this.timer = null;
    this.panel = h('section', { id: 'bin', class: 'panel', hidden: true });
    document.getElementById('side').append(this.panel);
    document.getElementById('tabs').append(h('button', {
      type: 'button', role: 'tab', 'aria-controls': 'bin', 'aria-selected': 'false', dataset: { tab: 'bin' },
    }, t('tabs.bin')));
    app.sync.on('change', ({ ids }) => this.changed(ids));
  }

  get shown() { return !this.panel.hidden; }

  relabel() {
    const tab = document.querySelector('#tabs [data-tab=bin]');
    if (tab) tab.textContent = t('tabs.bin');
    this.render();
  }

  /** Something was deleted (or came back): load the list again, soon. */
  changed(ids) {
    const els = this.app.sync.elements;
    const gone = ids === null || [...ids].some((id) => !els.has(id) || this.items.some((it) => it.id === id));
    if (!gone) return;
    this.loaded = false;
    if (!this.shown) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), REFRESH_MS);
  }

  async load() {
    try {
      const data = await this.api('/deleted');
      this.items = (data.deleted || []).slice().sort((a, b) => b.deleted_at - a.deleted_at);
      this.loaded = true;
    } catch (err) {
      this.panel.replaceChildren(h('p', { class: 'error' }, humanError(err.code, err.message)));
      return;
    }
    const ids = new Set(this.items.map((it) => it.id));
    for (const id of [...this.chosen]) if (!ids.has(id)) this.chosen.delete(id);
    this.render();
  }

  open() {
    if (!this.loaded) this.load();
    else this.render();
  }

  who(id) {
    if (id === 'system') return t('bin.system');
    if (id === this.app.sync.you) return t('bin.you');
    const p = this.app.sync.participants.get(id);
    return (p && p.name) || t('person.someone');
  }

  render() {
    if (!this.shown) return;
    const head = h('div', { class: 'row' },
      h('button', { type: 'button', class: 'primary', id: 'bin-restore', disabled: !this.chosen.size, onclick: () => this.restore([...this.chosen]) },
        t('bin.restore_chosen', { n: this.chosen.size })),
      h('button', { type: 'button', onclick: () => this.load() }, t('ins.refresh')));
    const rows = this.items.map((it) => this.row(it));
    this.panel.replaceChildren(h('h4', {}, t('bin.title')), h('p', { class: 'muted' }, t('bin.hint')), head,
      rows.length ? h('ul', { class: 'bin-list', id: 'bin-list' }, rows) : h('p', { class: 'muted', id: 'bin-empty' }, t('bin.empty')));
  }

  row(it) {
    const box = h('input', { type: 'checkbox', 'aria-label': t('bin.choose'), checked: this.chosen.has(it.id),
      onchange: () => { if (box.checked) this.chosen.add(it.id); else this.chosen.delete(it.id); this.render(); } });
    return h('li', { class: 'bin-item', dataset: { deleted: it.id, kind: it.kind } },
      h('label', { class: 'bin-pick' }, box,
        h('span', { class: 'bin-kind' }, enumLabel('kind', it.kind)),
        it.text ? h('span', { class: 'bin-text' }, it.text) : null),
      h('div', { class: 'muted bin-meta' }, t('bin.meta', { who: this.who(it.deleted_by), when: fmtTime(it.deleted_at, {
        day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) })),
      h('button', { type: 'button', class: 'bin-restore-one', onclick: () => this.restore([it.id]) }, t('bin.restore')));
  }

  async restore(ids) {
    if (!ids.length) return;
    try {
      const result = await this.api('/deleted/restore', { method: 'POST', body: { ids } });
      const n = (result.restored || ids).length;
      toast(t(n === 1 ? 'bin.restored_one' : 'bin.restored_many', { n }), 'ok');
      for (const id of ids) this.chosen.delete(id);
    } catch (err) {
      toast(humanError(err.code, err.message), 'error');
    }
    this.load();
  }
}
