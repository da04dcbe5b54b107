// The selection overlay: outlines of what this user (in their colour) and the
// others (dashed, in theirs) have selected, and the resize handle.

import { CIRCLES, PLACED, SIZES, box, num } from './geometry.js';
import { s } from './render.js';

export function drawSelection(tools, others = []) {
  const app = tools.app;
  const z = tools.view.cam.z;
  const out = [];
  for (const { ids, color } of others) {
    for (const id of ids) {
      const b = boundsOf(tools, id);
      if (b) out.push(s('rect', { x: b[0] - 4 / z, y: b[1] - 4 / z, width: b[2] + 8 / z, height: b[3] + 8 / z, class: 'other-sel', stroke: color }));
    }
  }
  for (const id of app.selection) {
    const b = boundsOf(tools, id);
    if (!b) continue;
    const pad = 4 / z;
    out.push(s('rect', { x: b[0] - pad, y: b[1] - pad, width: b[2] + 2 * pad, height: b[3] + 2 * pad, class: 'sel' }));
  }
  if (app.selection.size === 1) {
    const el = app.sync.elements.get([...app.selection][0]);
    const hs = 10 / z;
    if (el && app.mayEdit(el) && (CIRCLES.has(el.kind) || ['note', 'frame', 'text'].includes(el.kind))) {
      let hx;
      let hy;
      if (CIRCLES.has(el.kind)) {
        hx = num(el, 'x') + num(el, 'r');
        hy = num(el, 'y');
      } else {
        const b = box(el);
        hx = b[0] + b[2];
        hy = b[1] + b[3];
      }
      out.push(s('rect', { x: hx - hs / 2, y: hy - hs / 2, width: hs, height: hs, class: 'handle', 'data-handle': 'size' }));
    }
  }
  tools.selectionLayer.replaceChildren(...out);
}

export function boundsOf(tools, id) {
  const el = tools.app.sync.elements.get(id);
  if (!el) return null;
  if (PLACED[el.kind]) {
    const p = tools.view.place(el);
    const [x, y] = p || [num(el, 'x'), num(el, 'y')];
    return [x - 9, y - 9, 18, 18];
  }
  if (el.kind === 'link') {
    const node = tools.view.nodes.get(id);
    if (!node) return null;
    const bb = node.getBBox();
    return [bb.x, bb.y, bb.width, bb.height];
  }
  return box(el) || (SIZES[el.kind] ? [num(el, 'x'), num(el, 'y'), ...SIZES[el.kind]] : null);
}
