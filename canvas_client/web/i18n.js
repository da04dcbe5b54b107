// Message catalogs for every user-facing string of the pages. The catalogs are
// the JSON files in ./locales/ (also read by the server for its own outputs);
// keys are dotted names, values may hold {name} placeholders.

import en from './locales/en.json' with { type: 'json' };
import nl from './locales/nl.json' with { type: 'json' };

export const CATALOGS = { nl, en };
export const LANGS = Object.keys(CATALOGS);
const PREF_KEY = 'tussentafel:lang';
const LOCALES = { nl: 'nl-NL', en: 'en-GB' }; // en-GB: "12 Mar 2027", like nl-NL's "12 mrt 2027"

let current = 'en';
let board = 'en'; // the board's language: dates and numbers follow it

/** The language in use for this person's UI. */
export function lang() {
  return current;
}

/** Use `code` for t() from now on ('nl' or 'en'; anything else is ignored). */
export function setLang(code) {
  if (CATALOGS[code]) {
    current = code;
    if (typeof document !== 'undefined') document.documentElement.lang = code;
  }
  return current;
}

/** This person's own choice, remembered in the browser (null when none). */
export function preferredLang() {
  try {
    const v = localStorage.getItem(PREF_KEY);
    return CATALOGS[v] ? v : null;
  } catch {
    return null;
  }
}

export function rememberLang(code) {
  try {
    localStorage.setItem(PREF_KEY, code);
  } catch { /* private mode: not remembered */ }
  return setLang(code);
}

/** The message `key` in the current language, with {name} placeholders filled. */
export function t(key, vars = {}) {
  const text = CATALOGS[current][key] ?? CATALOGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** The name of an enum value (`enum.<group>.<value>`); unknown values humanised. */
export function label(group, value) {
  if (typeof value !== 'string' || !value) return '';
  const key = `enum.${group}.${value}`;
  if (key in CATALOGS[current] || key in CATALOGS.en) return t(key);
  const text = value.replace(/_/g, ' ').trim();
  return text.slice(0, 1).toUpperCase() + text.slice(1);
}

/** The first of LANGS the browser asks for, else English. */
export function browserLang() {
  const asked = (typeof navigator !== 'undefined' && (navigator.languages || [navigator.language])) || [];
  for (const tag of asked) {
    const code = String(tag || '').slice(0, 2).toLowerCase();
    if (CATALOGS[code]) return code;
  }
  return 'en';
}

/** The board's language (from GET /api/boards/{id} or welcome.lang): dates and numbers. */
export function setBoardLang(code) {
  if (CATALOGS[code]) board = code;
  return board;
}

/** An ISO day (YYYY-MM-DD) as the board's locale writes it: nl `12 mrt 2027`. */
export function fmtDay(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ''));
  if (!m) return String(iso || '');
  const when = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (Number.isNaN(when.getTime())) return String(iso);
  return new Intl.DateTimeFormat(LOCALES[board], { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
    .format(when).replace(/\./g, '');
}

/** A day (ms at UTC midnight) without its year, as the board's locale writes it: nl `12 mrt`. */
export function fmtShortDay(ms) {
  return new Intl.DateTimeFormat(LOCALES[board], { day: 'numeric', month: 'short', timeZone: 'UTC' })
    .format(new Date(ms)).replace(/\./g, '');
}

/** A month (ms at UTC) on a time axis in the board's locale: `mrt`, with its year `jan 2027`. */
export function fmtMonth(ms, withYear = false) {
  const options = withYear ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { month: 'short', timeZone: 'UTC' };
  return new Intl.DateTimeFormat(LOCALES[board], options).format(new Date(ms)).replace(/\./g, '');
}

/** A moment (ms) in the board's locale; options as Intl.DateTimeFormat's. */
export function fmtTime(ms, options = { hour: '2-digit', minute: '2-digit' }) {
  return new Date(ms).toLocaleString(LOCALES[board], options);
}

export function fmtNumber(n) {
  return Number(n).toLocaleString(LOCALES[board]);
}

/** Fill the page's fixed texts: data-i18n (text), data-i18n-html (our own markup),
 * data-i18n-attr="title:key;aria-label:key". */
export function applyI18n(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-html]')) node.innerHTML = t(node.dataset.i18nHtml);
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((part) => part.trim());
      if (attr && key) node.setAttribute(attr, t(key));
    }
  }
}

/** A <select> of the UI languages: picking one remembers it for this person only. */
export function wireLangPicker(select, onChange) {
  if (!select) return;
  select.value = current;
  select.addEventListener('change', () => {
    rememberLang(select.value);
    applyI18n();
    onChange(select.value);
  });
}
