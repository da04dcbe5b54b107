// The Atelier report (/b/{id}/report?t=TOKEN[&lang=nl|en]): a printable
// document built from GET /api/boards/{id}/report. One section per snapshot
// (picture, insights, what changed since the one before), then the
// agreements and the notes of each topic side by side. <body data-state>
// becomes "ready" once every picture has loaded (printing waits for it).

import { $, h, pageParams } from './dom.js';
import { CATALOGS, lang, preferredLang, setLang, t } from './i18n.js';

const { board, token } = pageParams();
const query = new URLSearchParams(location.search);
setLang(query.get('lang') || preferredLang() || 'nl');

const GRADES = ['fragmented', 'aligned', 'coordinated', 'integrated'];
const ASPECTS = [['current', 'now'], ['ambition', 'ambition']];
const MOVES = new Set(['x', 'y', 'z', 'parent']);

/** t(key), or `fallback` when no catalog has the key (free values from the board). */
function tOr(key, fallback) {
  return key in CATALOGS[lang()] || key in CATALOGS.en ? t(key) : fallback;
}

function when(ms, style = { dateStyle: 'long', timeStyle: 'short' }) {
  return new Date(ms).toLocaleString(lang(), style);
}

function day(iso) {
  return new Date(`${iso}T12:00:00Z`).toLocaleDateString(lang(), { dateStyle: 'long' });
}

class Report {
  constructor(data) {
    this.data = data;
    this.people = new Map(data.participants.map((p) => [p.id, p]));
  }

  who(id) {
    if (id === 'system') return t('report.template');
    const p = this.people.get(id);
    return (p && p.name) || t('report.someone');
  }

  kind(kind) {
    return tOr(`kind.${kind}`, kind);
  }

  render() {
    const d = this.data;
    const svgUrl = (sid) => `/api/boards/${encodeURIComponent(d.board)}/snapshots/${encodeURIComponent(sid)}.svg?t=${encodeURIComponent(token)}`;
    const parts = [
      h('div', { class: 'tools' }, h('button', { type: 'button', id: 'print', onclick: () => window.print() }, t('report.print'))),
      h('header', { class: 'cover' },
        h('p', { class: 'kicker' }, t('report.kicker')),
        h('h1', { id: 'report-title' }, d.title),
        h('p', { class: 'muted' }, d.dates.map(day).join(' · ')),
        h('h3', {}, t('report.participants')),
        d.participants.length
          ? h('ul', { class: 'people' }, d.participants.map((p) => h('li', {},
            h('span', { class: 'swatch', style: `background:${/^#[0-9a-f]{3,8}$/i.test(p.color) ? p.color : '#999'}` }),
            p.name || t('report.someone'), p.role === 'facilitator' ? h('span', { class: 'muted' }, ` (${t('report.facilitator')})`) : null)))
          : h('p', { class: 'muted' }, t('report.nobody')),
        h('h3', {}, t('report.contents')),
        d.snapshots.length
          ? h('ol', {}, d.snapshots.map((s) => h('li', {}, s.label, h('span', { class: 'muted' }, ` — ${when(s.created_at)}`))))
          : h('p', { class: 'muted' }, t('report.no_snapshots'))),
    ];
    d.snapshots.forEach((snap, index) => parts.push(this.snapshot(snap, index, svgUrl(snap.snapshot))));
    parts.push(this.agreements());
    if (d.topics.length) parts.push(this.topics());
    $('#report').replaceChildren(...parts);
    document.title = `${d.title} — ${t('report.kicker')}`;
  }

  snapshot(snap, index, src) {
    const labels = snap.labels || {};
    const name = (id) => labels[id] || id;
    const ins = snap.insights;
    const terr = ins.territory;
    return h('section', { class: 'snapshot', dataset: { snapshot: snap.snapshot } },
      h('div', { class: 'snapshot-head' },
        h('h2', {}, `${index + 1}. ${snap.label}`),
        h('span', { class: 'muted' }, when(snap.created_at))),
      h('figure', {}, h('img', { src, alt: t('report.picture_of', { label: snap.label }) })),
      h('div', { class: 'block' }, h('h3', {}, t('report.insights')),
        h('div', { class: 'cols' },
          this.list(t('report.overlaps'), terr.overlaps.map(([a, b]) => t('report.overlap', { a: name(a), b: name(b) }))),
          this.list(t('report.missing'), ins.missing.map(name)),
          this.list(t('report.outside'), terr.outside.map(name)),
          this.list(t('report.without_domain'), terr.without_domain))),
      this.grades(ins.grades, name),
      this.list(t('report.roles'), ins.roles.map((r) => [tOr(`rule.${r.rule}`, r.rule),
        r.holder ? ` — ${r.holder}` : '', r.table ? ` (${r.table})` : ''].join('')), 'warn'),
      snap.changes ? this.changes(snap.changes, name) : null);
  }

