// Looper action bar: every action for the selected track, plus its volume.
// Clear asks for a second tap (within a few seconds) because on stage a
// stray thumb must not wipe a loop.

import { el, faderToGain, fmtGainDb, gainToFader, throttle } from './looper-dom.js';
import { STATE_LABEL } from './looper-grid.js';

const CLEAR_ARM_MS = 3000;

const ACTIONS = [
  ['record', 'Record', 'rec'],
  ['overdub', 'Overdub', 'dub'],
  ['play', 'Play', 'play'],
  ['mute', 'Mute', 'mute'],
  ['solo', 'Solo', 'solo'],
  ['undo', 'Undo', 'edit'],
  ['redo', 'Redo', 'edit'],
  ['clear', 'Clear', 'clear'],
];

export class ActionBar {
  /** send(cmd, args) runs a command and reports its failure itself. */
  constructor(send) {
    this.send = send;
    this.sel = { column: 0, track: 0 };
    this.track = null;
    this.dragging = false;
    this.clearTimer = 0;
    this.root = el('div', 'lp-actions', { role: 'group', 'aria-label': 'Selected track' });
    this.build();
  }

  build() {
    this.title = el('div', 'lp-sel', { 'data-testid': 'selected-track', 'aria-live': 'polite' });
    this.selName = el('span', 'lp-sel-name');
    this.selState = el('span', 'lp-sel-state');
    this.selLayer = el('span', 'lp-sel-layer');
    this.title.append(this.selName, this.selState, this.selLayer);
    const buttons = el('div', 'lp-abtns');
    this.buttons = {};
    for (const [action, label, kind] of ACTIONS) {
      const b = el('button', `lp-btn lp-act lp-act-${kind}`, { type: 'button', 'data-testid': `btn-${action}` }, label);
      b.addEventListener('click', () => this.act(action));
      this.buttons[action] = b;
      buttons.append(b);
    }
    this.vol = el('input', 'lp-range lp-vol', {
      type: 'range', min: '0', max: '1', step: '0.001', value: String(gainToFader(1)),
      'data-testid': 'track-volume', 'aria-label': 'Track volume',
    });
    this.volText = el('output', 'lp-vol-text', {}, fmtGainDb(1));
    const sendVol = throttle((g) => this.send('looper.set_volume', { ...this.sel, volume: g }), 50);
    this.vol.addEventListener('input', () => {
      const g = faderToGain(Number(this.vol.value));
      this.volText.textContent = fmtGainDb(g);
      sendVol(Math.round(g * 10000) / 10000);
    });
    this.vol.addEventListener('pointerdown', () => { this.dragging = true; });
    this.vol.addEventListener('change', () => { this.dragging = false; });
    // Double tap on the readout puts the fader back to unity.
    this.volText.addEventListener('dblclick', () => {
      this.vol.value = String(gainToFader(1));
      this.volText.textContent = fmtGainDb(1);
      this.send('looper.set_volume', { ...this.sel, volume: 1 });
    });
    const volBox = el('label', 'lp-volbox');
    volBox.append(el('span', 'lp-label', {}, 'Volume'), this.vol, this.volText);
    this.root.append(this.title, buttons, volBox);
  }

  act(action) {
    if (action === 'clear' && !this.buttons.clear.classList.contains('armed')) {
      this.armClear(true);
      return;
    }
    this.armClear(false);
    this.send(`looper.${action}`, { ...this.sel });
  }

  armClear(on) {
    clearTimeout(this.clearTimer);
    const b = this.buttons.clear;
    b.classList.toggle('armed', on);
    b.textContent = on ? 'Clear?' : 'Clear';
    if (on) this.clearTimer = setTimeout(() => this.armClear(false), CLEAR_ARM_MS);
  }

  /** The selected track and its state (GET /api/v1/looper track object). */
  show(sel, track) {
    if (sel.column !== this.sel.column || sel.track !== this.sel.track) this.armClear(false);
    this.sel = sel;
    this.track = track;
    const st = track?.state ?? 'empty';
    this.root.dataset.state = st;
    this.selName.textContent = `C${sel.column + 1} \u00b7 T${sel.track + 1}`;
    const pend = track?.next_state ? STATE_LABEL[track.next_state] ?? track.next_state : track?.pending_action;
    const next = pend ? ` \u2192 ${pend}` : '';
    this.selState.textContent = `${STATE_LABEL[st] ?? st}${next}`;
    const layers = Number(track?.layers) || 0;
    this.selLayer.textContent = layers > 0 ? `layer ${(Number(track.layer) || 0) + 1}/${layers}` : '';
    this.buttons.solo.setAttribute('aria-pressed', String(track?.solo === true));
    this.buttons.mute.setAttribute('aria-pressed', String(st === 'muted'));
    if (!this.dragging && document.activeElement !== this.vol && Number.isFinite(track?.volume)) {
      this.vol.value = String(gainToFader(track.volume));
      this.volText.textContent = fmtGainDb(track.volume);
    }
  }
}
