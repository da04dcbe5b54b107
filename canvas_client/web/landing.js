// The landing page: create a board, then show its three links and a QR code.

import { $, copyText, h, toast } from './dom.js';
import { applyI18n, browserLang, fmtTime, preferredLang, setBoardLang, setLang, t, wireLangPicker } from './i18n.js';
import { reach } from './reach.js';

const RECENT_KEY = 'tussentafel:recent';
const ROLES = ['facilitator', 'participant', 'viewer'];
let shown = null; // the board on show, redrawn when the language changes

function recent() {
  try {
    return JSON.parse(localStorage.getItem(RECENT_KEY) || '[]');
  } catch {
    return [];
  }
}

function remember(board) {
  const list = [board, ...recent().filter((b) => b.board !== board.board)].slice(0, 8);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  } catch { /* private mode */ }
}

/** The links as shown: the facilitator's and projector's carry the lesser
 * tokens in the fragment (never sent to the server) for invite and join QR. */
function pageLinks(made) {
  const join = encodeURIComponent(made.tokens.participant);
  const screen = encodeURIComponent(made.tokens.viewer);
  return {
    facilitator: `${made.links.facilitator}#join=${join}&screen=${screen}`,
    participant: made.links.participant,
    viewer: `${made.links.viewer}#join=${join}`,
  };
}

function showResult(made) {
  const links = pageLinks(made);
  shown = made;
  $('#result-title').textContent = t('landing.ready_named', { title: made.title });
  $('#links').replaceChildren(...ROLES.map((role) => {
    const [name, what] = [t(`landing.role.${role}`), t(`landing.role.${role}_what`)];
    const input = h('input', { type: 'text', readonly: true, value: links[role], 'aria-label': t('landing.link_label', { name }) });
    input.addEventListener('focus', () => input.select());
    return h('div', { class: 'link-row', dataset: { role } },
      h('div', { class: 'link-head' }, h('strong', {}, name), h('span', { class: 'muted' }, what)),
      h('div', { class: 'row' }, input,
        h('button', { type: 'button', class: 'copy', onclick: async () => toast(await copyText(links[role]) ? t('landing.copied', { name }) : t('landing.copy_manually'), 'ok') }, t('common.copy')),
        h('a', { class: 'button ghost', href: links[role], target: '_blank', rel: 'noopener' }, t('common.open'))));
  }));
  $('#qr-img').src = `/api/qr.svg?data=${encodeURIComponent(links.participant)}`;
  $('#open-facilitator').href = links.facilitator;
  $('#create-form').hidden = true;
  $('#result').hidden = false;
}

/** When the server listens on this machine only, say so plainly, and how to let phones in. */
function renderReach(info) {
  document.querySelector('#reach-warning')?.remove();
  if (!info || !info.loopback_only) return;
  const box = h('div', { id: 'reach-warning', class: 'card reach-warning', role: 'alert' },
    h('strong', {}, t('reach.loopback_title')),
    h('p', {}, t('reach.loopback_text')),
    h('code', {}, t('reach.command')));
  $('main.landing').prepend(box);
}

function renderRecent() {
  const list = recent();
  $('#recent').hidden = !list.length;
  $('#recent-list').replaceChildren(...list.map((b) => h('li', {},
    h('a', { href: b.facilitator }, b.title),
    h('span', { class: 'muted' }, ` · ${t(`landing.template.${b.template}`)} · ${fmtTime(b.at, { day: 'numeric', month: 'short', year: 'numeric' })}`))));
}

$('#create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = $('#create');
  const error = $('#create-error');
  error.hidden = true;
  button.disabled = true;
  const title = $('#title').value.trim() || t('landing.default_title');
  const template = new FormData(event.target).get('template') || 'blank';
  const lang = new FormData(event.target).get('lang') || browserLang();
  try {
    const r = await fetch('/api/boards', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, template, lang }) });
    const made = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(made.message || t('landing.server_said', { status: r.status }));
    remember({ board: made.board, title: made.title, template, at: Date.now(), facilitator: pageLinks(made).facilitator });
    showResult(made);
    renderRecent();
  } catch (err) {
    error.textContent = t('landing.create_failed', { error: err.message });
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});

$('#again').addEventListener('click', () => {
  shown = null;
  $('#result').hidden = true;
  $('#create-form').hidden = false;
  $('#title').value = '';
  $('#title').focus();
});

setLang(preferredLang() || browserLang());
setBoardLang(browserLang());
$(`input[name=lang][value=${browserLang()}]`).checked = true;
applyI18n();
wireLangPicker($('#ui-lang'), () => {
  if (shown) showResult(shown);
  renderRecent();
  reach().then(renderReach);
});
renderRecent();
reach().then(renderReach);
