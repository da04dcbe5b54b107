// The board as SVG: camera (pan/zoom), one node per element kept in drawing
// order, and re-rendering of only the touched ids (plus the elements drawn
// relative to them: links, milestones, grade votes, votes).

import {
  PLACED, bounds, compareOrder, groupKey, layer, placeGroup, sortMembers, str, union,
} from './geometry.js';
import { markers, renderElement, s } from './render.js';

// a milestone also hangs on its frame: one without a lane is drawn in it (geometry.js)
const REFS = { link: ['from', 'to'], milestone: ['lane', 'parent'], grade_vote: ['scale'], vote: ['target'] };
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 4;

export class BoardView {
  /** svg: the <svg> to draw into; elements(): the Map to show; author(el) ->
   * {name, color}|null; onCamera(view) after every camera change. */
  constructor(svg, { elements, author, onCamera = () => {} }) {
    this.svg = svg;
    this.elements = elements;
    this.author = author;
    this.onCamera = onCamera;
    this.cam = { x: 0, y: 0, z: 1 };
    this.nodes = new Map();
    this.deps = new Map(); // target id -> ids drawn relative to it
    this.refs = new Map(); // id -> target ids it points at
    this.groups = new Map(); // group key -> ids placed together
    this.groupOf = new Map();
    this.filter = null; // optional (el) -> bool: hide elements
    svg.append(s('defs', {}, markers()));
    this.world = s('g', { class: 'world' });
    this.layers = [0, 1, 2].map((i) => s('g', { class: `layer layer-${i}` }));
    this.overlay = s('g', { class: 'overlay' });
    this.world.append(...this.layers, this.overlay);
    this.screen = s('g', { class: 'screen-overlay' });
    svg.append(this.world, this.screen);
    this._places = null;
    this.applyCamera();
  }

  // -- camera -----------------------------------------------------------------

  get width() { return this.svg.clientWidth || 1; }
  get height() { return this.svg.clientHeight || 1; }

  applyCamera() {
    const { x, y, z } = this.cam;
    this.world.setAttribute('transform', `translate(${-x * z} ${-y * z}) scale(${z})`);
    this.svg.style.setProperty('--zoom', z);
    this.onCamera(this);
  }

  toWorld(sx, sy) {
    return [this.cam.x + sx / this.cam.z, this.cam.y + sy / this.cam.z];
  }

  toScreen(wx, wy) {
    return [(wx - this.cam.x) * this.cam.z, (wy - this.cam.y) * this.cam.z];
  }

  /** The world rectangle in view: [x, y, w, h]. */
  viewport() {
    return [this.cam.x, this.cam.y, this.width / this.cam.z, this.height / this.cam.z];
  }

  panBy(dx, dy) {
    this.cam.x -= dx / this.cam.z;
    this.cam.y -= dy / this.cam.z;
    this.applyCamera();
  }

