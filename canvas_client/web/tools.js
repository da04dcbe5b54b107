// Pointer input on the board: pan/zoom (mouse, wheel, pinch), select / move /
// resize, and one gesture per creating tool. Works with mouse, pen and touch
// through pointer events.

import {
  CIRCLES, LANE_PX_PER_DAY, SIZES, addDays, box, day, daysBetween, isoDay, laneWidth, num, scaleHit,
} from './geometry.js';
import { t } from './i18n.js';
import { KINDS } from './kinds.js';
import { s, smoothPath } from './render.js';
import { draggablePlaced, dragPlaced, dropPlaced, endPlaced, moveOps } from './manip.js';
import { boundsOf, drawSelection } from './selection.js';
import { strokePoints } from './stroke.js';

const CLICK_SLOP = 4; // screen px a pointer may wander and still be a click
const NOTE = KINDS.note.geometry.new;
const FRAME_MIN = KINDS.frame.geometry.params;
const LANE_MIN_W = KINDS.lane.geometry.params.min_w;

/** The top-left corner that centres a kind of fixed size on a point. */
function centred(kind, x, y) {
  const [w, h] = SIZES[kind];
  return { x: x - w / 2, y: y - h / 2 };
}

export class Tools {
  constructor(app) {
    this.app = app;
    this.view = app.view;
    this.svg = app.view.svg;
    this.gesture = null;
    this.pointers = new Map();
    this.spaceDown = false;
    this.preview = s('g', { class: 'preview' });
    this.selectionLayer = s('g', { class: 'selection' });
    this.view.overlay.append(this.selectionLayer, this.preview);
    const on = (type, fn, opts) => this.svg.addEventListener(type, fn.bind(this), opts);
    on('pointerdown', this.down);
    on('pointermove', this.move);
    on('pointerup', this.up);
    on('pointercancel', this.cancel);
    on('dblclick', this.dblclick);
    on('wheel', this.wheel, { passive: false });
    on('contextmenu', (e) => e.preventDefault());
  }

  // -- helpers ------------------------------------------------------------------

  local(event) {
    const r = this.svg.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  }

  hit(event) {
    const node = event.target.closest && event.target.closest('[data-id]');
    if (!node || !this.svg.contains(node)) return null;
    return this.app.sync.elements.get(node.dataset.id) || null;
  }

  /** The element under a screen point (for drops), ignoring the preview. */
  hitAt(clientX, clientY) {
    for (const node of document.elementsFromPoint(clientX, clientY)) {
      const g = node.closest && node.closest('[data-id]');
      if (g && this.svg.contains(g)) return this.app.sync.elements.get(g.dataset.id) || null;
    }
    return null;
  }

  clear() {
    this.preview.replaceChildren();
    this.gesture = null;
  }

  // -- pointer events ---------------------------------------------------------

  down(event) {
    if (event.button === 2) return;
    this.svg.setPointerCapture(event.pointerId);
    const at = this.local(event);
    this.pointers.set(event.pointerId, at);
    if (this.pointers.size === 2) { // two fingers: pinch and pan, whatever the tool
      this.abortGesture();
      this.gesture = { type: 'pinch', last: [...this.pointers.values()] };
      return;
    }
    if (this.pointers.size > 2) return;
    this.app.closeInline();
    const world = this.view.toWorld(...at);
    const tool = this.app.tool;
    const target = this.hit(event);
    const panning = event.button === 1 || tool === 'hand' || this.spaceDown;
    if (panning || this.app.role === 'viewer') {
      this.gesture = { type: 'pan', last: at };
      this.svg.classList.add('panning');
      return;
    }
    const base = { start: at, startWorld: world, moved: false, target, pointer: event.pointerType };
    if (tool === 'select') this.downSelect(event, base);
    else if (tool === 'pen') this.gesture = { ...base, type: 'pen', raw: [world] };
    else if (tool === 'table' || tool === 'domain') this.gesture = { ...base, type: 'circle', kind: tool };
    else if (tool === 'frame') this.gesture = { ...base, type: 'rect' };
    else if (tool === 'lane') this.gesture = { ...base, type: 'lane' };
    else if (tool === 'link') {
      if (!target || target.kind === 'link') {
        this.app.hint(t('hint.link_start'));
        this.gesture = { type: 'pan', last: at };
        return;
      }
      this.gesture = { ...base, type: 'link', from: target };
    } else this.gesture = { ...base, type: 'place' };
  }

