// The projector (/b/{id}/screen?t=VIEWER_TOKEN): read-only, fits the whole
// board or follows the facilitator's view; join QR code and timer overlay.

import { $, h, mmss, pageParams } from './dom.js';
import { BoardSync } from './sync.js';
import { BoardView } from './view.js';
import { Presenter } from './screen_present.js';

const { board, token, join } = pageParams();

const sync = new BoardSync({ board, token, name: 'Projector' });
const view = new BoardView($('#board'), {
  elements: () => sync.elements,
  author: (el) => {
    const p = el.author && sync.participants.get(el.author);
    return p ? { name: p.name || 'Someone', color: p.color } : null;
  },
});
const presenter = new Presenter({ sync, view, board, token });
view.onCamera = () => presenter.camera();
let refit = null;
let timerTick = null;

function leaderViewport() {
  const leader = sync.session.follow;
  const p = leader && sync.participants.get(leader);
  return p && Array.isArray(p.viewport) ? p.viewport : null;
}

function frame() {
  if (presenter.fit()) return;
  const vp = leaderViewport();
  if (vp) view.fit(vp, 0, 4);
  else view.fit(view.contentBounds(), 28, 1.6);
}

function frameSoon() {
  clearTimeout(refit);
  refit = setTimeout(frame, 250);
}

function renderJoin() {
  const card = $('#join');
  const host = location.host;
  if (join) {
    const url = `${location.origin}/b/${encodeURIComponent(board)}?t=${encodeURIComponent(join)}`;
    card.replaceChildren(
      h('img', { src: `/api/qr.svg?data=${encodeURIComponent(url)}`, alt: 'QR code to join the board', width: 260, height: 260 }),
      h('div', { class: 'join-text' }, h('strong', {}, 'Join the board'), h('span', {}, 'Scan with your phone or laptop camera')));
  } else {
    card.replaceChildren(h('div', { class: 'join-text' }, h('strong', {}, 'Join the board'),
      h('span', {}, `Ask the facilitator for the link · ${host} · board ${board}`)));
  }
}

function renderTimer() {
  const box = $('#screen-timer');
  const t = sync.session.timer;
  clearInterval(timerTick);
  if (!t) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const draw = () => {
    const left = t.ends - sync.serverNow();
    box.replaceChildren(h('span', { class: 'timer-label' }, t.label || 'Timer'), h('span', { class: 'timer-time' }, left > 0 ? mmss(left) : "Time's up"));
    box.classList.toggle('done', left <= 0);
    box.classList.toggle('soon', left > 0 && left < 60000);
    if (left <= 0) clearInterval(timerTick);
  };
  timerTick = setInterval(draw, 250);
  draw();
}

function renderSession() {
  const banner = $('#screen-banner');
  const s = sync.session;
  banner.hidden = !s.private;
  banner.textContent = s.private ? 'Private round — write first; the notes appear when the facilitator reveals them' : '';
  const online = [...sync.participants.values()].filter((p) => p.online && p.role !== 'viewer').length;
  const leader = s.follow && sync.participants.get(s.follow);
  $('#screen-status').textContent = [`${online} at the table`, leader ? `following ${leader.name || 'the facilitator'}` : ''].filter(Boolean).join(' · ');
  renderTimer();
}

sync.on('status', ({ status }) => {
  document.body.dataset.connection = status === 'idle' ? 'connecting' : status;
  $('#conn').textContent = status === 'live' ? '' : { connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'This projector link is not valid (any more)' }[status] || '';
});
sync.on('change', ({ ids }) => {
  view.update(ids);
  presenter.camera();
  if (!leaderViewport() || presenter.frame) frameSoon();
});
sync.on('session', () => {
  presenter.session();
  renderSession();
  frame();
});
sync.on('presence', ({ participants }) => {
  if (sync.session.follow && participants.some((p) => p.id === sync.session.follow)) frame();
  presenter.pointers();
  renderSession();
});
window.addEventListener('resize', frameSoon);

renderJoin();
if (!board || !token) {
  $('#conn').textContent = 'This projector link is missing its access code';
} else {
  sync.connect();
  fetch(`/api/boards/${encodeURIComponent(board)}`, { headers: { authorization: `Bearer ${token}` } })
    .then((r) => (r.ok ? r.json() : null))
    .then((info) => {
      if (!info) return;
      $('#board-title').textContent = info.title;
      document.title = `${info.title} · projector`;
    })
    .catch(() => {});
}
window.tussentafel = { sync, view, presenter };