  zoomAt(sx, sy, factor) {
    const [wx, wy] = this.toWorld(sx, sy);
    const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.cam.z * factor));
    this.cam = { x: wx - sx / z, y: wy - sy / z, z };
    this.applyCamera();
  }

  /** Show the world rectangle b whole, centred, with `pad` screen pixels around. */
  fit(b, pad = 40, maxZoom = 1.5) {
    if (!b) return;
    const w = Math.max(1, this.width - 2 * pad);
    const h = Math.max(1, this.height - 2 * pad);
    const z = Math.min(maxZoom, Math.max(MIN_ZOOM, Math.min(w / Math.max(b[2], 1), h / Math.max(b[3], 1))));
    this.cam = { x: b[0] + b[2] / 2 - this.width / 2 / z, y: b[1] + b[3] / 2 - this.height / 2 / z, z };
    this.applyCamera();
  }

  contentBounds() {
    this._places = new Map();
    const boxes = [];
    for (const el of this.elements().values()) {
      if (!this.filter || this.filter(el)) boxes.push(bounds(el, this.place(el)));
    }
    this._places = null;
    return union(boxes);
  }

  // -- elements ----------------------------------------------------------------

  get(id) {
    return this.elements().get(id);
  }

  /** Where a placed kind goes (null: at its own x/y). */
  place(el) {
    if (!PLACED[el.kind]) return null;
    const key = `${el.kind}:${groupKey(el)}`;
    const cache = this._places;
    if (cache && cache.has(key)) return cache.get(key).get(el.id) || null;
    const elements = this.elements();
    const target = elements.get(str(el[PLACED[el.kind]]));
    const members = [];
    for (const id of this.groups.get(key) || []) {
      const other = elements.get(id);
      if (other) members.push(other);
    }
    if (!members.some((m) => m.id === el.id)) members.push(el);
    const out = new Map();
    placeGroup(el.kind, target, sortMembers(el.kind, members), out, (id) => elements.get(id));
    if (cache) cache.set(key, out);
    return out.get(el.id) || null;
  }

  _index(id, el) {
    for (const target of this.refs.get(id) || []) this.deps.get(target)?.delete(id);
    this.refs.delete(id);
    const oldGroup = this.groupOf.get(id);
    if (oldGroup) this.groups.get(oldGroup)?.delete(id);
    this.groupOf.delete(id);
    if (!el) return;
    const targets = (REFS[el.kind] || []).map((k) => str(el[k])).filter(Boolean);
    if (targets.length) {
      this.refs.set(id, targets);
      for (const target of targets) {
        if (!this.deps.has(target)) this.deps.set(target, new Set());
        this.deps.get(target).add(id);
      }
    }
    if (PLACED[el.kind]) {
      const key = `${el.kind}:${groupKey(el)}`;
      if (!this.groups.has(key)) this.groups.set(key, new Set());
      this.groups.get(key).add(id);
      this.groupOf.set(id, key);
    }
  }

  /** Re-render the touched ids (null: everything). */
  update(ids) {
    const elements = this.elements();
    if (ids === null) {
      for (const g of this.layers) g.replaceChildren();
      this.nodes.clear();
      this.deps.clear();
      this.refs.clear();
      this.groups.clear();
      this.groupOf.clear();
      for (const [id, el] of elements) this._index(id, el);
      this._places = new Map();
      const sorted = [...elements.values()].sort(compareOrder);
      for (const el of sorted) {
        if (this.filter && !this.filter(el)) continue;
        const node = renderElement(el, this);
        node.__order = el;
        this.nodes.set(el.id, node);
        this.layers[layer(el)].append(node);
      }
      this._places = null;
      return;
    }
    const touched = new Set();
    const addGroup = (key) => { for (const m of this.groups.get(key) || []) touched.add(m); };
    for (const id of ids) {
      touched.add(id);
      if (this.groupOf.has(id)) addGroup(this.groupOf.get(id));
      this._index(id, elements.get(id));
      if (this.groupOf.has(id)) addGroup(this.groupOf.get(id));
    }
    for (const id of [...touched]) {
      for (const dep of this.deps.get(id) || []) {
        touched.add(dep);
        if (this.groupOf.has(dep)) addGroup(this.groupOf.get(dep));
      }
    }
    this._places = new Map();
    for (const id of touched) this._render(id, elements.get(id));
    this._places = null;
  }

  _render(id, el) {
    const old = this.nodes.get(id);
    if (!el || (this.filter && !this.filter(el))) {
      if (old) old.remove();
      this.nodes.delete(id);
      return;
    }
    const node = renderElement(el, this);
    node.__order = el;
    this.nodes.set(id, node);
    if (old && old.__order && compareOrder(old.__order, el) === 0 && layer(old.__order) === layer(el)) {
      old.replaceWith(node);
      return;
    }
    if (old) old.remove();
    const g = this.layers[layer(el)];
    const kids = g.children;
    let lo = 0;
    let hi = kids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareOrder(kids[mid].__order, el) < 0) lo = mid + 1;
      else hi = mid;
    }
    g.insertBefore(node, kids[lo] || null);
  }
}
