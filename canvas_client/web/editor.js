// The editor page (/b/{id}?t=TOKEN): wires the protocol client (sync.js), the
// SVG view, the tools and the panels together.

import { $, askText, h, humanError, pageParams, toast } from './dom.js';
import { CIRCLES, PLACED, box, frameAt, num, str } from './geometry.js';
import { deleteSelection, movableSelection, reorder, reparent } from './arrange.js';
import { Facilitator } from './facilitator.js';
import { applyI18n, preferredLang, setBoardLang, setLang, t, wireLangPicker } from './i18n.js';
import { closeInline, openInline, placeInline } from './inline.js';
import { Inspector } from './inspector.js';
import { onKey } from './keys.js';
import { Clipboard, manipKey, wireFocus } from './manip.js';
import { People } from './people.js';
import { showPrivateCount } from './privatecount.js';
import { Sheet, exerciseView, longPress } from './devices.js';
import { trackPointer } from './present.js';
import { BoardSync, newId, opId } from './sync.js';
import { Toolbar } from './toolbar.js';
import { Tools } from './tools.js';
import { UndoManager, inverseOps } from './undo.js';
import { BoardView } from './view.js';
import { keyBetween } from './zindex.js';

const { board, token } = pageParams();
const NAME_KEY = `tussentafel:name:${board}`;
const STICKY_TOOLS = new Set(['select', 'pen', 'link', 'grade_vote', 'milestone']); // stay on after use
// Written during a private round, these must be private (the server refuses them otherwise).
const PRIVATE_KINDS = new Set(['note', 'text', 'grade_vote']);

/** In the private round's scope: the whole board, or the frame (child or inside its box). */
function inPrivateScope(elements, frameId, el) {
  if (!frameId || el.parent === frameId) return true;
  const f = elements.get(frameId);
  if (!f || f.kind !== 'frame') return false;
  return el.x >= f.x && el.x <= f.x + f.w && el.y >= f.y && el.y <= f.y + f.h;
}

function storedName() {
  try {
    return localStorage.getItem(NAME_KEY) || '';
  } catch {
    return '';
  }
}

function storeName(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
    localStorage.setItem('tussentafel:name', name);
  } catch { /* private mode */ }
}

class Editor {
  constructor(name) {
    this.sync = new BoardSync({ board, token, name });
    this.selection = new Set();
    this.tool = 'select';
    this.opts = { topic: 'auto', node: 'person', rel: 'reports_to', role: 'pen_holder', aspect: 'current',
      milestone: 'deadline', penColor: '', penWidth: 4 };
    this.me = { id: '', name, color: '#334155' };
    this.following = true; // participants follow the facilitator unless they move away
    this.fitted = false;
    const svg = $('#board');
    this.view = new BoardView(svg, {
      elements: () => this.sync.elements,
      author: (el) => this.author(el),
      onCamera: () => this.cameraMoved(),
    });
    this.undo = new UndoManager({ push: (ops) => this.sync.push(ops).batch, elements: () => this.sync.elements });
    this.tools = new Tools(this);
    this.people = new People(this);
    this.inspector = new Inspector(this);
    this.toolbar = new Toolbar(this);
    this.facilitator = null;
    this.sheet = new Sheet();
    longPress(this);
    trackPointer(this);
    this.clipboard = new Clipboard(this);
    this.wire();
    wireFocus(this);
  }

  get role() { return this.sync.role; }

