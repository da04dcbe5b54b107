// The tool bar (left) and the options of the chosen tool (top of the board).

import { $, h } from './dom.js';
import { label as enumLabel, t } from './i18n.js';
import { ENUMS } from './kinds.js';
import { s } from './render.js';

export const ICONS = {
  select: 'M6 3l13 8.5-6 1.2-3.2 6.3z',
  hand: 'M8 12V6a1.5 1.5 0 0 1 3 0v5M11 10V4.5a1.5 1.5 0 0 1 3 0V11M14 10.5V6a1.5 1.5 0 0 1 3 0v7c0 4.5-2.7 8-6.5 8-2.7 0-4.3-1.6-5.8-4L3.2 12.8a1.5 1.5 0 0 1 2.6-1.5L8 14.5',
  note: 'M4 4h16v11l-5 5H4zM15 20v-5h5',
  text: 'M5 7V4h14v3M12 4v16M9 20h6',
  pen: 'M4 20l1-4.5L16.5 4 20 7.5 8.5 19zM14 6.5 17.5 10',
  table: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z',
  domain: 'M9 5.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11zM15 7.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11z',
  territory: 'M12 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM5 20c1-4 4-6 7-6s6 2 7 6',
  link: 'M6 18 18 6M12 6h6v6M4 18a2 2 0 1 0 4 0 2 2 0 0 0-4 0',
  role_card: 'M3 6h18v13H3zM3 10.5h18M7 14.5h7',
  grade_vote: 'M3 7h18v10H3zM7.5 12a1.5 1.5 0 1 0 0 .1M12 7v10M16.5 12a1.5 1.5 0 1 0 0 .1',
  grade_scale: 'M3 18h4V9H3zM10 18h4V6h-4zM17 18h4V3h-4z',
  lane: 'M3 7h18M3 17h18M8 5v4M15 15v4',
  milestone: 'M12 3.5l6.5 8.5-6.5 8.5L5.5 12z',
  ritual: 'M12 3l2.4 5.4 5.9.6-4.4 4 1.2 5.8L12 16l-5.1 2.8 1.2-5.8-4.4-4 5.9-.6z',
  frame: 'M4 4h16v16H4zM4 9h16',
};

export const TOOLS = [
  { id: 'select', key: 'v', group: 'general' },
  { id: 'hand', key: 'h', group: 'general' },
  { id: 'note', key: 'n', group: 'task', hint: true },
  { id: 'text', key: 't', group: 'task', hint: true },
  { id: 'table', key: 'c', group: 'territory', hint: true },
  { id: 'domain', key: 'd', group: 'territory', hint: true },
  { id: 'territory', key: 'e', group: 'territory', hint: true },
  { id: 'link', key: 'l', group: 'territory', hint: true },
  { id: 'role_card', key: 'r', group: 'role', hint: true },
  { id: 'grade_vote', key: 'g', group: 'grades', hint: true },
  { id: 'grade_scale', group: 'grades', hint: true },
  { id: 'lane', key: 'a', group: 'time', hint: true },
  { id: 'milestone', key: 'm', group: 'time', hint: true },
  { id: 'ritual', key: 'i', group: 'time', hint: true },
  { id: 'pen', key: 'p', group: 'draw', hint: true },
  { id: 'frame', key: 'f', group: 'draw', hint: true },
];

const TOPICS = ['auto', ...ENUMS.topic];
export const ROLES = ENUMS.role;
const PEN_COLORS = ['', '#111827', '#dc2626', '#2563eb', '#16a34a', '#d97706'];

export function icon(name) {
  return s('svg', { viewBox: '0 0 24 24', width: 22, height: 22, 'aria-hidden': 'true', class: 'icon' },
    s('path', { d: ICONS[name] || '', fill: 'none', stroke: 'currentColor', 'stroke-width': 1.8,
      'stroke-linecap': 'round', 'stroke-linejoin': 'round' }));
}

function segmented(values, current, onPick, label) {
  return h('div', { class: 'seg', role: 'radiogroup' }, values.map((v) => h('button', {
    type: 'button', class: v === current ? 'on' : '', role: 'radio', 'aria-checked': String(v === current),
    dataset: { value: v }, onclick: () => onPick(v) }, label(v))));
}

function select(values, current, onPick, label) {
  const node = h('select', { onchange: (e) => onPick(e.target.value) },
    values.map((v) => h('option', { value: v, selected: v === current }, label(v))));
  node.value = current;
  return node;
}

export class Toolbar {
  constructor(app) {
    this.app = app;
    this.bar = $('#toolbar');
    this.options = $('#tool-options');
    this.render();
  }

  render() {
    const app = this.app;
    const groups = [];
    let last = null;
    for (const tool of TOOLS) {
      if (tool.group !== last) {
        groups.push(h('div', { class: 'tool-sep', role: 'separator' }));
        last = tool.group;
      }
      const name = t(`tool.${tool.id}`);
      const title = tool.key ? `${name} (${tool.key.toUpperCase()})` : name;
      groups.push(h('button', { type: 'button', class: `tool${app.tool === tool.id ? ' on' : ''}`, title, 'aria-label': name,
        'aria-pressed': String(app.tool === tool.id), dataset: { tool: tool.id }, onclick: () => app.setTool(tool.id) }, icon(tool.id)));
    }
    groups.shift();
    const readOnly = app.role === 'viewer';
    this.bar.replaceChildren(...(readOnly ? [] : groups));
    this.renderOptions();
  }

  renderOptions() {
    const app = this.app;
    const o = app.opts;
    const tool = TOOLS.find((t) => t.id === app.tool);
    const set = (key) => (value) => {
      o[key] = value;
      this.renderOptions();
    };
    const parts = [];
    if (app.tool === 'note') parts.push(h('label', {}, t('toolbar.topic')), select(TOPICS, o.topic, set('topic'), (v) => enumLabel('topic', v)));
    if (app.tool === 'territory') parts.push(segmented(ENUMS.node, o.node, set('node'), (v) => enumLabel('node', v)));
    if (app.tool === 'link') parts.push(segmented(ENUMS.rel, o.rel, set('rel'), (v) => enumLabel('rel', v)));
    if (app.tool === 'role_card') parts.push(h('label', {}, t('toolbar.role')), select(ROLES, o.role, set('role'), (v) => enumLabel('role', v)));
    if (app.tool === 'grade_vote') parts.push(segmented(ENUMS.aspect, o.aspect, set('aspect'), (v) => t(v === 'current' ? 'toolbar.now' : 'toolbar.ambition')));
    if (app.tool === 'milestone') parts.push(segmented(ENUMS.milestone, o.milestone, set('milestone'), (v) => enumLabel('milestone', v)));
    if (app.tool === 'pen') {
      parts.push(h('div', { class: 'swatches' }, PEN_COLORS.map((c) => h('button', {
        type: 'button', class: `swatch${o.penColor === c ? ' on' : ''}`, title: c ? c : t('toolbar.my_colour'),
        style: `background:${c || app.me.color}`, onclick: () => set('penColor')(c) }))));
      parts.push(segmented(['2', '4', '8'], String(o.penWidth), (v) => set('penWidth')(Number(v)), (v) => t({ 2: 'pen.fine', 4: 'pen.medium', 8: 'pen.bold' }[v])));
    }
    if (tool && tool.hint) parts.push(h('span', { class: 'hint' }, t(`tool.${tool.id}.hint`)));
    this.options.replaceChildren(...parts);
    this.options.hidden = !parts.length;
  }
}
