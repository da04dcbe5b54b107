// The facilitator's side of present mode: step the projector through the
// exercise frames, show the whole board or the insights there, and point.
// Participants' views never move (that is "follow me").

import { h } from './dom.js';
import { exerciseFrames, presentedFrame, stepFrame } from './exercises.js';
import { str } from './geometry.js';
import { t } from './i18n.js';

/** The "Projector" block of the facilitator panel. */
export function presentBlock(fac) {
  const sync = fac.app.sync;
  const sess = sync.session;
  const frame = presentedFrame(sync.elements, sess);
  const go = (step) => {
    const next = stepFrame(sync.elements, sess, step);
    if (next) fac.run('present.frame', { frame: next.id });
  };
  const btn = (label, fn, id, on = false) => h('button', { type: 'button', id, class: on ? 'on' : '', onclick: fn }, label);
  const showing = frame ? t('present.showing_frame', { name: str(frame.label) || t('present.frame') })
    : sess.present_insights ? t('present.showing_insights') : t('present.showing_board');
  const none = !exerciseFrames(sync.elements).length;
  return h('section', { class: 'fac-block', id: 'present-block' }, h('h4', {}, t('present.title')),
    h('p', { class: 'muted', id: 'present-status' }, showing),
    h('div', { class: 'row' },
      btn(t('present.previous'), () => go(-1), 'present-prev'),
      btn(t('present.next'), () => go(1), 'present-next')),
    h('div', { class: 'row' },
      btn(t('present.board'), () => fac.run('present.stop'), 'present-stop', !frame && !sess.present_insights),
      btn(t('present.insights'), () => fac.run('present.insights'), 'present-insights', !!sess.present_insights)),
    none ? h('p', { class: 'muted' }, t('present.no_frames')) : null);
}

/** While a frame is presented, the facilitator's pointer shows on the projector. */
export function trackPointer(app) {
  const svg = app.view.svg;
  let shown = false;
  const hide = () => {
    if (shown) app.sync.presence({ pointer: null });
    shown = false;
  };
  svg.addEventListener('pointermove', (e) => {
    if (app.role !== 'facilitator' || !app.sync.session.present) return hide();
    const r = svg.getBoundingClientRect();
    const [x, y] = app.view.toWorld(e.clientX - r.left, e.clientY - r.top);
    app.sync.presence({ pointer: [Math.round(x), Math.round(y)] });
    shown = true;
  });
  svg.addEventListener('pointerleave', hide);
  app.sync.on('session', (session) => { if (!session.present) hide(); });
}