  wire() {
    const sync = this.sync;
    sync.on('status', ({ status }) => {
      document.body.dataset.connection = status === 'idle' ? 'connecting' : status;
      $('#conn').textContent = t(`conn.${status === 'idle' ? 'connecting' : status}`);
    });
    sync.on('welcome', (message) => {
      document.body.dataset.role = message.role;
      this.boardLang(message.lang);
      this.me.id = message.you;
      const self = sync.participants.get(message.you);
      if (self) this.me.color = self.color;
      document.documentElement.style.setProperty('--me', this.me.color);
      if (message.role === 'facilitator' && !this.facilitator) this.facilitator = new Facilitator(this);
      this.toolbar.render();
    });
    sync.on('change', ({ ids }) => {
      this.view.update(ids);
      if (ids === null || [...ids].some((id) => this.selection.has(id))) {
        for (const id of [...this.selection]) if (!sync.elements.has(id)) this.selection.delete(id);
        this.inspector.render();
      }
      this.redrawSelection();
      if (!this.fitted && sync.welcomes) {
        this.fitted = true;
        if (!this.followLeader() && !exerciseView(this)) this.view.fit(this.view.contentBounds(), 60, 1);
      }
    });
    sync.on('rejected', (ack) => {
      this.undo.rejected(ack.id);
      toast(humanError(ack.code, ack.message), 'error');
    });
    sync.on('ack', (ack) => this.undo.acked(ack.id));
    sync.on('presence', ({ participants }) => {
      const self = sync.participants.get(sync.you);
      if (self && self.color !== this.me.color) {
        this.me.color = self.color;
        document.documentElement.style.setProperty('--me', this.me.color);
      }
      this.people.update(participants);
      if (participants.some((p) => p.id === sync.session.follow)) this.followLeader();
      this.redrawSelection();
    });
    sync.on('session', (session) => {
      if (session.follow !== this.leader) { // a new lead: follow it until told otherwise
        this.leader = session.follow;
        this.following = true;
      }
      this.people.session();
      this.followLeader();
    });
    sync.on('event', (message) => {
      if (message.name === 'snapshot' && this.facilitator) this.facilitator.loadSnapshots();
      if (message.name === 'reveal' && message.ids && message.ids.length) toast(t('editor.revealed', { n: message.ids.length }), 'ok');
      if (message.name === 'private_count') showPrivateCount(message.count);
    });
    sync.on('outbox', ({ full }) => { if (full) toast(t('outbox.full'), 'error', 10000); });
    // what a closed tab of this board had not sent went out now, under its id
    sync.on('recovered', ({ acked: n }) => {
      if (n) toast(t(n === 1 ? 'outbox.recovered_one' : 'outbox.recovered_many', { n }), 'ok');
    });
    // the others stop showing this cursor when it leaves the board or the window
    const away = () => sync.presence({ cursor: null });
    $('#board').addEventListener('pointerleave', away);
    window.addEventListener('blur', away);
    window.addEventListener('pagehide', away);
    sync.on('closed', ({ code }) => {
      const why = t(code === 4404 ? 'closed.unknown' : code === 4401 ? 'closed.unauthorized' : 'closed.other');
      toast(why, 'error', 600000);
    });
    window.addEventListener('online', () => sync.reconnectNow());
    document.addEventListener('keydown', (e) => manipKey(this, e) || onKey(this, e));
    document.addEventListener('keyup', (e) => { if (e.code === 'Space') this.tools.spaceDown = false; });
    window.addEventListener('resize', () => this.cameraMoved());
    $('#zoom-in').addEventListener('click', () => this.zoom(1.25));
    $('#zoom-out').addEventListener('click', () => this.zoom(0.8));
    $('#zoom-fit').addEventListener('click', () => { this.view.fit(this.view.contentBounds(), 60, 1); this.userMovedView(); });
    $('#me').addEventListener('click', () => this.rename());
    wireLangPicker($('#ui-lang'), () => this.relabel());
  }

  start(info) {
    this.sync.connect();
    if (info) {
      this.title = info.title;
      $('#board-title').textContent = info.title;
      document.title = `${info.title} · Tussentafel`;
    }
    $('#me').textContent = this.me.name;
  }

  /** The board's language (welcome.lang): dates follow it; so do the labels
   * unless this person chose their own language. */
  boardLang(code) {
    if (!code) return;
    const before = document.documentElement.lang;
    setBoardLang(code);
    setLang(preferredLang() || code);
    if (document.documentElement.lang !== before) this.relabel();
  }

  /** Draw every label again in the current language. */
  relabel() {
    applyI18n();
    const status = this.sync.status;
    $('#conn').textContent = t(`conn.${status === 'idle' ? 'connecting' : status}`);
    if (this.title) $('#board-title').textContent = this.title;
    $('#ui-lang').value = document.documentElement.lang;
    this.toolbar.render();
    this.inspector.render();
    this.people.session();
    if (this.facilitator) {
      this.facilitator.render();
      this.facilitator.bin.relabel();
    }
    this.view.update(null);
    this.redrawSelection();
  }

  // -- people and colours ---------------------------------------------------------