  downSelect(event, base) {
    const app = this.app;
    const target = base.target;
    if (event.target.closest('.handle') && app.selection.size === 1) {
      this.gesture = { ...base, type: 'resize', id: [...app.selection][0] };
      return;
    }
    if (!target) {
      if (!event.shiftKey) app.select([]);
      this.gesture = base.pointer === 'touch' ? { type: 'pan', last: base.start } : { ...base, type: 'marquee' };
      return;
    }
    if (event.shiftKey) {
      const next = new Set(app.selection);
      if (next.has(target.id)) next.delete(target.id);
      else next.add(target.id);
      app.select([...next]);
      this.gesture = null;
      return;
    }
    if (!app.selection.has(target.id)) app.select([target.id]);
    this.gesture = { ...base, type: draggablePlaced(target) ? 'placed' : 'move' };
  }

  move(event) {
    const at = this.local(event);
    if (this.pointers.has(event.pointerId)) this.pointers.set(event.pointerId, at);
    const world = this.view.toWorld(...at);
    this.app.pointerAt(world);
    const g = this.gesture;
    if (!g) return;
    if (g.type === 'pinch') return this.pinch();
    if (g.type === 'pan') {
      this.view.panBy(at[0] - g.last[0], at[1] - g.last[1]);
      g.last = at;
      this.app.userMovedView();
      return;
    }
    if (!g.moved && Math.hypot(at[0] - g.start[0], at[1] - g.start[1]) < CLICK_SLOP) return;
    g.moved = true;
    g.world = world;
    if (g.type === 'move') this.dragMove(g, world);
    else if (g.type === 'placed') dragPlaced(this, g, world);
    else if (g.type === 'resize') this.dragResize(g, world);
    else if (g.type === 'marquee') this.dragMarquee(g, world);
    else if (g.type === 'pen') {
      g.raw.push(world);
      this.preview.replaceChildren(s('path', { d: smoothPath(g.raw), fill: 'none', stroke: this.app.opts.penColor || this.app.me.color,
        'stroke-width': this.app.opts.penWidth, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }));
    } else if (g.type === 'circle') {
      const [cx, cy] = g.startWorld;
      const r = Math.hypot(world[0] - cx, world[1] - cy);
      this.preview.replaceChildren(s('circle', { cx, cy, r, class: 'ghost' }));
    } else if (g.type === 'rect' || g.type === 'lane') {
      const b = this.rectOf(g.startWorld, world, g.type === 'lane');
      this.preview.replaceChildren(s('rect', { x: b[0], y: b[1], width: b[2], height: b[3], class: 'ghost' }));
    } else if (g.type === 'link') {
      const b = box(g.from) || [num(g.from, 'x'), num(g.from, 'y'), 0, 0];
      this.preview.replaceChildren(s('line', { x1: b[0] + b[2] / 2, y1: b[1] + b[3] / 2, x2: world[0], y2: world[1], class: 'ghost-line' }));
    }
  }

  up(event) {
    this.pointers.delete(event.pointerId);
    const g = this.gesture;
    this.svg.classList.remove('panning');
    if (!g) return;
    if (g.type === 'pinch') {
      if (this.pointers.size < 2) this.gesture = null;
      return;
    }
    this.gesture = null;
    this.preview.replaceChildren();
    const app = this.app;
    const world = this.view.toWorld(...this.local(event));
    if (g.type === 'move' || g.type === 'resize') {
      if (g.moved) app.endDrag(g);
      return;
    }
    if (g.type === 'marquee') return;
    if (g.type === 'placed') {
      if (g.moved) dropPlaced(this, g);
      return;
    }
    if (g.type === 'pen') {
      if (g.raw.length) this.finishStroke(g.raw);
      return;
    }
    if (g.type === 'circle') {
      const [cx, cy] = g.startWorld;
      const r = g.moved ? Math.hypot(world[0] - cx, world[1] - cy) : (g.kind === 'table' ? 300 : 90);
      const fields = { x: Math.round(cx), y: Math.round(cy), r: Math.max(20, Math.round(r)) };
      if (g.kind === 'table') fields.label = t('new.table');
      else Object.assign(fields, { label: t('new.domain'), owner: app.me.name, color: app.me.color });
      app.create(g.kind, fields, { edit: true });
      return;
    }
    if (g.type === 'rect') {
      const b = g.moved ? this.rectOf(g.startWorld, world) : [world[0], world[1], 600, 400];
      app.create('frame', { x: Math.round(b[0]), y: Math.round(b[1]), w: Math.max(FRAME_MIN.min_w, Math.round(b[2])), h: Math.max(FRAME_MIN.min_h, Math.round(b[3])), label: t('new.frame') }, { edit: true });
      return;
    }
    if (g.type === 'lane') return this.finishLane(g, world);
    if (g.type === 'link') {
      const to = this.hitAt(event.clientX, event.clientY);
      if (!to || to.id === g.from.id || to.kind === 'link') {
        if (g.moved) app.hint(t('hint.link_drop'));
        return;
      }
      const [fx, fy] = [num(g.from, 'x'), num(g.from, 'y')];
      app.create('link', { from: g.from.id, to: to.id, rel: app.opts.rel, x: (fx + num(to, 'x')) / 2, y: (fy + num(to, 'y')) / 2 });
      return;
    }
    if (g.type === 'place' && !g.moved) this.place(app.tool, world, g.target);
  }

