// Looper keyboard: a laptop on stage plays the looper without a mouse.
//   Space  start / stop the transport     R  record     O  overdub
//   U      undo                           M  mute / unmute (play)
//   Arrows move the selected track        ?  this list
// Keys act only while the Looper tab is shown and no text field, select or
// the patch editor has the focus; the help overlay closes on Esc or ?.

import { el } from './looper-dom.js';

export const SHORTCUTS = [
  ['Space', 'start / stop the transport'],
  ['R', 'record (again: close the take)'],
  ['O', 'overdub (again: play)'],
  ['U', 'undo'],
  ['M', 'mute / play'],
  ['\u2190 \u2191 \u2192 \u2193', 'select another track'],
  ['?', 'show or hide this list'],
];

function typing(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/**
 * keys(panel, ctx): ctx.selected() -> {column, track}, ctx.shape() ->
 * [columns, tracks], ctx.select(c, t), ctx.act(action), ctx.running(),
 * ctx.send(cmd, args).  Returns the help overlay element.
 */
export function mountKeys(panel, ctx) {
  const list = el('dl', 'lp-keys-list');
  for (const [k, what] of SHORTCUTS)
    list.append(el('dt', '', {}, k), el('dd', '', {}, what));
  const close = el('button', 'lp-btn', { type: 'button', 'data-testid': 'keys-close' }, 'Close');
  const box = el('div', 'lp-keys', { role: 'dialog', 'aria-label': 'Keyboard shortcuts', 'data-testid': 'keys-help', hidden: '' });
  box.append(el('h3', '', {}, 'Keyboard shortcuts'), list, close);
  const toggle = (on = box.hidden) => { box.hidden = !on; if (on) close.focus(); };
  close.addEventListener('click', () => toggle(false));

  const move = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const action = { r: 'record', o: 'overdub', u: 'undo', m: null };

  document.addEventListener('keydown', (ev) => {
    if (panel.hidden || ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    if (k === '?' || (k === 'Escape' && !box.hidden)) {
      toggle(k === '?' ? undefined : false);
    } else if (k === ' ') {
      ctx.send(ctx.running() ? 'transport.stop' : 'transport.start', {});
    } else if (k in action) {
      ctx.act(action[k] ?? (ctx.trackState() === 'muted' ? 'play' : 'mute'));
    } else if (k in move) {
      const [dc, dt] = move[k];
      const [nc, nt] = ctx.shape();
      const { column, track } = ctx.selected();
      ctx.select((column + dc + nc) % nc, (track + dt + nt) % nt);
    } else {
      return;
    }
    ev.preventDefault(); // no page scroll on Space or the arrows
  });
  return box;
}
