// The smallest text on screen in CSS px: HTML by its computed font size, SVG
// text by its computed font size times the SVG's scale on screen.
// Used by tests/test_devices.py through page.evaluate.
() => {
  const W = innerWidth, H = innerHeight;
  const visible = (el, r) => {
    const st = getComputedStyle(el);
    return st.visibility === 'visible' && st.display !== 'none' && Number(st.opacity) > 0
      && r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < W && r.top < H;
  };
  let min = Infinity, what = '';
  const consider = (px, el) => { if (px < min) { min = px; what = (el.textContent || '').trim().slice(0, 40); } };
  for (const t of document.querySelectorAll('svg text')) {
    if (!t.textContent.trim()) continue;
    const r = t.getBoundingClientRect();
    if (!visible(t, r)) continue;
    const m = t.getScreenCTM();
    consider(parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b), t);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg')) continue;
    const own = el.matches('select, input, textarea, button')
      || [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (!visible(el, r)) continue;
    consider(parseFloat(getComputedStyle(el).fontSize), el);
  }
  return { min, what };
}