  cancel(event) {
    this.pointers.delete(event.pointerId);
    this.abortGesture();
  }

  abortGesture() {
    const g = this.gesture;
    if (g && (g.type === 'move' || g.type === 'resize') && g.moved) this.app.endDrag(g);
    if (g && g.type === 'placed') endPlaced(this, g);
    this.clear();
  }

  dblclick(event) {
    // pointer capture makes the svg the target of click events: look under the pointer
    const target = this.hitAt(event.clientX, event.clientY);
    if (this.app.tool !== 'select') return;
    if (target) this.app.editInline(target.id);
    else if (this.app.role !== 'viewer') this.place('note', this.view.toWorld(...this.local(event)), null);
  }

  wheel(event) {
    event.preventDefault();
    const at = this.local(event);
    if (event.ctrlKey || event.metaKey) {
      this.view.zoomAt(...at, Math.exp(-event.deltaY * (event.deltaMode ? 0.05 : 0.0025)));
    } else {
      const k = event.deltaMode ? 16 : 1;
      this.view.panBy(-event.deltaX * k, -event.deltaY * k);
    }
    this.app.userMovedView();
  }

  pinch() {
    const [a, b] = [...this.pointers.values()];
    const [la, lb] = this.gesture.last;
    if (!a || !b || !la || !lb) return;
    const mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    const lastMid = [(la[0] + lb[0]) / 2, (la[1] + lb[1]) / 2];
    const factor = Math.hypot(a[0] - b[0], a[1] - b[1]) / Math.max(1, Math.hypot(la[0] - lb[0], la[1] - lb[1]));
    this.view.panBy(mid[0] - lastMid[0], mid[1] - lastMid[1]);
    this.view.zoomAt(...mid, factor);
    this.gesture.last = [a, b];
    this.app.userMovedView();
  }

  // -- drags --------------------------------------------------------------------

  rectOf(a, b, lane = false) {
    const x = Math.min(a[0], b[0]);
    const y = lane ? a[1] : Math.min(a[1], b[1]);
    return [x, y, Math.abs(b[0] - a[0]), lane ? 80 : Math.abs(b[1] - a[1])];
  }

  dragMove(g, world) {
    const app = this.app;
    if (!g.before) {
      const ids = app.movableSelection();
      if (!ids.length) {
        g.type = 'none';
        return;
      }
      g.before = new Map(ids.map((id) => [id, app.sync.elements.get(id)]));
    }
    const dx = world[0] - g.startWorld[0];
    const dy = world[1] - g.startWorld[1];
    g.ops = moveOps(g.before, dx, dy);
    app.dragFrame(g);
  }

  dragResize(g, world) {
    const app = this.app;
    const el = app.sync.elements.get(g.id);
    if (!el) return;
    if (!g.before) g.before = new Map([[g.id, el]]);
    const orig = g.before.get(g.id);
    let set;
    if (CIRCLES.has(orig.kind)) {
      set = { r: Math.max(20, Math.round(Math.hypot(world[0] - num(orig, 'x'), world[1] - num(orig, 'y')))) };
    } else if (orig.kind === 'text') {
      const b = box(orig);
      const ratio = Math.max(0.2, (world[1] - b[1]) / Math.max(1, b[3]));
      set = { size: Math.max(8, Math.min(200, Math.round(num(orig, 'size', 16) * ratio))) };
    } else {
      set = { w: Math.max(60, Math.round(world[0] - num(orig, 'x'))), h: Math.max(40, Math.round(world[1] - num(orig, 'y'))) };
    }
    g.ops = [{ op: 'patch', id: g.id, set }];
    app.dragFrame(g);
  }

  dragMarquee(g, world) {
    const b = this.rectOf(g.startWorld, world);
    this.preview.replaceChildren(s('rect', { x: b[0], y: b[1], width: b[2], height: b[3], class: 'marquee' }));
    const ids = [];
    for (const el of this.app.sync.elements.values()) {
      const eb = box(el);
      if (eb && eb[0] >= b[0] && eb[1] >= b[1] && eb[0] + eb[2] <= b[0] + b[2] && eb[1] + eb[3] <= b[1] + b[3]) ids.push(el.id);
    }
    this.app.select(ids);
  }

  // -- creating -------------------------------------------------------------------

