// The "Selection" panel: the fields of the selected element (role picker,
// holder, table, topic, dates...), z-order, delete, reactions.

import { readable } from './contrast.js';
import { $, h } from './dom.js';
import { str } from './geometry.js';
import { label as enumLabel, t } from './i18n.js';
import { KINDS } from './kinds.js';

/** The choices of an enum field of a kind ('' first when the field may be left out). */
function choices(kind, field) {
  const spec = KINDS[kind].fields.find((f) => f.name === field);
  return spec.required ? spec.values : ['', ...spec.values];
}

function required(kind, field) {
  const spec = KINDS[kind] && KINDS[kind].fields.find((f) => f.name === field);
  return Boolean(spec && spec.required);
}
// [field, label key (field.*), type]; type: text | area | enum | date | number
const FIELDS = {
  note: [['text', 'text', 'area'], ['topic', 'topic', 'enum']],
  text: [['text', 'text', 'area'], ['size', 'size', 'number']],
  table: [['label', 'table_name', 'text'], ['r', 'radius', 'number']],
  domain: [['label', 'domain', 'text'], ['owner', 'owner', 'text'], ['home', 'home', 'text'], ['r', 'radius', 'number']],
  territory: [['label', 'name', 'text'], ['node', 'kind', 'enum'], ['owner', 'whose', 'text']],
  link: [['rel', 'rel', 'enum'], ['label', 'label', 'text']],
  grade_scale: [['label', 'label', 'text'], ['question', 'question', 'text']],
  grade_vote: [['grade', 'grade', 'enum'], ['aspect', 'aspect', 'enum'], ['note', 'note', 'text']],
  role_card: [['role', 'role', 'enum'], ['title', 'title', 'text'], ['holder', 'holder', 'text'], ['table', 'at_table', 'text'], ['acquired', 'acquired', 'enum']],
  lane: [['label', 'trajectory', 'text'], ['start', 'start', 'date'], ['end', 'end', 'date']],
  milestone: [['label', 'label', 'text'], ['date', 'date', 'date'], ['milestone', 'kind', 'enum']],
  ritual: [['moment', 'moment', 'text'], ['focus', 'focus', 'text'], ['symbol', 'symbol', 'text'], ['when', 'when', 'text']],
  stroke: [['color', 'color', 'text'], ['width', 'width', 'number']],
  frame: [['label', 'label', 'text'], ['exercise', 'exercise', 'enum']],
  vote: [['value', 'vote', 'enum']],
};
const INPUT = { text: 'text', id: 'text', size: 'number', date: 'date', enum: 'enum' };

/** [field, label key, type] of a kind: its own list above, else the registry's fields. */
function fieldsOf(kind) {
  if (FIELDS[kind]) return FIELDS[kind];
  const spec = KINDS[kind];
  return spec ? spec.fields.filter((f) => INPUT[f.type]).map((f) => [f.name, f.name, INPUT[f.type]]) : [];
}

export class Inspector {
  constructor(app) {
    this.app = app;
    this.root = $('#inspector');
    this.render();
  }

  render() {
    const app = this.app;
    if (this.root.contains(document.activeElement) && document.activeElement.matches('input, textarea')) return; // don't clobber typing
    const ids = [...app.selection];
    if (!ids.length) return this.root.replaceChildren(...this.help());
    if (ids.length > 1) {
      return this.root.replaceChildren(h('h3', {}, t('insp.n_selected', { n: ids.length })), this.actions(ids));
    }
    const el = app.sync.elements.get(ids[0]);
    if (!el) return this.root.replaceChildren(...this.help());
    const editable = app.mayEdit(el);
    const who = app.author(el);
    const head = h('div', { class: 'insp-head' },
      h('h3', {}, enumLabel('kind', el.kind) || el.kind),
      who ? h('span', { class: 'by', style: `--c:${readable(who.color)}` }, t('insp.by', { name: who.name })) : h('span', { class: 'by' }, el.author === 'system' ? t('insp.from_template') : ''));
    const notes = [];
    if (el.locked === true) notes.push(h('p', { class: 'note-locked' }, t('insp.locked')));
    if (el.private === true) notes.push(h('p', { class: 'note-private' }, t('insp.private')));
    const fields = fieldsOf(el.kind).map(([field, label, type]) => this.field(el, field, label, type, editable));
    this.root.replaceChildren(head, ...notes, h('div', { class: 'fields' }, fields), this.actions(ids, el));
  }

