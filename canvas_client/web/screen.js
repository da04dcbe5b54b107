// The projector (/b/{id}/screen?t=VIEWER_TOKEN): read-only, fits the whole
// board or follows the facilitator's view; join QR code and timer overlay.

import { $, h, mmss, pageParams } from './dom.js';
import { applyI18n, preferredLang, setBoardLang, setLang, t, wireLangPicker } from './i18n.js';
import { privateCountNode, showPrivateCount } from './privatecount.js';
import { BoardSync } from './sync.js';
import { BoardView } from './view.js';
import { Presenter } from './screen_present.js';
import { reach, shareBase } from './reach.js';

const { board, token, join } = pageParams();

const sync = new BoardSync({ board, token, name: t('enum.approle.viewer') });
const view = new BoardView($('#board'), {
  elements: () => sync.elements,
  author: (el) => {
    const p = el.author && sync.participants.get(el.author);
    return p ? { name: p.name || t('person.someone'), color: p.color } : null;
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
  const host = new URL(shareBase()).host;
  if (join) {
    const url = `${shareBase()}/b/${encodeURIComponent(board)}?t=${encodeURIComponent(join)}`;
    card.replaceChildren(
      h('img', { src: `/api/qr.svg?data=${encodeURIComponent(url)}`, alt: t('screen.qr_alt'), width: 260, height: 260 }),
      h('div', { class: 'join-text' }, h('strong', {}, t('screen.join')), h('span', {}, t('screen.scan'))));
  } else {
    card.replaceChildren(h('div', { class: 'join-text' }, h('strong', {}, t('screen.join')),
      h('span', {}, t('screen.ask', { host, board }))));
  }
}

function renderTimer() {
  const box = $('#screen-timer');
  const timer = sync.session.timer;
  clearInterval(timerTick);
  if (!timer) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const draw = () => {
    const left = timer.ends - sync.serverNow();
    box.replaceChildren(h('span', { class: 'timer-label' }, timer.label || t('timer.default')), h('span', { class: 'timer-time' }, left > 0 ? mmss(left) : t('timer.up')));
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
  banner.replaceChildren(...(s.private ? [t('screen.private'), ' ', privateCountNode(s.private_count)] : []));
  const online = [...sync.participants.values()].filter((p) => p.online && p.role !== 'viewer').length;
  const leader = s.follow && sync.participants.get(s.follow);
  $('#screen-status').textContent = [t('screen.at_table', { n: online }), leader ? t('screen.following', { name: leader.name || t('person.the_facilitator') }) : ''].filter(Boolean).join(' · ');
  renderTimer();
}

sync.on('status', ({ status }) => {
  document.body.dataset.connection = status === 'idle' ? 'connecting' : status;
  $('#conn').textContent = status === 'live' ? '' : status === 'closed' ? t('screen.closed') : t('conn.connecting');
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
sync.on('event', (message) => { if (message.name === 'private_count') showPrivateCount(message.count); });
sync.on('presence', ({ participants }) => {
  if (sync.session.follow && participants.some((p) => p.id === sync.session.follow)) frame();
  presenter.pointers();
  renderSession();
});
window.addEventListener('resize', frameSoon);

let title = '';

/** Every label again in the current language (own choice, else the board's). */
function relabel() {
  applyI18n();
  $('#ui-lang').value = document.documentElement.lang;
  if (title) {
    $('#board-title').textContent = title;
    document.title = t('screen.doc_title', { title });
  }
  renderJoin();
  renderSession();
  view.update(null);
  presenter.camera();
  presenter.renderInsights();
}

function boardLang(code) {
  if (!code) return;
  const before = document.documentElement.lang;
  setBoardLang(code);
  setLang(preferredLang() || code);
  if (document.documentElement.lang !== before) relabel();
}

sync.on('welcome', (message) => boardLang(message.lang));
setLang(preferredLang() || 'en');
applyI18n();
wireLangPicker($('#ui-lang'), relabel);
renderJoin();
reach().then((info) => { if (info) renderJoin(); }); // a QR code the phones in the room can open
if (!board || !token) {
  $('#conn').textContent = t('screen.missing');
} else {
  sync.connect();
  fetch(`/api/boards/${encodeURIComponent(board)}`, { headers: { authorization: `Bearer ${token}` } })
    .then((r) => (r.ok ? r.json() : null))
    .then((info) => {
      if (!info) return;
      title = info.title;
      boardLang(info.lang);
      relabel();
    })
    .catch(() => {});
}
window.tussentafel = { sync, view, presenter };