  finishStroke(raw) {
    const app = this.app;
    const pts = strokePoints(raw.length === 1 ? [raw[0], raw[0]] : raw, this.view.cam.z);
    const flat = pts.flat();
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    app.create('stroke', { x: Math.min(...xs), y: Math.min(...ys), points: flat,
      color: app.opts.penColor || app.me.color, width: app.opts.penWidth }, { select: false });
  }

  finishLane(g, world) {
    const app = this.app;
    const [x0, y0] = g.startWorld;
    const width = g.moved ? Math.max(LANE_MIN_W, Math.abs(world[0] - x0)) : 900;
    const left = g.moved ? Math.min(x0, world[0]) : x0;
    let start = null;
    let best = Infinity;
    for (const el of app.sync.elements.values()) { // lanes share one time axis
      if (el.kind !== 'lane' || day(el.start) === null) continue;
      const d = Math.abs(num(el, 'y') - y0);
      if (d < best) {
        best = d;
        start = addDays(el.start, (left - num(el, 'x')) / LANE_PX_PER_DAY);
      }
    }
    start = start || isoDay(Date.UTC(new Date().getFullYear(), new Date().getMonth(), new Date().getDate()));
    const end = addDays(start, Math.max(40, width / LANE_PX_PER_DAY));
    app.create('lane', { x: Math.round(left), y: Math.round(y0 - 40), label: t('new.lane'), start, end }, { edit: true });
  }

  place(tool, world, target) {
    const app = this.app;
    const [x, y] = world.map(Math.round);
    const o = app.opts;
    if (tool === 'note') {
      const fields = { x: x - NOTE.w / 2, y: y - NOTE.h / 2, w: NOTE.w, h: NOTE.h, text: '' };
      const topic = o.topic === 'auto' ? app.topicAt(x, y) : o.topic;
      if (topic) fields.topic = topic;
      app.create('note', fields, { edit: true });
    } else if (tool === 'text') app.create('text', { x, y: y - 12, text: t('new.text'), size: KINDS.text.geometry.new.size }, { edit: true });
    else if (tool === 'territory') {
      app.create('territory', { ...centred('territory', x, y), label: { person: app.me.name, team: t('new.team'), manager: t('new.manager'), table: t('new.other_table') }[o.node] || t('new.team'),
        node: o.node, owner: app.me.name }, { edit: true });
    } else if (tool === 'role_card') {
      const fields = { ...centred('role_card', x, y), role: o.role, holder: app.me.name };
      if (o.role === 'custom') fields.title = t('new.my_role');
      app.create('role_card', fields, { edit: o.role === 'custom' ? 'title' : 'holder' });
    } else if (tool === 'ritual') app.create('ritual', { ...centred('ritual', x, y), moment: '', focus: '', symbol: '' }, { edit: 'moment' });
    else if (tool === 'grade_scale') app.create('grade_scale', { ...centred('grade_scale', x, y), label: t('new.grade_scale') }, { edit: true });
    else if (tool === 'grade_vote') this.placeGradeVote(world, target);
    else if (tool === 'milestone') this.placeMilestone(world, target);
  }

  placeGradeVote(world, target) {
    const app = this.app;
    const scale = target && target.kind === 'grade_scale' ? target : null;
    const spot = scale && scaleHit(scale, ...world);
    if (!spot) {
      app.hint(t('hint.grade_vote'));
      return;
    }
    const aspect = app.opts.aspect;
    const mine = [...app.sync.elements.values()].find((el) => el.kind === 'grade_vote'
      && el.scale === scale.id && el.aspect === aspect && el.author === app.sync.you);
    if (mine) {
      if (mine.grade !== spot.grade) app.commit([{ op: 'patch', id: mine.id, set: { grade: spot.grade } }]);
      return;
    }
    app.create('grade_vote', { x: Math.round(world[0]), y: Math.round(world[1]), scale: scale.id, grade: spot.grade, aspect }, { select: false });
  }

  placeMilestone(world, target) {
    const app = this.app;
    const lane = target && target.kind === 'lane' ? target
      : target && target.kind === 'milestone' ? app.sync.elements.get(target.lane) : null;
    const start = lane && day(lane.start);
    const end = lane && day(lane.end);
    if (!lane || start === null || end === null) {
      app.hint(t('hint.milestone'));
      return;
    }
    const at = Math.min(1, Math.max(0, (world[0] - num(lane, 'x')) / laneWidth(lane)));
    const date = isoDay(start + Math.round(at * daysBetween(start, end)) * 86400000);
    app.create('milestone', { x: Math.round(world[0]), y: Math.round(num(lane, 'y') + KINDS.lane.geometry.params.axis_y), lane: lane.id, date,
      label: t('new.milestone'), milestone: app.opts.milestone }, { edit: true });
  }

  drawSelection(others = []) { drawSelection(this, others); }

  boundsOf(id) { return boundsOf(this, id); }
}
