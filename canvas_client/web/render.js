// Board element -> SVG. Every element becomes <g data-id data-kind> (the DOM
// contract, docs/protocol.md). Shapes follow server/report/render_shapes.py so the
// live board looks like the SVG export; user text only ever goes through
// textContent, user colours through geometry.color().

import { readable } from './contrast.js';
import {
  BOLD_W, CHAR_W, GRADES, LINE_H, NOT_ON_LANE, SIZES, LANE_AXIS_Y, LANE_H, TEXT_SIZE, box, color, day, daysBetween, fit,
  fitText, labelLayout, laneWidth, linkLine, num, pick, points, scaleColumns, str, territoryBox, textLines,
} from './geometry.js';
import { MAIN_FIELD } from './kinds.js';
import { fmtDay, fmtMonth, fmtShortDay, label, t } from './i18n.js';

export const NS = 'http://www.w3.org/2000/svg';

export const REL = { // colour, dash, width
  member_of: ['#6b7280', '', 2],
  reports_to: ['#2563eb', '8 5', 2],
  decides: ['#b91c1c', '', 3],
  escalates_to: ['#d97706', '10 4 2 4', 2.5],
  involves: ['#6b7280', '2 4', 2],
};
const EXERCISE = { task: '#dbeafe', time: '#dcfce7', territory: '#ffedd5', role: '#ede9fe' };
export const NOTE_FILL = { why_here: '#fef08a', collective_task: '#bbf7d0', value: '#bfdbfe',
  do: '#d9f99d', dont: '#fecaca', decision_rule: '#e9d5ff', conflict_rule: '#fed7aa',
  other: '#fef9c3' };
const NODE = { person: ['#eff6ff', '#1d4ed8'], team: ['#f0fdf4', '#15803d'],
  manager: ['#fff7ed', '#c2410c'], table: ['#fdf2f8', '#be185d'] };
export const PROCESS = new Set(['chair', 'process_facilitator', 'process_manager', 'external_facilitator']);
export const CONTENT = new Set(['content_representative', 'expert']);
const GRADE_FILL = ['#fee2e2', '#fef3c7', '#dcfce7', '#cffafe'];
const MILESTONE_FILL = { deadline: '#dc2626', decision: '#7c3aed', delivery: '#2563eb', ritual: '#d97706' };
const VOTE = { agree: ['#16a34a', 'M-4,0 L-1,3.5 L4.5,-3.5'],
  disagree: ['#dc2626', 'M-3.5,-3.5 L3.5,3.5 M3.5,-3.5 L-3.5,3.5'], plus: ['#2563eb', 'M-4,0 H4 M0,-4 V4'] };

/** An SVG element with attributes and children (strings become text). */
export function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

function text(x, y, content, { size = 14, bold = false, anchor = null, fill = '#1f2937', cls = null, italic = false } = {}) {
  const room = content && typeof content === 'object' ? content : null; // fitted(): kept to fit again when enlarged
  return s('text', { x, y, 'font-size': size, 'font-weight': bold ? 'bold' : null,
    'text-anchor': anchor, fill, class: cls, 'font-style': italic ? 'italic' : null,
    'data-full': room?.full, 'data-fit-w': room?.width, 'data-fit-bold': room?.bold ? '1' : null }, room ? room.text : content);
}

/** fit() that remembers the whole text and its room, so the projector's present
 * mode can fit it again at its larger size (screen_present.js) instead of
 * letting it run over its neighbour. */
function fitted(full, width, size, bold = false, bigWidth = width) {
  return { text: fit(full, width, size, bold), full: str(full), width: bigWidth, bold };
}

function lines(x, y, rows, size, attrs = {}) {
  return s('text', { 'font-size': size, fill: '#1f2937', ...attrs },
    rows.map((row, i) => s('tspan', { x, y: y + i * size * 1.3 }, row)));
}

