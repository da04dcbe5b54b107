// During a private round: how many private items everyone has written so far
// ("7 notities geschreven"), from session.private_count and the private_count
// event (protocol §6). One node, #private-count, on the editor and the projector.

import { h } from './dom.js';
import { fmtNumber, t } from './i18n.js';

function text(n) {
  return t(n === 1 ? 'private.count_one' : 'private.count_many', { n: fmtNumber(n) });
}

export function privateCountNode(count) {
  const n = Number(count) || 0;
  return h('span', { class: 'private-count', id: 'private-count', dataset: { count: String(n) }, 'aria-live': 'polite' }, text(n));
}

/** A private_count event: update the node in place (no re-render of the banner). */
export function showPrivateCount(count) {
  const node = document.getElementById('private-count');
  if (!node) return;
  const n = Number(count) || 0;
  node.dataset.count = String(n);
  node.textContent = text(n);
}
