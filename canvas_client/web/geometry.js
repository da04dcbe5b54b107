// Sizes, boxes and placements of board elements (no DOM). Sizes, enumerations
// and geometry come from kinds.js (generated from schemas/kinds.py), which
// server/report/render_shapes.py and server/report/render.py read too, so that the live
// board and the SVG export agree on where things are.

import { CIRCLES as CIRCLE_KINDS, ENUMS, KINDS, LAYERS, PLACED as PLACED_BY, SIZES as KIND_SIZES, TEXT } from './kinds.js';

export const SIZES = KIND_SIZES;
const LANE = KINDS.lane.geometry.params;
export const LANE_H = LANE.h;
export const LANE_PX_PER_DAY = LANE.px_per_day;
const LANE_MIN_W = LANE.min_w;
const LANE_MAX_W = LANE.max_w;
export const LANE_AXIS_Y = LANE.axis_y; // where milestones sit, below the lane's top
export const TEXT_SIZE = KINDS.text.geometry.params.size;
export const CHAR_W = TEXT.char_w;
export const BOLD_W = TEXT.bold_w;
export const LINE_H = TEXT.line_h;
export const GRADES = ENUMS.grade;
export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2',
  '#db2777', '#65a30d'];
export const CIRCLES = new Set(CIRCLE_KINDS);
/** Kinds drawn where the element they point at says (their x/y is a fallback). */
export const PLACED = PLACED_BY;
const LAYER = LAYERS;
const DAY_MS = 86400000;

