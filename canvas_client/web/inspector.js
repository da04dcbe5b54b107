// The "Selection" panel: the fields of the selected element (role picker,
// holder, table, topic, dates...), z-order, delete, reactions.

import { readable } from './contrast.js';
import { $, h } from './dom.js';
import { human, str } from './geometry.js';
import { ENUMS, KINDS } from './kinds.js';

/** The choices of an enum field of a kind ('' first when the field may be left out). */
function choices(kind, field) {
  const spec = KINDS[kind].fields.find((f) => f.name === field);
  return spec.required ? spec.values : ['', ...spec.values];
}

function required(kind, field) {
  const spec = KINDS[kind] && KINDS[kind].fields.find((f) => f.name === field);
  return Boolean(spec && spec.required);
}
// [field, label, type]; type: text | area | enum | date | number
const FIELDS = {
  note: [['text', 'Text', 'area'], ['topic', 'Topic', 'enum']],
  text: [['text', 'Text', 'area'], ['size', 'Size', 'number']],
  table: [['label', 'Name of the table', 'text'], ['r', 'Radius', 'number']],
  domain: [['label', 'Knowledge domain', 'text'], ['owner', 'Owner', 'text'], ['home', 'Home base', 'text'], ['r', 'Radius', 'number']],
  territory: [['label', 'Name', 'text'], ['node', 'Kind', 'enum'], ['owner', 'Whose territory', 'text']],
  link: [['rel', 'Relation', 'enum'], ['label', 'Label', 'text']],
  grade_scale: [['label', 'Label', 'text'], ['question', 'Question', 'text']],
  grade_vote: [['grade', 'Grade', 'enum'], ['aspect', 'Aspect', 'enum'], ['note', 'Why', 'text']],
  role_card: [['role', 'Role', 'enum'], ['title', 'Title', 'text'], ['holder', 'Holder', 'text'], ['table', 'At table', 'text'], ['acquired', 'How the role came', 'enum']],
  lane: [['label', 'Trajectory', 'text'], ['start', 'Start', 'date'], ['end', 'End', 'date']],
  milestone: [['label', 'Label', 'text'], ['date', 'Date', 'date'], ['milestone', 'Kind', 'enum']],
  ritual: [['moment', 'Moment', 'text'], ['focus', 'Pause at', 'text'], ['symbol', 'Symbol', 'text'], ['when', 'When', 'text']],
  stroke: [['color', 'Colour', 'text'], ['width', 'Width', 'number']],
  frame: [['label', 'Label', 'text'], ['exercise', 'Exercise', 'enum']],
  vote: [['value', 'Vote', 'enum']],
};
const INPUT = { text: 'text', id: 'text', size: 'number', date: 'date', enum: 'enum' };

/** [field, label, type] of a kind: its own list above, else the registry's fields. */
function fieldsOf(kind) {
  if (FIELDS[kind]) return FIELDS[kind];
  const spec = KINDS[kind];
  return spec ? spec.fields.filter((f) => INPUT[f.type]).map((f) => [f.name, human(f.name), INPUT[f.type]]) : [];
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
      return this.root.replaceChildren(h('h3', {}, `${ids.length} elements selected`), this.actions(ids));
    }
    const el = app.sync.elements.get(ids[0]);
    if (!el) return this.root.replaceChildren(...this.help());
    const editable = app.mayEdit(el);
    const who = app.author(el);
    const head = h('div', { class: 'insp-head' },
      h('h3', {}, KINDS[el.kind] ? KINDS[el.kind].title : human(el.kind)),
      who ? h('span', { class: 'by', style: `--c:${readable(who.color)}` }, `by ${who.name}`) : h('span', { class: 'by' }, el.author === 'system' ? 'from the template' : ''));
    const notes = [];
    if (el.locked === true) notes.push(h('p', { class: 'note-locked' }, 'Locked by the facilitator'));
    if (el.private === true) notes.push(h('p', { class: 'note-private' }, 'Private until the facilitator reveals it'));
    const fields = fieldsOf(el.kind).map(([field, label, type]) => this.field(el, field, label, type, editable));
    this.root.replaceChildren(head, ...notes, h('div', { class: 'fields' }, fields), this.actions(ids, el));
  }

  field(el, field, label, type, editable) {
    const id = `f-${field}`;
    const value = el[field];
    let input;
    if (type === 'enum') {
      input = h('select', { id, disabled: !editable }, choices(el.kind, field).map((v) => h('option', { value: v }, v ? human(v) : '—')));
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
    return h('div', { class: 'field' }, h('label', { for: id }, label), input);
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
      h('div', { class: 'row' }, btn('To front', () => app.reorder('front')), btn('Forward', () => app.reorder('forward')),
        btn('Backward', () => app.reorder('backward')), btn('To back', () => app.reorder('back'))),
      h('div', { class: 'row' }, btn('Delete', () => app.deleteSelection(), 'danger')),
    ];
    if (el && ['note', 'role_card', 'domain', 'territory'].includes(el.kind)) {
      rows.unshift(h('div', { class: 'row react' }, h('span', {}, 'React:'),
        ...ENUMS.value.map((v) => btn(human(v), () => this.react(el, v)))));
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
      h('h3', {}, 'How this board works'),
      h('ul', { class: 'help' },
        h('li', {}, 'Pick a tool on the left; click or drag on the board.'),
        h('li', {}, 'Double-click an element to edit its text.'),
        h('li', {}, h('kbd', {}, 'Delete'), ' removes, ', h('kbd', {}, 'Ctrl Z'), ' undoes your own changes, ', h('kbd', {}, 'Esc'), ' deselects.'),
        h('li', {}, 'Scroll to pan, ', h('kbd', {}, 'Ctrl'), ' + scroll to zoom, pinch on a tablet.')),
      h('h4', {}, 'Lines in the territory map'),
      h('ul', { class: 'legend' }, ENUMS.rel.map((rel) => h('li', { class: `rel-${rel}` }, human(rel)))),
    ];
  }
}
