// An example host: another application that uses a Tussentafel board as its
// backend. It is served from ITS OWN origin and loads the protocol client
// (sync.js) from the Tussentafel server, which allows this origin
// (TUSSENTAFEL_ALLOWED_ORIGINS). Three of the board's kinds are drawn as this
// host's own simple shapes; every other kind is only counted.
//
// Open: index.html?server=http://127.0.0.1:8000&board=BOARD_ID&t=TOKEN

const params = new URLSearchParams(location.search);
const server = (params.get('server') || '').replace(/\/$/, '');
const board = params.get('board') || '';
const token = params.get('t') || '';
const SVG = 'http://www.w3.org/2000/svg';
const GRADE_COLORS = { fragmented: '#d73027', aligned: '#fc8d59', coordinated: '#91bfdb', integrated: '#4575b4' };
const GRADES = Object.keys(GRADE_COLORS);
const ROLES = ['chair', 'process_facilitator', 'expert', 'pen_holder', 'connector'];

const canvas = document.getElementById('canvas');
const $ = (id) => document.getElementById(id);
let selected = null;

function node(tag, attrs, text) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

// Board kind -> this host's shape. Each shape is a <g data-host-id data-host-kind>.
const SHAPES = {
  domain: (el) => [
    node('circle', { cx: el.x, cy: el.y, r: el.r, fill: el.color || '#b2df8a', 'fill-opacity': 0.5, stroke: '#33a02c' }),
    node('text', { x: el.x, y: el.y, 'text-anchor': 'middle' }, el.label),
  ],
  grade_vote: (el) => [
    node('rect', { x: el.x - 8, y: el.y - 8, width: 16, height: 16, rx: 3, fill: GRADE_COLORS[el.grade] || '#999' }),
    node('text', { x: el.x + 12, y: el.y + 5, 'font-size': 11 }, `${el.grade} (${el.aspect})`),
  ],
  role_card: (el) => [
    node('rect', { x: el.x, y: el.y, width: 150, height: 44, rx: 6, fill: '#fff', stroke: '#6a3d9a' }),
    node('text', { x: el.x + 8, y: el.y + 18, 'font-weight': 'bold' }, el.title || el.role),
    node('text', { x: el.x + 8, y: el.y + 36, 'font-size': 11 }, el.holder || '—'),
  ],
};

function draw(sync) {
  canvas.replaceChildren();
  let others = 0;
  const elements = [...sync.elements.values()].sort((a, b) => (a.z < b.z ? -1 : a.z > b.z ? 1 : 0));
  for (const el of elements) {
    const shape = SHAPES[el.kind];
    if (!shape) { others += 1; continue; }
    const g = node('g', { 'data-host-id': el.id, 'data-host-kind': el.kind });
    g.append(...shape(el));
    if (el.id === selected) g.firstChild.classList.add('selected');
    g.addEventListener('click', () => { selected = el.id; $('selected').textContent = el.id; draw(sync); });
    canvas.append(g);
  }
  $('others').textContent = others ? `${others} other elements (not shown here)` : '';
}

function randomIn(n) {
  return Math.round((Math.random() - 0.5) * n);
}

function newElement(newId, kind, sync) {
  const base = { id: newId(kind.slice(0, 1)), kind, x: randomIn(500), y: randomIn(350), z: `h${Date.now()}` };
  if (kind === 'domain') return { ...base, label: 'Domein', r: 50 };
  if (kind === 'grade_vote') {
    const scale = [...sync.elements.values()].find((el) => el.kind === 'grade_scale');
    return { ...base, scale: scale ? scale.id : 'scale', grade: GRADES[Math.floor(Math.random() * 4)], aspect: 'current' };
  }
  return { ...base, role: ROLES[Math.floor(Math.random() * ROLES.length)], holder: 'Host user' };
}

async function main() {
  if (!server || !board || !token) {
    $('problem').textContent = 'Open this page with ?server=...&board=...&t=...';
    document.body.dataset.host = 'closed';
    return;
  }
  const { BoardSync, newId } = await import(`${server}/static/sync.js`);
  const sync = new BoardSync({
    board, token, origin: server, name: 'Example host',
    // This host only makes its three kinds; anything else is a bug here.
    beforePush(ops) {
      for (const op of ops) {
        if (op.op === 'put' && !SHAPES[op.el.kind]) throw new Error(`this host does not make ${op.el.kind}`);
      }
      return ops;
    },
  });
  sync.on('status', ({ status }) => { $('status').textContent = status; document.body.dataset.host = status; });
  sync.on('change', () => draw(sync));
  sync.on('rejected', (ack) => { $('problem').textContent = `refused: ${ack.code} ${ack.message}`; });
  sync.on('refused', (r) => { $('problem').textContent = `the server refused this page (${r.status})`; });

  const add = (kind) => {
    const el = newElement(newId, kind, sync);
    sync.push([{ op: 'put', el }]);
    return el.id;
  };
  const move = (id, dx, dy) => {
    const el = sync.elements.get(id);
    if (el) sync.push([{ op: 'patch', id, set: { x: el.x + dx, y: el.y + dy } }]);
  };
  const remove = (id) => {
    if (sync.elements.has(id)) sync.push([{ op: 'del', id }]);
    if (selected === id) selected = null;
  };
  $('add-domain').onclick = () => add('domain');
  $('add-vote').onclick = () => add('grade_vote');
  $('add-role').onclick = () => add('role_card');
  $('move').onclick = () => selected && move(selected, 40, 0);
  $('delete').onclick = () => selected && remove(selected);

  window.host = { sync, add, move, remove };
  sync.connect();
}

main().catch((err) => {
  $('problem').textContent = String(err);
  document.body.dataset.host = 'closed';
});