  field(el, field, label, type, editable) {
    const id = `f-${field}`;
    const value = el[field];
    let input;
    if (type === 'enum') {
      input = h('select', { id, disabled: !editable }, choices(el.kind, field).map((v) => h('option', { value: v }, v ? enumLabel(field, v) : '—')));
      input.value = str(value);
    } else if (type === 'area') {
      input = h('textarea', { id, rows: 4, maxlength: 2000, disabled: !editable });
      input.value = str(value);
    } else {
      input = h('input', { id, type: type === 'number' ? 'number' : type === 'date' ? 'date' : 'text', maxlength: 2000, disabled: !editable,
        step: type === 'number' ? 'any' : null, min: type === 'number' ? 0 : null });
      input.value = value === undefined ? '' : String(value);
    }
    input.dataset.field = field;
    input.addEventListener('change', () => this.save(el.id, field, type, input.value));
    if (type !== 'area') input.addEventListener('keydown', (e) => { if (e.key === 'Enter') input.blur(); });
    return h('div', { class: 'field' }, h('label', { for: id }, t(`field.${label}`)), input);
  }

  save(id, field, type, raw) {
    const el = this.app.sync.elements.get(id);
    if (!el) return;
    let value = raw;
    if (type === 'number') {
      value = Number(raw);
      if (!Number.isFinite(value) || value < 0) return this.render();
    }
    if (value === el[field]) return;
    const op = (value === '' && !required(el.kind, field)) ? { op: 'patch', id, set: {}, unset: [field] } : { op: 'patch', id, set: { [field]: value } };
    if (op.unset && !(field in el)) return;
    this.app.commit([op]);
  }

  actions(ids, el = null) {
    const app = this.app;
    const btn = (label, fn, cls = '') => h('button', { type: 'button', class: cls, onclick: fn }, label);
    const rows = [
      h('div', { class: 'row' }, btn(t('insp.front'), () => app.reorder('front')), btn(t('insp.forward'), () => app.reorder('forward')),
        btn(t('insp.backward'), () => app.reorder('backward')), btn(t('insp.back'), () => app.reorder('back'))),
      h('div', { class: 'row' }, btn(t('insp.delete'), () => app.deleteSelection(), 'danger')),
    ];
    if (el && ['note', 'role_card', 'domain', 'territory'].includes(el.kind)) {
      rows.unshift(h('div', { class: 'row react' }, h('span', {}, t('insp.react')),
        ...KINDS.vote.fields.find((f) => f.name === 'value').values.map((v) => btn(enumLabel('value', v), () => this.react(el, v)))));
    }
    return h('div', { class: 'actions' }, rows);
  }

  react(target, value) {
    const app = this.app;
    const mine = [...app.sync.elements.values()].find((el) => el.kind === 'vote' && el.target === target.id && el.author === app.sync.you);
    if (mine) {
      if (mine.value === value) app.commit([{ op: 'del', id: mine.id }]);
      else app.commit([{ op: 'patch', id: mine.id, set: { value } }]);
      return;
    }
    app.create('vote', { target: target.id, value, x: target.x, y: target.y }, { select: false });
  }

  help() {
    return [
      h('h3', {}, t('help.title')),
      h('ul', { class: 'help' },
        h('li', {}, t('help.tool')),
        h('li', {}, t('help.edit')),
        h('li', {}, h('kbd', {}, 'Delete'), t('help.removes'), h('kbd', {}, 'Ctrl Z'), t('help.undoes'), h('kbd', {}, 'Esc'), t('help.deselects')),
        h('li', {}, t('help.pan'), h('kbd', {}, 'Ctrl'), t('help.zoom')),
        h('li', {}, t('help.keys'))),
      h('h4', {}, t('help.lines')),
      h('ul', { class: 'legend' }, KINDS.link.fields.find((f) => f.name === 'rel').values.map((rel) => h('li', { class: `rel-${rel}` }, enumLabel('rel', rel)))),
    ];
  }
}
