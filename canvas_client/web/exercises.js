// The exercise frames of a board, in reading order (pure: no DOM). Used by the
// facilitator's present controls, the projector and a phone's first view.

import { num, str } from './geometry.js';

/** The frames to step through: the template's exercise frames (with an
 * `exercise` field) top to bottom, left to right; else every top-level frame. */
export function exerciseFrames(elements) {
  const frames = [...elements.values()].filter((el) => el.kind === 'frame' && el.private !== true);
  const exercises = frames.filter((el) => str(el.exercise));
  const chosen = exercises.length ? exercises : frames.filter((el) => !el.parent);
  return chosen.sort((a, b) => num(a, 'y') - num(b, 'y') || num(a, 'x') - num(b, 'x') || (a.id < b.id ? -1 : 1));
}

/** The frame the projector shows now (null: none, or it was deleted). */
export function presentedFrame(elements, session) {
  const el = session && session.present ? elements.get(session.present) : null;
  return el && el.kind === 'frame' ? el : null;
}

/** The frame a phone opens on: the presented one, else the first exercise. */
export function currentExercise(elements, session) {
  return presentedFrame(elements, session) || exerciseFrames(elements)[0] || null;
}

/** The frame after (step 1) or before (step -1) the presented one, wrapping. */
export function stepFrame(elements, session, step) {
  const frames = exerciseFrames(elements);
  if (!frames.length) return null;
  const at = frames.findIndex((el) => el.id === (session && session.present));
  if (at < 0) return step > 0 ? frames[0] : frames[frames.length - 1];
  return frames[(at + step + frames.length) % frames.length];
}
