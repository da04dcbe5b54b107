// What a delete of the selection may take, and whom it would upset: locked
// elements (the Atelier scaffolding) stay for non-facilitators, and deleting
// what others wrote asks first, naming how many and whose.

import { lang, t } from './i18n.js';

/** Split `ids` into what this user may delete and the locked rest. */
export function deletable(app, ids) {
  const ok = [];
  const locked = [];
  for (const id of ids) {
    const el = app.sync.elements.get(id);
    if (!el) continue;
    if (el.locked === true && app.role !== 'facilitator') locked.push(id);
    else ok.push(id);
  }
  return { ok, locked };
}

/** The question to ask before deleting `ids`, or '' when all are one's own
 * (or the template's). */
export function othersQuestion(app, ids) {
  const names = new Set();
  let n = 0;
  for (const id of ids) {
    const el = app.sync.elements.get(id);
    const by = el && el.author;
    if (!by || by === 'system' || by === app.sync.you) continue;
    n += 1;
    const p = app.sync.participants.get(by);
    names.add((p && p.name) || t('person.someone'));
  }
  if (!n) return '';
  const who = new Intl.ListFormat(lang(), { type: 'conjunction' }).format([...names].sort());
  if (n === ids.length) return t(n === 1 ? 'delete.others_one' : 'delete.others_many', { n, names: who });
  return t('delete.mixed', { total: ids.length, n, names: who });
}
