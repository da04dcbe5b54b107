// Keyboard: Delete, Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z (or Y), Escape, Enter to edit,
// space to pan, +/- and 0 to zoom, one letter per tool.

import { TOOLS } from './toolbar.js';
import { t } from './i18n.js';

export function onKey(app, e) {
  const typing = e.target.closest && e.target.closest('input, textarea, select, [contenteditable]');
  const mod = e.ctrlKey || e.metaKey;
  if (typing) return;
  if (mod && (e.key === 'z' || e.key === 'Z')) {
    e.preventDefault();
    const done = e.shiftKey ? app.undo.redo() : app.undo.undo();
    if (!done) app.hint(t(e.shiftKey ? 'hint.nothing_redo' : 'hint.nothing_undo'));
    return;
  }
  if (mod && (e.key === 'y' || e.key === 'Y')) {
    e.preventDefault();
    app.undo.redo();
    return;
  }
  if (mod && (e.key === 'a' || e.key === 'A')) {
    e.preventDefault();
    app.select([...app.sync.elements.keys()]);
    return;
  }
  if (e.key === 'Delete' || e.key === 'Backspace') {
    e.preventDefault();
    app.deleteSelection();
    return;
  }
  if (e.key === 'Escape') {
    app.tools.abortGesture();
    if (app.tool !== 'select') app.setTool('select');
    else app.select([]);
    return;
  }
  if (e.key === 'Enter' && app.selection.size === 1) {
    e.preventDefault();
    app.editInline([...app.selection][0]);
    return;
  }
  if (e.code === 'Space') {
    app.tools.spaceDown = true;
    e.preventDefault();
    return;
  }
  if (mod || e.altKey) return;
  if (e.key === '+' || e.key === '=') app.zoom(1.25);
  else if (e.key === '-') app.zoom(0.8);
  else if (e.key === '0' || (e.key === '1' && e.shiftKey)) {
    app.view.fit(app.view.contentBounds(), 60, 1);
    app.userMovedView();
  } else {
    const tool = TOOLS.find((t) => t.key && t.key === e.key.toLowerCase());
    if (tool && (!tool.facilitator || app.role === 'facilitator')) app.setTool(tool.id);
  }
}
