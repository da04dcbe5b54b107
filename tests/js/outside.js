// Every visible control and text of the page chrome (not the board's SVG) whose
// box leaves the screen; `vertical` also checks top and bottom (pages that do
// not scroll). Inside a scrolling box only the part shown counts.
// Used by tests/test_devices.py through page.evaluate.
(vertical) => {
  const W = window.innerWidth, H = window.innerHeight, out = [];
  const sel = 'button, a, input, select, textarea, label, h1, h2, h3, h4, p, li, span, strong, [role=timer]';
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('svg, [hidden], .modal')) continue;
    const st = getComputedStyle(el);
    if (st.visibility !== 'visible' || st.display === 'none' || Number(st.opacity) === 0) continue;
    const rects = el.getClientRects();
    if (!rects.length) continue;
    let r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    let clipped = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (/(auto|scroll|hidden|clip)/.test(s.overflowY + s.overflowX)) {
        const b = a.getBoundingClientRect();
        if (r.bottom <= b.top || r.top >= b.bottom || r.right <= b.left || r.left >= b.right) { clipped = true; break; }
        r = { left: Math.max(r.left, b.left), right: Math.min(r.right, b.right),
              top: Math.max(r.top, b.top), bottom: Math.min(r.bottom, b.bottom) };
      }
    }
    if (clipped) continue;
    const bad = r.left < -0.5 || r.right > W + 0.5 || (vertical && (r.top < -0.5 || r.bottom > H + 0.5));
    if (bad) out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} "${(el.textContent || '').trim().slice(0, 30)}" `
      + `[${Math.round(r.left)},${Math.round(r.top)} - ${Math.round(r.right)},${Math.round(r.bottom)}]`);
  }
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth: W, outside: out };
}