  author(el) {
    const p = el.author && this.sync.participants.get(el.author);
    return p ? { name: p.name || t('person.someone'), color: p.color } : null;
  }

  async rename() {
    const name = await askText({ title: t('name.title'), label: t('name.label'), value: this.me.name, button: t('common.save') });
    storeName(name);
    this.me.name = name;
    $('#me').textContent = name;
    this.sync.rename(name);
  }

  // -- camera, presence, follow -------------------------------------------------------

  cameraMoved() {
    if (!this.view) return;
    const { x, y, z } = this.view.cam;
    let grid = 24 * z;
    while (grid < 12) grid *= 5;
    const stage = this.view.svg.parentElement;
    stage.style.backgroundSize = `${grid}px ${grid}px`;
    stage.style.backgroundPosition = `${-x * z}px ${-y * z}px`;
    const vp = this.view.viewport().map((v) => Math.round(v * 10) / 10);
    this.sync.presence({ viewport: vp });
    this.people && this.people.place();
    this.redrawSelection();
    placeInline(this);
  }

  pointerAt(world) {
    this.sync.presence({ cursor: world.map((v) => Math.round(v)) });
  }

  userMovedView() {
    const leader = this.sync.session.follow;
    if (leader && leader !== this.sync.you && this.following) {
      this.following = false;
      this.people.session();
    }
  }

  /** Show what the leader sees; true if following. */
  followLeader() {
    const leader = this.sync.session.follow;
    if (!leader || leader === this.sync.you || !this.following) return false;
    const p = this.sync.participants.get(leader);
    if (!p || !Array.isArray(p.viewport)) return false;
    this.view.fit(p.viewport, 0, 4);
    return true;
  }

  zoom(factor) {
    this.view.zoomAt(this.view.width / 2, this.view.height / 2, factor);
    this.userMovedView();
  }

  // -- selection ------------------------------------------------------------------------

  select(ids) {
    this.selection = new Set(ids.filter((id) => this.sync.elements.has(id)));
    this.sync.presence({ selection: [...this.selection].slice(0, 500) });
    this.redrawSelection();
    this.inspector.render();
    this.sheet.selected(this.selection.size);
  }

  redrawSelection() {
    this.tools.drawSelection(this.people.selections());
  }

  movableSelection() { return movableSelection(this); }

  deleteSelection() { deleteSelection(this); }

  reorder(where) { reorder(this, where); }

  // -- editing --------------------------------------------------------------------------

  /** May this user change el? (the server decides; this spares a round trip) */
  mayEdit(el, tell = false) {
    let why = '';
    if (this.role === 'viewer') why = t('err.readonly');
    else if (this.role !== 'facilitator') {
      if (el.locked === true) why = t('err.locked');
      else if (el.kind === 'grade_vote' && el.author !== this.sync.you) why = t('err.vote_owner');
    }
    if (why && tell) toast(why, 'error');
    return !why;
  }

  /** Push ops as one batch (optimistic); returns the batch id or null. */
  commit(ops, { undo = true } = {}) {
    if (!ops.length) return null;
    for (const op of ops) {
      const el = this.sync.elements.get(opId(op));
      if (op.op !== 'put' || el) {
        if (el && !this.mayEdit(el, true)) return null;
      }
    }
    if (this.role === 'viewer') {
      toast(t('err.readonly'), 'error');
      return null;
    }
    const inverse = undo ? inverseOps(this.sync.elements, ops) : null;
    const { batch } = this.sync.push(ops);
    if (inverse) this.undo.record(batch, inverse);
    return batch;
  }

  topZ() {
    let top = null;
    for (const el of this.sync.elements.values()) if (typeof el.z === 'string' && (top === null || el.z > top)) top = el.z;
    return top;
  }

  /** A new element of `kind` at the top, in the frame it was made in. */
  create(kind, fields, { edit = false, select = true } = {}) {
    const el = { id: newId(kind.slice(0, 2)), kind, ...fields, z: keyBetween(this.topZ(), null) };
    const b = box(el);
    const [cx, cy] = CIRCLES.has(kind) ? [num(el, 'x'), num(el, 'y')] : b ? [b[0] + 1, b[1] + 1] : [num(el, 'x'), num(el, 'y')];
    const parent = !PLACED[kind] && kind !== 'link' ? frameAt(this.sync.elements, cx, cy) : null;
    if (parent) el.parent = parent.id;
    const session = this.sync.session;
    if (PRIVATE_KINDS.has(kind) && session.private && inPrivateScope(this.sync.elements, session.private_frame, el)) el.private = true;
    const batch = this.commit([{ op: 'put', el }]);
    if (!batch) return null;
    if (select) this.select([el.id]);
    if (!STICKY_TOOLS.has(this.tool)) this.setTool('select');
    if (edit) openInline(this, el.id, typeof edit === 'string' ? edit : null, true);
    return el;
  }