/** The arrow markers links use; put once into the SVG's <defs>. */
export function markers() {
  return Object.entries(REL).map(([rel, [tint]]) => s('marker', {
    id: `tt-arrow-${rel}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6,
    markerHeight: 6, orient: 'auto-start-reverse', markerUnits: 'strokeWidth',
  }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: tint })));
}

// -- kinds --------------------------------------------------------------------

function frame(el) {
  const [x, y, w, h] = box(el);
  const band = Math.min(56, Math.max(20, h * 0.3));
  const r = Math.min(14, w / 4, band / 2);
  const size = band * 0.45;
  const fill = EXERCISE[el.exercise] || '#e5e7eb';
  const tag = el.exercise ? label('exercise', str(el.exercise)).toUpperCase() : '';
  const tagW = tag.length * size * 0.6 * BOLD_W + (tag ? 24 : 0);
  return [
    s('rect', { x, y, width: w, height: h, rx: r, fill: '#f8fafc', stroke: '#94a3b8', 'stroke-width': 2, class: 'frame-body' }),
    s('path', { d: `M${x},${y + band} V${y + r} Q${x},${y} ${x + r},${y} H${x + w - r} Q${x + w},${y} ${x + w},${y + r} V${y + band} Z`,
      fill, stroke: '#94a3b8', 'stroke-width': 2, class: 'hit' }),
    text(x + 20, y + band * 0.66, fitted(el.label, w - 40 - tagW, size, true), { size, bold: true, fill: '#0f172a', cls: 'label' }),
    tag ? text(x + w - 20, y + band * 0.64, tag, { size: size * 0.6, bold: true, anchor: 'end', fill: '#475569', cls: 'tag' }) : null,
  ];
}

function table(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const r = Math.max(0, num(el, 'r'));
  const { lines: rows, size } = labelLayout(el);
  const top = Math.max(10, Math.min(24, r / 8)) * 2.2;
  return [
    s('circle', { cx: x, cy: y, r, fill: '#fffbeb', stroke: '#92400e', 'stroke-width': 4, class: 'table-body' }),
    s('circle', { cx: x, cy: y, r, fill: 'none', stroke: 'transparent', 'stroke-width': 18, class: 'hit ring' }),
    lines(x, y - r + top, rows, size, { 'font-weight': 'bold', 'text-anchor': 'middle', fill: '#78350f', class: 'label hit' }),
  ];
}

function domain(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const r = Math.max(0, num(el, 'r'));
  const owner = str(el.owner).trim();
  const tint = color(el.color, pick(owner || str(el.label)));
  const width = Math.max(40, r * 1.6);
  const { lines: label, size } = labelLayout(el);
  const small = Math.round(Math.max(14, Math.min(22, r / 7)) * 0.8);
  const top = y - ((label.length - 1) * size * LINE_H) / 2 - (owner ? small * 0.6 : 0) + size * 0.35;
  const sub = [owner, str(el.home).trim()].filter(Boolean).join(' · ');
  return [
    s('circle', { cx: x, cy: y, r, fill: tint, 'fill-opacity': 0.22, stroke: tint, 'stroke-width': 2.5 }),
    lines(x, top, label, size, { 'font-weight': 'bold', 'text-anchor': 'middle', class: 'label' }),
    sub ? text(x, top + (label.length - 1) * size * LINE_H + small * 1.5, fitted(sub, width, small), { size: small, anchor: 'middle', fill: '#374151' }) : null,
  ];
}

function territory(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const [w, h] = SIZES.territory;
  const node = NODE[el.node] ? el.node : 'person';
  const [fill, stroke] = NODE[node];
  const shape = { fill, stroke, 'stroke-width': 2 };
  let out;
  let left = x + 10;
  if (node === 'person') {
    out = [s('rect', { x, y, width: w, height: h, rx: h / 2, ...shape }),
      s('circle', { cx: x + 22, cy: y + 17, r: 6, fill: stroke }),
      s('path', { d: `M${x + 12},${y + 36} Q${x + 22},${y + 18} ${x + 32},${y + 36} Z`, fill: stroke })];
    left = x + 38;
  } else if (node === 'team') {
    out = [s('rect', { x, y, width: w, height: h, rx: 6, ...shape }),
      s('rect', { x: x + 4, y: y + 4, width: w - 8, height: h - 8, rx: 3, fill: 'none', stroke, 'stroke-width': 1 })];
  } else if (node === 'manager') {
    out = [s('rect', { x, y, width: w, height: h, rx: 4, ...shape }),
      s('rect', { x, y, width: w, height: 8, rx: 2, fill: stroke })];
  } else {
    out = [s('ellipse', { cx: x + w / 2, cy: y + h / 2, rx: w / 2, ry: h / 2, ...shape })];
    left = x + 18;
  }
  const [, top, room, area] = territoryBox(el);
  const mid = left + room / 2;
  const owner = str(el.owner).trim();
  const { lines: rows, size } = labelLayout(el);
  const first = top + (area - rows.length * size * LINE_H) / 2 + size * 0.95;
  out.push(lines(mid, first, rows, size, { 'font-weight': 'bold', 'text-anchor': 'middle', class: 'label' }));
  if (owner) out.push(text(mid, y + h - 8, fitted(owner, room, 10), { size: 10, anchor: 'middle', fill: '#4b5563' }));
  return out;
}

function note(el, ctx) {
  const [x, y, w, h] = box(el);
  const topic = typeof el.topic === 'string' ? el.topic : '';
  const fill = color(el.color, NOTE_FILL[topic] || '#fef08a');
  const pad = 12;
  const { lines: rows, size } = labelLayout(el);
  const who = ctx.author(el);
  const out = [
    s('rect', { x: x + 2, y: y + 3, width: w, height: h, rx: 4, fill: '#0f172a', 'fill-opacity': 0.08 }),
    s('rect', { x, y, width: w, height: h, rx: 4, fill, stroke: '#000', 'stroke-opacity': 0.18,
      'stroke-dasharray': el.private === true ? '6 4' : null }),
    lines(x + pad, y + pad + size, rows, size, { class: 'body' }),
  ];
  if (topic) out.push(text(x + pad, y + h - 8, fitted(label('topic', topic), w - 2 * pad - 60, 11, false, who ? w / 2 - pad - 8 : w - 2 * pad), { size: 11, fill: '#57534e' }));
  if (who) {
    out.push(s('rect', { x, y, width: 5, height: h, fill: who.color, rx: 2 }));
    out.push(text(x + w - pad, y + h - 8, fitted(who.name, Math.max(30, w / 2 - pad), 11), { size: 11, anchor: 'end', fill: readable(who.color, fill), bold: true }));
  }
  if (el.private === true) out.push(text(x + w - pad, y + pad + 4, t('render.private'), { size: 10, anchor: 'end', fill: '#6b7280', italic: true }));
  return out;
}

function roleCard(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const [w, h] = SIZES.role_card;
  const role = str(el.role);
  const tint = PROCESS.has(role) ? '#2563eb' : CONTENT.has(role) ? '#16a34a' : role === 'pen_holder' ? '#d97706' : '#7c3aed';
  const title = str(el.title).trim();
  const name = role === 'custom' ? (title || t('render.custom_role')) : label('role', role);
  const holder = str(el.holder).trim();
  const tableName = str(el.table).trim();
  const extra = [role !== 'custom' ? title : '', label('acquired', el.acquired)].filter(Boolean).join(' · ');
  return [
    s('rect', { x, y, width: w, height: h, rx: 8, fill: '#fff', stroke: tint, 'stroke-width': 2 }),
    s('path', { d: `M${x},${y + 28} V${y + 8} Q${x},${y} ${x + 8},${y} H${x + w - 8} Q${x + w},${y} ${x + w},${y + 8} V${y + 28} Z`, fill: readable(tint) }),
    roleName(x + 10, y + 19, name, w - 20),
    text(x + 10, y + 52, fitted(holder || t('render.no_holder'), w - 20, 15, !!holder), { size: 15, bold: !!holder, fill: holder ? '#111827' : '#9ca3af', cls: 'holder' }),
    text(x + 10, y + 74, fitted(tableName ? t('render.at_table', { table: tableName }) : t('render.this_table'), w - 20, 12), { size: 12, fill: '#374151' }),
    extra ? text(x + 10, y + 97, fitted(extra, w - 20, 11), { size: 11, fill: '#6b7280', italic: true }) : null,
  ];
}

/** A role card's name in its header band: smaller before it is cut (as the export). */
function roleName(x, y, name, width) {
  const { lines: [line], size } = fitText(name, width, 16, 12, { bold: true });
  return text(x, y, line, { size, bold: true, fill: '#fff', cls: 'label' });
}

function gradeScale(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const [w, h] = SIZES.grade_scale;
  const out = [
    s('rect', { x, y, width: w, height: h, rx: 8, fill: '#fafafa', stroke: '#9ca3af', 'stroke-width': 1.5 }),
    text(x + 12, y + 21, fitted(el.label, w - 190, 15, true), { size: 15, bold: true, cls: 'label' }),
    s('circle', { cx: x + w - 150, cy: y + 16, r: 5, fill: '#374151' }),
    text(x + w - 140, y + 20, t('render.now'), { size: 11, fill: '#374151' }),
    s('circle', { cx: x + w - 90, cy: y + 16, r: 5, fill: '#fff', stroke: '#374151', 'stroke-width': 2 }),
    text(x + w - 80, y + 20, t('render.ambition'), { size: 11, fill: '#374151' }),
  ];
  const question = str(el.question).trim();
  if (question) out.push(text(x + 12, y + 38, fitted(question, w - 24, 12), { size: 12, fill: '#4b5563', italic: true }));
  scaleColumns(el).forEach(([cx, cw], i) => {
    out.push(s('rect', { x: cx + 2, y: y + 46, width: cw - 4, height: 66, rx: 4, fill: GRADE_FILL[i], class: 'grade-col', 'data-grade': GRADES[i] }));
    out.push(text(cx + cw / 2, y + 62, label('grade', GRADES[i]), { size: 12, bold: true, anchor: 'middle', fill: '#374151' }));
  });
  return out;
}

function lane(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const w = laneWidth(el);
  const start = day(el.start);
  const end = day(el.end);
  const out = [
    s('rect', { x, y, width: w, height: LANE_H, rx: 6, fill: '#f0fdf4', stroke: '#86efac', 'stroke-width': 1.5 }),
    text(x + 10, y + 19, fitted(el.label, w - 190, 14, true), { size: 14, bold: true, cls: 'label' }),
    text(x + w - 10, y + 18, `${fmtDay(el.start)} → ${fmtDay(el.end)}`, { size: 11, anchor: 'end', fill: '#4b5563' }),
    s('line', { x1: x, y1: y + LANE_AXIS_Y, x2: x + w, y2: y + LANE_AXIS_Y, stroke: '#9ca3af', 'stroke-width': 2 }),
  ];
  if (start !== null && end !== null && end > start) {
    const days = daysBetween(start, end);
    const first = new Date(start);
    let month = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1);
    let named = false; // the first tick and each January carry the year
    const every = Math.max(1, Math.ceil(44 / Math.max(1, (w / days) * 30))); // a name every so many months
    let i = 0;
    while (month <= end && out.length < 400) {
      if (month >= start) {
        const mx = x + (daysBetween(start, month) / days) * w;
        out.push(s('line', { x1: mx, y1: y + 42, x2: mx, y2: y + 50, stroke: '#9ca3af', 'stroke-width': 1.5 }));
        const january = new Date(month).getUTCMonth() === 0;
        if (i % every === 0 || january) {
          out.push(text(mx + 2, y + 59, fmtMonth(month, !named || january), { size: 9, fill: '#6b7280', cls: 'tick' }));
          named = true;
        }
        i += 1;
      }
      const d = new Date(month);
      month = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
  return out;
}

/** A milestone: a diamond on its lane's axis; one not on a lane (geometry.js
 * placeGroup) is an outlined, dashed diamond that says so. As render.py's. */
function milestone(el, ctx, place) {
  const [cx, cy, labelY, where] = place || [num(el, 'x'), num(el, 'y'), num(el, 'y') + 24, NOT_ON_LANE];
  const fill = MILESTONE_FILL[el.milestone] || '#374151';
  const off = where === NOT_ON_LANE;
  const when = day(el.date);
  const d = `M${cx},${cy - 8} L${cx + 8},${cy} L${cx},${cy + 8} L${cx - 8},${cy} Z`;
  return [
    off ? s('path', { d, fill: '#fff', stroke: fill, 'stroke-width': 2, 'stroke-dasharray': '3 2' })
      : s('path', { d, fill, stroke: '#fff', 'stroke-width': 1.5 }),
    text(cx, labelY, fitted(el.label, 150, 11), { size: 11, anchor: 'middle', fill: '#111827', cls: 'label' }),
    when !== null ? text(cx, labelY + (labelY < cy ? -12 : 11), fmtShortDay(when), { size: 9.5, anchor: 'middle', fill: '#475569', cls: 'date' }) : null,
    off ? text(cx, labelY + (when !== null ? 22 : 11), t('render.no_lane'), { size: 9.5, anchor: 'middle', fill: '#b45309', italic: true, cls: 'no-lane' }) : null,
    s('title', {}, [fmtDay(el.date), label('milestone', el.milestone), off ? t('render.no_lane') : ''].filter(Boolean).join(' · ')),
  ];
}

function ritual(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const [w, h] = SIZES.ritual;
  const out = [
    s('rect', { x, y, width: w, height: h, rx: 10, fill: '#fff7ed', stroke: '#d97706', 'stroke-width': 2 }),
    text(x + 12, y + 20, t('render.ritual'), { size: 13, bold: true, fill: '#9a3412' }),
  ];
  const when = str(el.when).trim();
  if (when) out.push(text(x + w - 12, y + 20, fitted(when, w - 90, 11), { size: 11, anchor: 'end', fill: '#9a3412' }));
  let top = y + 42;
  for (const [caption, key] of [[t('render.moment'), 'moment'], [t('render.focus'), 'focus'], [t('render.symbol'), 'symbol']]) {
    const rest = fit(str(el[key]).trim(), w - 24 - (caption.length + 2) * 12 * CHAR_W, 12);
    out.push(s('text', { x: x + 12, y: top, 'font-size': 12, fill: '#1f2937' },
      s('tspan', { 'font-weight': 'bold' }, `${caption}: `), rest));
    top += 28;
  }
  return out;
}

/** A smooth path through points (quadratic curves through the midpoints). */
export function smoothPath(pts) {
  if (!pts.length) return '';
  if (pts.length < 3) return `M${pts.map((p) => p.join(',')).join(' L')}`;
  let d = `M${pts[0][0]},${pts[0][1]}`;
  for (let i = 1; i < pts.length - 1; i += 1) {
    const mx = (pts[i][0] + pts[i + 1][0]) / 2;
    const my = (pts[i][1] + pts[i + 1][1]) / 2;
    d += ` Q${pts[i][0]},${pts[i][1]} ${mx},${my}`;
  }
  const last = pts[pts.length - 1];
  return `${d} L${last[0]},${last[1]}`;
}

function stroke(el) {
  const pts = points(el);
  const tint = color(el.color, '#111827');
  const width = Math.max(0.5, num(el, 'width', 3));
  if (pts.length === 1) return [s('circle', { cx: pts[0][0], cy: pts[0][1], r: width / 2, fill: tint })];
  const d = smoothPath(pts);
  return [
    s('path', { d, fill: 'none', stroke: 'transparent', 'stroke-width': Math.max(14, width + 10), class: 'hit' }),
    s('path', { d, fill: 'none', stroke: tint, 'stroke-width': width, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }),
  ];
}

function freeText(el) {
  const size = Math.max(1, num(el, 'size', TEXT_SIZE));
  const b = box(el);
  return [
    s('rect', { x: b[0], y: b[1], width: b[2], height: b[3], fill: 'transparent', class: 'hit' }),
    lines(num(el, 'x'), num(el, 'y') + size, textLines(el), size, { class: 'body' }),
  ];
}

function gradeVote(el, ctx, place) {
  const [cx, cy] = place || [num(el, 'x'), num(el, 'y')];
  const who = ctx.author(el);
  const tint = who ? who.color : pick(str(el.author) || el.id);
  const current = el.aspect === 'current';
  const out = [s('circle', { cx, cy, r: 7, fill: current ? tint : '#fff', stroke: tint, 'stroke-width': current ? 1.5 : 2.5 })];
  const tip = [who && who.name, label('aspect', el.aspect), str(el.note)].filter(Boolean).join(' — ');
  if (tip) out.push(s('title', {}, tip));
  return out;
}

function vote(el, ctx, place) {
  const [cx, cy] = place || [num(el, 'x'), num(el, 'y')];
  const [fill, d] = VOTE[el.value] || ['#6b7280', 'M-3,0 H3'];
  return [
    s('circle', { cx, cy, r: 10, fill, stroke: '#fff', 'stroke-width': 2 }),
    s('path', { transform: `translate(${cx},${cy})`, d, fill: 'none', stroke: '#fff', 'stroke-width': 2.2, 'stroke-linecap': 'round' }),
  ];
}

function link(el, ctx) {
  const line = linkLine(ctx.get(el.from), ctx.get(el.to));
  if (!line) return [];
  const [x1, y1, x2, y2] = line;
  const rel = REL[el.rel] ? el.rel : 'involves';
  const [tint, dash, width] = REL[rel];
  const name = str(el.label).trim() || label('rel', el.rel);
  return [
    s('line', { x1, y1, x2, y2, stroke: 'transparent', 'stroke-width': 14, class: 'hit' }),
    s('line', { x1, y1, x2, y2, stroke: tint, 'stroke-width': width, 'stroke-dasharray': dash || null, 'marker-end': `url(#tt-arrow-${rel})` }),
    text((x1 + x2) / 2, (y1 + y2) / 2 - 5, fitted(name, 180, 11), { size: 11, anchor: 'middle', fill: readable(tint), cls: 'link-label' }),
  ];
}

const DRAW = { frame, table, domain, territory, note, role_card: roleCard, grade_scale: gradeScale,
  lane, milestone, ritual, stroke, text: freeText, grade_vote: gradeVote, vote, link };

/** The <g data-id data-kind> of one element. ctx: {get(id), author(el) ->
 * {name, color}|null, place(el) -> [x, y, labelY?]|null}. */
export function renderElement(el, ctx) {
  const g = s('g', { 'data-id': el.id, 'data-kind': el.kind, class: `el k-${el.kind}`, tabindex: 0, role: 'group',
    'aria-label': accessibleName(el) });
  if (el.locked === true) g.classList.add('locked');
  if (el.private === true) g.classList.add('private');
  const draw = DRAW[el.kind];
  if (draw) {
    try {
      g.append(...draw(el, ctx, ctx.place(el)).filter(Boolean));
    } catch (err) {
      console.warn('cannot draw', el.id, err); // a malformed foreign element stays invisible
    }
  }
  // a lock the facilitator set is shown; the template's own scaffolding is
  // locked from the start and would only clutter the board with badges
  if (el.locked === true && el.author !== 'system') {
    const b = box(el) || (ctx.place(el) ? [ctx.place(el)[0] - 8, ctx.place(el)[1] - 8, 16, 16] : null);
    if (b) g.append(lockBadge(b[0] + b[2], b[1]));
  }
  return g;
}

/** What a screen reader says of an element: its kind and its main text. */
function accessibleName(el) {
  const main = str(el[MAIN_FIELD[el.kind]]).trim();
  const kind = label('kind', el.kind);
  return main ? `${kind}: ${main.slice(0, 120)}` : kind;
}

function lockBadge(x, y) {
  return s('g', { class: 'lock-badge', transform: `translate(${x - 8},${y - 8})` },
    s('circle', { cx: 0, cy: 0, r: 11, fill: '#334155' }),
    s('rect', { x: -5, y: -2, width: 10, height: 8, rx: 1.5, fill: '#fff' }),
    s('path', { d: 'M-3,-2 V-4.5 A3,3 0 0 1 3,-4.5 V-2', fill: 'none', stroke: '#fff', 'stroke-width': 1.8 }),
    s('title', {}, t('insp.locked')));
}
