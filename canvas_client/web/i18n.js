// Message catalogs for every user-facing string of the pages. The catalogs are
// the JSON files in ./locales/ (also read by the server for its own outputs);
// keys are dotted names, values may hold {name} placeholders.

import en from './locales/en.json' with { type: 'json' };
import nl from './locales/nl.json' with { type: 'json' };

export const CATALOGS = { nl, en };
export const LANGS = Object.keys(CATALOGS);
const PREF_KEY = 'tussentafel:lang';

let current = 'en';

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
