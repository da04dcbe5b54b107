// Small DOM helpers shared by the pages (no framework, no inline handlers: CSP).

import { t } from './i18n.js';

/** An HTML element: attrs (on* keys become listeners), children (strings are text). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'value') node.value = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

let toastTimer = null;

/** A short message at the bottom of the page (kind: info | error | ok). */
export function toast(message, kind = 'info', ms = 4000) {
  let box = $('#toast');
  if (!box) {
    box = h('div', { id: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  box.textContent = message;
  box.dataset.kind = kind;
  box.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove('show'), ms);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'offscreen' }, text);
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch { /* not allowed */ }
    area.remove();
    return ok;
  }
}

/** A modal asking for one line of text; resolves to it (or the default). */
export function askText({ title, label, value = '', placeholder = '', button = t('common.ok'), id = 'ask' }) {
  return new Promise((resolve) => {
    const input = h('input', { type: 'text', id: `${id}-input`, value, placeholder, maxlength: 80,
      autocomplete: 'off', 'aria-label': label });
    const form = h('form', { class: 'modal-card', id },
      h('h2', {}, title),
      h('label', { for: `${id}-input` }, label),
      input,
      h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary' }, button)));
    const back = h('div', { class: 'modal' }, form);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) {
        input.focus();
        return;
      }
      back.remove();
      resolve(text);
    });
    document.body.append(back);
    input.focus();
    input.select();
  });
}

/** One or two letters of a name: its first and last word, leaving out what is
 * in brackets and what is no letter or digit ("Marieke (facilitator)" -> "M"). */
export function initials(name) {
  const words = String(name || '').replace(/\([^)]*\)?|\[[^\]]*\]?/g, ' ').split(/\s+/);
  const firsts = words.map((w) => (w.match(/[\p{L}\p{N}]/u) || [''])[0]).filter(Boolean);
  if (!firsts.length) return '?';
  return (firsts[0] + (firsts.length > 1 ? firsts[firsts.length - 1] : '')).toUpperCase();
}

export function mmss(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return `${m}:${String(sec).padStart(2, '0')}`;
}

/** Route params of /b/{id}[/screen]?t=TOKEN#join=...&screen=... */
export function pageParams() {
  const parts = location.pathname.split('/').filter(Boolean);
  const hash = new URLSearchParams(location.hash.slice(1));
  return {
    board: decodeURIComponent(parts[1] || ''),
    token: new URLSearchParams(location.search).get('t') || '',
    join: hash.get('join') || '',
    screen: hash.get('screen') || '',
  };
}

/** A human sentence for a refused change (docs/protocol.md §3.4 codes). */
export function humanError(code, message = '') {
  const text = String(message || '');
  if (code === 'forbidden') {
    if (/locked/i.test(text)) return t('err.locked');
    if (/grade vote/i.test(text)) return t('err.vote_owner');
    if (/private mode/i.test(text)) return t('err.private_mode');
    if (/private/i.test(text)) return t('err.private');
    if (/viewer/i.test(text)) return t('err.readonly');
    if (/lock or unlock/i.test(text)) return t('err.lock_only');
    return t('err.forbidden');
  }
  if (code === 'conflict') return t('err.conflict');
  if (code === 'invalid') return t('err.invalid', { reason: text || t('err.invalid_reason') });
  if (code === 'too_large') return t('err.too_large');
  if (code === 'rate_limited') return t('err.rate_limited');
  if (code === 'unavailable') return t('err.unavailable');
  if (code === 'offline') return t('err.offline');
  if (code === 'timeout') return t('err.timeout');
  return text || t('err.unknown');
}
