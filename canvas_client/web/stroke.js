// Freehand strokes: smoothed pointer samples, simplified so that a stroke
// stays within the server's limit of 10 000 numbers.

const MAX_NUMBERS = 10000;

/** Douglas-Peucker: fewer points, same shape (tolerance in world units). */
function simplify(pts, tolerance) {
  if (pts.length < 3) return pts;
  const keep = new Uint8Array(pts.length);
  keep[0] = keep[pts.length - 1] = 1;
  const stack = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = pts[a];
    const [bx, by] = pts[b];
    const len = Math.hypot(bx - ax, by - ay) || 1;
    let far = -1;
    let index = -1;
    for (let i = a + 1; i < b; i += 1) {
      const d = Math.abs((bx - ax) * (ay - pts[i][1]) - (ax - pts[i][0]) * (by - ay)) / len;
      if (d > far) {
        far = d;
        index = i;
      }
    }
    if (far > tolerance) {
      keep[index] = 1;
      stack.push([a, index], [index, b]);
    }
  }
  return pts.filter((_, i) => keep[i]);
}

/** Smooth raw pointer samples (moving average), then simplify to fit the limit. */
export function strokePoints(raw, zoom) {
  const smooth = raw.map((p, i) => {
    const win = raw.slice(Math.max(0, i - 2), i + 3);
    return [win.reduce((a, q) => a + q[0], 0) / win.length, win.reduce((a, q) => a + q[1], 0) / win.length];
  });
  if (raw.length) {
    smooth[0] = raw[0];
    smooth[smooth.length - 1] = raw[raw.length - 1];
  }
  let tolerance = 0.6 / zoom;
  let pts = simplify(smooth, tolerance);
  while (pts.length * 2 > MAX_NUMBERS) {
    tolerance *= 2;
    pts = simplify(smooth, tolerance);
  }
  return pts.map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
}