export function num(el, key, dflt = 0) {
  const v = el[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

export function str(value) {
  return typeof value === 'string' ? value : '';
}

/** A date (ms at UTC midnight) from an ISO date string, or null. */
export function day(value) {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  const d = new Date(ms);
  return d.getUTCDate() === +m[3] && d.getUTCMonth() === +m[2] - 1 ? ms : null;
}

export function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(iso, n) {
  const ms = day(iso);
  return ms === null ? null : isoDay(ms + Math.round(n) * DAY_MS);
}

export function daysBetween(a, b) {
  return Math.round((b - a) / DAY_MS);
}

const CRC = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(text) {
  const bytes = new TextEncoder().encode(text);
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A palette colour chosen stably from a key (as the export does). */
export function pick(key) {
  return PALETTE[crc32(str(key).trim().toLowerCase()) % PALETTE.length];
}

const COLOR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,24}|(?:rgba?|hsla?)\([0-9.,%\s]{1,48}\))$/;

/** A colour a user chose, only in plain forms (never url(...) or markup). */
export function color(value, dflt) {
  return typeof value === 'string' && COLOR.test(value.trim()) ? value.trim() : dflt;
}

// -- text ---------------------------------------------------------------------

// The same rules as server/report/render_shapes.py (tests/text_cases.json checks
// both): lengths in code points, the same whitespace, the same measures.

const XML_BAD = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;
const SPACE = /[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Text an SVG can hold (as the export's clean()). */
export function clean(value) {
  return typeof value === 'string' ? value.replace(XML_BAD, '') : '';
}

function words(text) {
  return text.split(SPACE).filter(Boolean);
}

function room(width, size, bold) {
  return Math.max(1, Math.floor(width / (size * (bold ? BOLD_W : CHAR_W))));
}

/** One line cut to `width` with an ellipsis. */
export function fit(text, width, size, bold = false) {
  const line = Array.from(words(clean(text)).join(' '));
  const n = room(width, size, bold);
  return line.length <= n ? line.join('') : line.slice(0, Math.max(0, n - 1)).join('').trimEnd() + '…';
}

/** Word-wrapped lines at most `width` wide, at most `maxLines`: {lines, cut
 * (text was left out; the last line ends in "…"), broken (a word did not fit a line)}. */
export function layout(text, width, size, maxLines, bold = false) {
  if (maxLines <= 0) return { lines: [], cut: clean(text).trim() !== '', broken: false };
  const n = room(width, size, bold);
  let lines = [];
  let broken = false;
  for (const paragraph of clean(text).split('\n')) {
    let line = [];
    for (const word of words(paragraph)) {
      let chars = Array.from(word);
      while (chars.length > n) {
        broken = true;
        if (line.length) {
          lines.push(line.join(''));
          line = [];
        }
        lines.push(chars.slice(0, n).join(''));
        chars = chars.slice(n);
      }
      if (!line.length) line = chars;
      else if (line.length + 1 + chars.length <= n) line = [...line, ' ', ...chars];
      else {
        lines.push(line.join(''));
        line = chars;
      }
    }
    lines.push(line.join(''));
    if (lines.length > maxLines) break;
  }
  while (lines.length > 1 && !lines[lines.length - 1]) lines.pop();
  const cut = lines.length > maxLines;
  if (cut) {
    lines = lines.slice(0, maxLines);
    lines[maxLines - 1] = Array.from(lines[maxLines - 1]).slice(0, Math.max(0, n - 1)).join('').trimEnd() + '…';
  }
  return { lines, cut, broken };
}

/** Word-wrap to `width`, at most `maxLines`; a cut last line ends in "…". */
export function wrap(text, width, size, maxLines, bold = false) {
  return layout(text, width, size, maxLines, bold).lines;
}

/** Text in a width x height box: as many lines as fit at `size`; when it does not
 * fit whole (or a word must break), a smaller size, down to `minSize`; cut last.
 * Returns {lines, size}. */
export function fitText(text, width, height, size, { bold = false, minSize = TEXT.min_size } = {}) {
  const lowest = Math.min(size, minSize);
  let best = null;
  for (let s = size; ; s = Math.max(lowest, s - 1)) {
    const maxLines = Math.max(1, Math.floor(height / (s * LINE_H) + 1e-9));
    const got = layout(text, width, s, maxLines, bold);
    if (!got.cut && !got.broken) return { lines: got.lines, size: s };
    if (!best || best.cut) best = { lines: got.lines, size: s, cut: got.cut }; // whole and largest, else the most text
    if (s <= lowest) break;
  }
  return { lines: best.lines, size: best.size };
}

/** The text box of a territory card: [left, top, width, height] (its label's area). */
export function territoryBox(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const [w, h] = SIZES.territory;
  const node = ['person', 'team', 'manager', 'table'].includes(el.node) ? el.node : 'person';
  const left = x + (node === 'person' ? 38 : node === 'table' ? 18 : 10);
  const top = y + 5 + (node === 'manager' ? 4 : 0);
  const owner = clean(el.owner).trim() ? 13 : 0;
  return [left, top, x + w - 8 - left, y + h - 5 - top - owner];
}

/** The label (note: text) of a shape laid out in it: {lines, size}, or null for
 * kinds whose texts sit on one line. The export lays out the same
 * (render_shapes.label_layout). */
export function labelLayout(el) {
  if (el.kind === 'territory') {
    const [, , w, h] = territoryBox(el);
    return fitText(el.label, w, h, 13, { bold: true });
  }
  if (el.kind === 'table') {
    const r = Math.max(0, num(el, 'r'));
    const size = Math.max(10, Math.min(24, r / 8));
    const depth = size * 2.2; // the first line's baseline, below the circle's top
    const chord = 2 * Math.sqrt(Math.max(0, r * r - (r - depth) ** 2)) - 16;
    return fitText(el.label, Math.max(40, chord), r * 0.5, size, { bold: true });
  }
  if (el.kind === 'domain') {
    const r = Math.max(0, num(el, 'r'));
    const size = Math.max(14, Math.min(22, r / 7)); // bigger circles, bigger names: readable from afar
    return fitText(el.label, Math.max(40, r * 1.6), Math.max(size * LINE_H, Math.min(r * 0.9, size * LINE_H * 3)), size, { bold: true });
  }
  if (el.kind === 'note') {
    const w = Math.max(0, num(el, 'w'));
    const h = Math.max(0, num(el, 'h'));
    const foot = typeof el.topic === 'string' && el.topic ? 18 : 0;
    return fitText(el.text, w - 24, h - 24 - foot + 4, 15, { minSize: 11 });
  }
  return null;
}

// -- geometry -----------------------------------------------------------------

export function laneWidth(el) {
  const start = day(el.start);
  const end = day(el.end);
  const days = start !== null && end !== null ? daysBetween(start, end) : 0;
  return Math.min(LANE_MAX_W, Math.max(LANE_MIN_W, days * LANE_PX_PER_DAY));
}

export function textLines(el) {
  return str(el.text).split('\n');
}

export function points(el) {
  const raw = Array.isArray(el.points) ? el.points.filter((v) => Number.isFinite(v)) : [];
  const out = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

/** [x, y, w, h] an element covers by itself (null: placed by another element). */
export function box(el) {
  const x = num(el, 'x');
  const y = num(el, 'y');
  const kind = el.kind;
  if (CIRCLES.has(kind)) {
    const r = Math.max(0, num(el, 'r'));
    return [x - r, y - r, 2 * r, 2 * r];
  }
  if (kind === 'frame' || kind === 'note') return [x, y, Math.max(0, num(el, 'w')), Math.max(0, num(el, 'h'))];
  if (SIZES[kind]) return [x, y, ...SIZES[kind]];
  if (kind === 'lane') return [x, y, laneWidth(el), LANE_H];
  if (kind === 'text') {
    const size = Math.max(1, num(el, 'size', TEXT_SIZE));
    const lines = textLines(el);
    const width = Math.max(1, ...lines.map((l) => l.length)) * size * CHAR_W;
    return [x, y, width, lines.length * size * 1.3];
  }
  if (kind === 'stroke') {
    const pts = points(el);
    if (!pts.length) return null;
    const half = Math.max(1, num(el, 'width', 3)) / 2;
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const x0 = Math.min(...xs);
    const y0 = Math.min(...ys);
    return [x0 - half, y0 - half, Math.max(...xs) - x0 + 2 * half, Math.max(...ys) - y0 + 2 * half];
  }
  return null;
}

/** Drawing order: frames, then lanes/tables/domains, then the rest; by z, id. */
export function layer(el) {
  return LAYER[el.kind] ?? 2;
}

export function compareOrder(a, b) {
  const la = layer(a);
  const lb = layer(b);
  if (la !== lb) return la - lb;
  const za = str(a.z);
  const zb = str(b.z);
  if (za !== zb) return za < zb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function scaleColumns(el) {
  const x = num(el, 'x');
  const w = SIZES.grade_scale[0] - 16;
  return GRADES.map((_, i) => [x + 8 + (i * w) / 4, w / 4]);
}

export function scaleRows(el) {
  const y = num(el, 'y');
  const rows = KINDS.grade_scale.geometry.params;
  return { current: y + rows.current_y, ambition: y + rows.ambition_y };
}

/** Where on a grade scale a point falls: {grade, aspect} or null. */
export function scaleHit(scale, wx, wy) {
  const y = num(scale, 'y');
  if (wy < y + 40 || wy > y + SIZES.grade_scale[1]) return null;
  const cols = scaleColumns(scale);
  const i = cols.findIndex(([left, w]) => wx >= left && wx < left + w);
  if (i < 0) return null;
  const rows = scaleRows(scale);
  return { grade: GRADES[i], aspect: wy < (rows.current + rows.ambition) / 2 ? 'current' : 'ambition' };
}

/** Centre of an element for links: [cx, cy, box|null, r]. */
export function centre(el) {
  if (CIRCLES.has(el.kind)) return [num(el, 'x'), num(el, 'y'), null, Math.max(0, num(el, 'r'))];
  const b = box(el);
  if (!b) return [num(el, 'x'), num(el, 'y'), null, 0];
  return [b[0] + b[2] / 2, b[1] + b[3] / 2, b, 0];
}

export function edge(dx, dy, b, r) {
  if (!b) return r;
  const tx = dx ? b[2] / 2 / Math.abs(dx) : Infinity;
  const ty = dy ? b[3] / 2 / Math.abs(dy) : Infinity;
  return Math.min(tx, ty);
}

/** The line of a link between its two ends, or null. */
export function linkLine(a, b) {
  if (!a || !b || a === b) return null;
  const [ax, ay, abox, ar] = centre(a);
  const [bx, by, bbox, br] = centre(b);
  const dist = Math.hypot(bx - ax, by - ay);
  if (dist < 1) return null;
  const ux = (bx - ax) / dist;
  const uy = (by - ay) / dist;
  let start = edge(ux, uy, abox, ar);
  let end = edge(ux, uy, bbox, br);
  if (start + end >= dist - 4) start = end = 0;
  return [ax + ux * start, ay + uy * start, bx - ux * (end + 2), by - uy * (end + 2)];
}

/** The fourth item of a milestone's place when it is not on a lane. */
export const NOT_ON_LANE = 1;
const STRAY_STEP = 170; // room per milestone in a row (a label is fitted to 150)

/** Milestones left without a lane (it is gone, or has no valid span) stay where
 * their own x/y say, marked NOT_ON_LANE; one with no place of its own (0,0: what
 * clients that place by lane send) lines up along the bottom of its parent frame
 * instead of landing in the board's top-left corner. As render.py's. */
function strayMilestones(members, get, out) {
  let j = 0;
  for (const el of members) {
    if (out.has(el.id)) continue;
    let x = num(el, 'x');
    let y = num(el, 'y');
    const parent = x === 0 && y === 0 && get ? get(str(el.parent)) : null;
    if (parent && parent.kind === 'frame') {
      const [fx, fy, fw, fh] = box(parent);
      const perRow = Math.max(1, Math.floor((fw - 40) / STRAY_STEP));
      x = fx + 20 + STRAY_STEP / 2 + (j % perRow) * STRAY_STEP;
      y = fy + fh - 56 - Math.floor(j / perRow) * 56;
      j += 1;
    }
    out.set(el.id, [x, y, y + 24, NOT_ON_LANE]);
  }
}

/** Places of the members of one group (same target, same grade and aspect for
 * grade votes): Map id -> [x, y, labelY?, NOT_ON_LANE?]. Members must be sorted;
 * get(id) finds another element (a stray milestone's frame). */
export function placeGroup(kind, target, members, out, get = null) {
  if (kind === 'milestone') {
    if (target && target.kind === 'lane') placeOnLane(target, members, out);
    strayMilestones(members, get, out);
    return;
  }
  if (!target) return;
  if (kind === 'grade_vote' && target.kind === 'grade_scale') {
    const grade = members[0] && members[0].grade;
    const gi = GRADES.indexOf(grade);
    const cy = scaleRows(target)[members[0] && members[0].aspect];
    if (gi < 0 || cy === undefined) return;
    const [left, cw] = scaleColumns(target)[gi];
    const step = Math.min(16, (cw - 28) / Math.max(1, members.length - 1));
    members.forEach((el, i) => out.set(el.id, [left + 14 + i * step, cy]));
  } else if (kind === 'vote') {
    let right;
    let top;
    if (CIRCLES.has(target.kind)) {
      const r = num(target, 'r');
      right = num(target, 'x') + r * 0.7;
      top = num(target, 'y') - r * 0.7;
    } else {
      const b = box(target);
      if (!b) return;
      right = b[0] + b[2] - 14;
      top = b[1];
    }
    members.forEach((el, i) => out.set(el.id, [right - i * 22, top]));
  }
}

/** Milestones on their lane by date, labels above and below the axis in turn. */
function placeOnLane(lane, members, out) {
  const start = day(lane.start);
  const end = day(lane.end);
  if (start === null || end === null || end <= start) return;
  const lx = num(lane, 'x');
  const ly = num(lane, 'y');
  const lw = laneWidth(lane);
  const total = daysBetween(start, end);
  let i = 0;
  for (const el of members) {
    const when = day(el.date);
    if (when === null) continue;
    const t = Math.min(1, Math.max(0, daysBetween(start, when) / total));
    out.set(el.id, [lx + t * lw, ly + LANE_AXIS_Y, ly + (i % 2 === 0 ? 34 : 70)]);
    i += 1;
  }
}

/** The key of the group an element of a PLACED kind belongs to. */
export function groupKey(el) {
  const ref = str(el[PLACED[el.kind]]);
  return el.kind === 'grade_vote' ? `${ref}|${str(el.grade)}|${str(el.aspect)}` : ref;
}

export function sortMembers(kind, members) {
  return members.sort((a, b) => {
    if (kind === 'milestone') {
      const da = str(a.date);
      const db = str(b.date);
      if (da !== db) return da < db ? -1 : 1;
    }
    return compareOrder(a, b);
  });
}

/** Bounds of an element including placed kinds (for fitting the view). */
export function bounds(el, place) {
  if (PLACED[el.kind]) {
    const p = place || [num(el, 'x'), num(el, 'y')];
    if (el.kind === 'milestone') return [p[0] - 80, p[1] - 12, 160, p[3] === NOT_ON_LANE ? 62 : 40]; // with "not on a lane"
    return [p[0] - 12, p[1] - 12, 24, 24];
  }
  if (el.kind === 'link') return null;
  return box(el);
}

export function union(boxes) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of boxes) {
    if (!b) continue;
    x0 = Math.min(x0, b[0]);
    y0 = Math.min(y0, b[1]);
    x1 = Math.max(x1, b[0] + b[2]);
    y1 = Math.max(y1, b[1] + b[3]);
  }
  return x0 === Infinity ? null : [x0, y0, x1 - x0, y1 - y0];
}

export function contains(b, x, y) {
  return b && x >= b[0] && x <= b[0] + b[2] && y >= b[1] && y <= b[1] + b[3];
}

export function intersects(a, b) {
  return a && b && a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

/** The smallest frame that contains the point (or null). */
export function frameAt(elements, x, y, exclude = null) {
  let best = null;
  let area = Infinity;
  for (const el of elements.values()) {
    if (el.kind !== 'frame' || (exclude && exclude.has(el.id))) continue;
    const b = box(el);
    if (contains(b, x, y) && b[2] * b[3] < area) {
      best = el;
      area = b[2] * b[3];
    }
  }
  return best;
}