  list(title, items, cls = '') {
    return h('div', { class: 'block' }, h('h4', {}, title),
      items.length ? h('ul', { class: cls }, items.map((item) => h('li', {}, item))) : h('p', { class: 'muted' }, t('report.none')));
  }

  grades(grades, name) {
    const scales = Object.entries(grades);
    if (!scales.length) return null;
    return h('div', { class: 'block' }, h('h4', {}, t('report.grades')),
      scales.map(([sid, g]) => h('table', { class: 'grades' },
        h('caption', {}, name(sid)),
        h('tr', {}, h('th', {}, ''), GRADES.map((k) => h('th', {}, tOr(`grade.${k}`, k))), h('th', {}, t('report.spread'))),
        ASPECTS.map(([aspect, word]) => h('tr', {}, h('th', {}, t(`report.${word}`)),
          GRADES.map((k) => h('td', { class: 'n' }, String((g[aspect] || {})[k] || 0))),
          h('td', { class: 'n' }, String((g.spread || {})[aspect] || 0)))))));
  }

  changes(c, name) {
    const shown = (items) => items.filter((it) => it.kind !== 'grade_vote');
    const line = (it) => h('span', {}, h('span', { class: 'kind' }, this.kind(it.kind)),
      it.text ? `“${it.text}”` : '', h('span', { class: 'muted' }, ` — ${this.who(it.author)}`));
    const changed = shown(c.changed).map((it) => {
      const names = Object.keys(it.fields);
      const label = it.fields.text || it.fields.label;
      const what = names.every((f) => MOVES.has(f)) ? t('report.moved')
        : label ? `“${label[0] ?? ''}” → “${label[1] ?? ''}”`
          : names.filter((f) => !MOVES.has(f)).map((f) => tOr(`field.${f}`, f)).join(', ');
      const head = label ? '' : `${it.text || name(it.id)}: `; // a new text says itself what changed
      return h('span', {}, h('span', { class: 'kind' }, this.kind(it.kind)), `${head}${what}`,
        h('span', { class: 'muted' }, ` — ${this.who(it.author)}`));
    });
    const grade = (g) => (g ? tOr(`grade.${g}`, g) : '—');
    return h('div', { class: 'changes' }, h('h3', {}, t('report.changes')),
      this.list(t('report.added'), shown(c.added).map(line)),
      this.list(t('report.removed'), shown(c.removed).map(line)),
      this.list(t('report.changed'), changed),
      this.list(t('report.grade_moves'), c.grades.map((g) => h('span', { class: 'move' },
        `${this.who(g.voter)} (${t(`report.${g.kind}`)}): ${grade(g.from)} → ${grade(g.to)}`))));
  }

  agreements() {
    const items = this.data.agreements;
    const groups = new Map();
    for (const a of items) {
      if (!groups.has(a.topic)) groups.set(a.topic, []);
      groups.get(a.topic).push(a);
    }
    return h('section', { class: 'agreements', id: 'agreements' },
      h('h2', {}, t('report.agreements')),
      h('p', { class: 'muted' }, t('report.agreements_hint')),
      items.length ? [...groups].map(([topic, notes]) => h('div', { class: 'block' },
        h('h3', {}, tOr(`topic.${topic || 'none'}`, topic)),
        notes.map((a) => h('p', { class: 'agreement' }, a.text))))
        : h('p', { class: 'muted' }, t('report.no_agreements')));
  }

  topics() {
    return h('section', { class: 'topics' }, h('h2', {}, t('report.topics')),
      h('p', { class: 'muted' }, t('report.topics_hint')),
      this.data.topics.map((topic) => h('div', {},
        h('h3', {}, tOr(`topic.${topic.topic}`, topic.topic)),
        h('table', {},
          h('tr', {}, topic.rounds.map((r) => h('th', {}, r.label))),
          h('tr', {}, topic.rounds.map((r) => h('td', {}, r.notes.length
            ? r.notes.map((n) => h('div', { class: 'note' }, n.text, h('small', {}, this.who(n.author))))
            : h('span', { class: 'muted' }, '—'))))))));
  }
}

async function main() {
  const main = $('#report');
  try {
    const r = await fetch(`/api/boards/${encodeURIComponent(board)}/report`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.message || r.statusText);
    new Report(data).render();
  } catch (err) {
    main.replaceChildren(h('h1', {}, t('report.kicker')), h('p', { class: 'error', id: 'report-error' }, t('report.error'), ' ', String(err.message || err)));
    document.body.dataset.state = 'error';
    return;
  }
  await Promise.all([...document.images].map((img) => (img.complete ? null
    : new Promise((resolve) => { img.addEventListener('load', resolve); img.addEventListener('error', resolve); }))));
  document.body.dataset.state = 'ready';
}

main();