  /** Drag in progress: push the latest ops at most every few frames. */
  dragFrame(g) {
    if (!g.checked) {
      g.checked = true;
      for (const el of g.before.values()) {
        if (!this.mayEdit(el, true)) {
          g.type = 'none';
          g.ops = null;
          return;
        }
      }
    }
    g.latest = g.ops;
    if (g.timer) {
      this.previewDrag(g);
      return;
    }
    const interval = Math.max(40, g.ops.length * 8);
    const flush = () => {
      g.timer = null;
      if (!g.latest) return;
      this.sync.push(g.latest);
      g.sent = g.latest;
      g.latest = null;
      g.timer = setTimeout(flush, interval);
    };
    flush();
  }

  /** Between pushes, nudge the moved nodes so the drag stays smooth. */
  previewDrag(g) {
    if (!g.sent || !g.latest) return;
    const sent = new Map(g.sent.map((op) => [op.id, op.set]));
    for (const op of g.latest) {
      const was = sent.get(op.id);
      const node = this.view.nodes.get(op.id);
      if (!was || !node || !('x' in op.set) || !('x' in was)) continue;
      node.setAttribute('transform', `translate(${op.set.x - was.x} ${op.set.y - was.y})`);
    }
  }

  endDrag(g) {
    clearTimeout(g.timer);
    g.timer = null;
    if (!g.before || !g.ops || g.type === 'none') return;
    const ops = g.ops.map((op) => ({ ...op, set: { ...op.set } }));
    if (g.type === 'move') reparent(this, g, ops);
    const { batch } = this.sync.push(ops);
    this.undo.record(batch, inverseOps(g.before, ops));
  }

  editInline(id, field = null) {
    openInline(this, id, field, false);
  }

  closeInline() {
    closeInline(this, true);
  }

  topicAt(x, y) {
    const frame = frameAt(this.sync.elements, x, y);
    const label = str(frame && frame.label).toLowerCase();
    if (/why|waarom/.test(label)) return 'why_here';
    if (/collective|joint task|task|opgave/.test(label) && !/why|waarom/.test(label)) return 'collective_task';
    if (/conduct|value|omgangscode|waarden/.test(label)) return 'value';
    return null;
  }

  hint(message) {
    toast(message, 'info', 3000);
  }

  setTool(tool) {
    this.tool = tool;
    this.tools.clear();
    this.toolbar.render();
    document.body.dataset.tool = tool;
  }

}

async function boardInfo() {
  try {
    const r = await fetch(`/api/boards/${encodeURIComponent(board)}`, { headers: { authorization: `Bearer ${token}` } });
    return r.ok ? await r.json() : null;
  } catch {
    return null;
  }
}

async function main() {
  setLang(preferredLang() || 'en');
  applyI18n();
  if (!board || !token) {
    document.body.dataset.connection = 'closed';
    $('#stage').replaceChildren(h('div', { class: 'empty-state' },
      h('h2', {}, t('missing.title')),
      h('p', {}, t('missing.text')),
      h('p', {}, h('a', { href: '/' }, t('missing.create')))));
    return;
  }
  const info = await boardInfo();
  if (info && info.lang) {
    setBoardLang(info.lang);
    setLang(preferredLang() || info.lang);
    applyI18n();
  }
  let name = storedName();
  if (!name) {
    let last = '';
    try {
      last = localStorage.getItem('tussentafel:name') || '';
    } catch { /* private mode */ }
    name = await askText({ title: t('welcome.title'), label: t('welcome.label'), value: last,
      placeholder: t('welcome.placeholder'), button: t('welcome.button'), id: 'name-prompt' });
    storeName(name);
  }
  const editor = new Editor(name);
  window.tussentafel = { editor, sync: editor.sync, view: editor.view };
  editor.start(info);
}

main();
