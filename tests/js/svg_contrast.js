// Text drawn on notes and role cards whose colour contrast with what is behind
// it is under `ratio` (WCAG AA: 4.5). The background is the card's paper: a
// note's rect, a role card's header band or its white body.
// Used by tests/test_devices.py through page.evaluate.
async (ratio) => {
  const { contrast } = await import('/static/contrast.js');
  const hex = (rgb) => '#' + rgb.match(/\d+/g).slice(0, 3).map((v) => Number(v).toString(16).padStart(2, '0')).join('');
  const fill = (el) => hex(getComputedStyle(el).fill);
  const bad = [];
  let checked = 0;
  for (const g of document.querySelectorAll('[data-kind=note], [data-kind=role_card]')) {
    const paper = g.dataset.kind === 'note' ? fill(g.querySelectorAll('rect')[1]) : '#ffffff';
    const band = g.querySelector('path') ? fill(g.querySelector('path')) : paper;
    for (const t of g.querySelectorAll('text')) {
      const behind = g.dataset.kind === 'role_card' && t.classList.contains('label') ? band : paper;
      const c = contrast(fill(t), behind);
      checked += 1;
      if (c < ratio) bad.push(`${g.dataset.id} "${t.textContent.slice(0, 20)}" ${fill(t)} on ${behind}: ${c.toFixed(2)}`);
    }
  }
  return { checked, bad };
}
