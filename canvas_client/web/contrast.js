// WCAG contrast: darker variants of participant and kind colours, so that text
// in (or on) such a colour reads at least 4.5:1 (AA). Pure: no DOM.

function rgb(hex) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex || '').trim());
  if (!m) return null;
  const v = m[1].length === 3 ? m[1].replace(/./g, (c) => c + c) : m[1];
  return [0, 2, 4].map((i) => parseInt(v.slice(i, i + 2), 16));
}

function luminance([r, g, b]) {
  const lin = (c) => {
    const x = c / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The contrast ratio of two #rrggbb colours (1..21). */
export function contrast(a, b) {
  const [la, lb] = [luminance(rgb(a)), luminance(rgb(b))].sort((x, y) => y - x);
  return (la + 0.05) / (lb + 0.05);
}

const hex = (c) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

/** `color`, darkened just enough to contrast `against` by `ratio` (a light
 * `against`, e.g. white text or a note's paper). Unknown colours pass. */
export function readable(color, against = '#ffffff', ratio = 4.5) {
  const c = rgb(color);
  if (!c || !rgb(against)) return color;
  for (let k = 1; k > 0; k -= 0.04) {
    const out = hex(c.map((v) => v * k));
    if (contrast(out, against) >= ratio) return out;
  }
  return '#000000';
}
