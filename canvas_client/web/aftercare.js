// "After the Atelier" in the facilitator's panel: open the report, download
// the board as a JSON archive, delete the board (only after typing its title).

import { h, humanError, toast } from './dom.js';
import { t } from './i18n.js';

function boardUrl(board, path = '') {
  return `/api/boards/${encodeURIComponent(board)}${path}`;
}

async function call(board, token, path, method = 'GET') {
  const r = await fetch(boardUrl(board, path), { method, headers: { authorization: `Bearer ${token}` } });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(data.message || r.statusText), { code: data.error });
  return data;
}

/** A modal that deletes the board once its exact title is typed; cancel closes it. */
async function confirmDelete(board, token) {
  let title;
  try {
    title = (await call(board, token, '')).title;
  } catch (err) {
    toast(humanError(err.code, err.message), 'error');
    return;
  }
  const input = h('input', { type: 'text', id: 'delete-board-input', autocomplete: 'off', 'aria-label': t('after.delete') });
  const go = h('button', { type: 'submit', class: 'danger', id: 'delete-board-confirm', disabled: true }, t('after.delete_confirm'));
  input.addEventListener('input', () => { go.disabled = input.value.trim() !== title.trim(); });
  const form = h('form', { class: 'modal-card', id: 'delete-board' },
    h('h2', {}, t('after.delete')),
    h('label', { for: 'delete-board-input' }, t('after.delete_prompt', { title })),
    input,
    h('div', { class: 'row end' },
      h('button', { type: 'button', id: 'delete-board-cancel', onclick: () => back.remove() }, t('after.cancel')),
      go));
  const back = h('div', { class: 'modal' }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (input.value.trim() !== title.trim()) {
      toast(t('after.delete_mismatch'), 'error');
      return;
    }
    try {
      await call(board, token, '', 'DELETE');
    } catch (err) {
      toast(humanError(err.code, err.message), 'error');
      return;
    }
    back.remove();
    document.body.dataset.deleted = 'true';
    toast(t('after.deleted'), 'ok', 8000);
  });
  document.body.append(back);
  input.focus();
}

/** The panel section (a fresh element on every render). */
export function afterAtelier(board, token) {
  const q = `t=${encodeURIComponent(token)}`;
  return h('section', { class: 'fac-block', id: 'after-atelier' }, h('h4', {}, t('after.title')),
    h('div', { class: 'row' },
      h('a', { class: 'button', id: 'open-report', href: `/b/${encodeURIComponent(board)}/report?${q}`, target: '_blank', rel: 'noopener' }, t('after.report'))),
    h('div', { class: 'row' },
      h('a', { class: 'button', id: 'export-board', href: `${boardUrl(board, '/export')}?${q}`, download: `tussentafel-${board}.json` }, t('after.export'))),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'danger', id: 'delete-board-open', onclick: () => confirmDelete(board, token) }, t('after.delete'))));
}
