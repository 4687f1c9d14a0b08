// Header: the two connection pills and the engine figures.  Each pill reads
// as its label plus state ("Server connected", "Engine offline"); data-state
// carries the machine-readable state for styling and tests.

import { fmtPeriodMs, fmtRate } from './format.js';

const DASH = '\u2014';

const SERVER_TEXT = {
  idle: 'connecting',
  connecting: 'connecting',
  open: 'connected',
  closed: 'offline',
};

function setPill(el, state, text) {
  el.dataset.state = state;
  el.querySelector('.pill-text').textContent = text;
}

function setText(el, text) {
  const t = text ?? DASH;
  if (el.textContent !== t) el.textContent = t;
}

export function mountHeader(root, socket) {
  const q = (id) => root.querySelector(`[data-testid="${id}"]`);
  const el = {
    conn: q('conn-state'),
    engine: q('engine-state'),
    rate: q('sample-rate'),
    period: q('period'),
    load: q('dsp-load'),
    loadFill: root.querySelector('.loadbar-fill'),
    loadBar: root.querySelector('.loadbar'),
    xruns: q('xruns'),
  };
  let serverUp = false;
  let engineUp = false;
  let lastXruns = null;

  function renderEngine() {
    if (!serverUp) setPill(el.engine, 'unknown', 'unknown');
    else if (engineUp) setPill(el.engine, 'connected', 'connected');
    else setPill(el.engine, 'offline', 'offline');
    root.classList.toggle('engine-down', !(serverUp && engineUp));
  }

  // "256 frames" with the period's duration in small type beside it.
  function renderPeriod(period, rate) {
    const key = `${period}/${rate}`;
    if (el.period.dataset.key === key) return;
    el.period.dataset.key = key;
    if (!(period > 0)) {
      el.period.textContent = DASH;
      return;
    }
    const ms = fmtPeriodMs(period, rate);
    // "256" in large type; "frames 5.3 ms" beside it (dropped on a phone)
    el.period.textContent = `${period}`;
    const sub = document.createElement('span');
    sub.className = 'sub';
    sub.textContent = ms ? `frames ${ms}` : 'frames';
    el.period.append(' ', sub);
  }

  function renderLoad(load, peak) {
    if (!Number.isFinite(load)) {
      setText(el.load, null);
      el.loadFill.style.transform = 'scaleX(0)';
      el.loadBar.dataset.level = 'ok';
      return;
    }
    const pct = load * 100;
    setText(el.load, `${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`);
    el.loadFill.style.transform = `scaleX(${Math.min(1, Math.max(0, load))})`;
    el.loadBar.dataset.level = pct >= 90 ? 'hot' : pct >= 70 ? 'warn' : 'ok';
    if (Number.isFinite(peak)) el.load.title = `peak ${(peak * 100).toFixed(1)}%`;
  }

  // The count since the engine started, and how many of them fell in the
  // last minute (the server keeps that window): "12 · 0/min" says at once
  // whether the trouble is now or long gone.
  function renderXruns(n, lastMinute) {
    if (!Number.isInteger(n)) {
      setText(el.xruns, null);
      el.xruns.removeAttribute('title');
      lastXruns = null;
      return;
    }
    const m = Number.isInteger(lastMinute) ? lastMinute : 0;
    el.xruns.textContent = String(n);
    const sub = document.createElement('span');
    sub.className = 'sub';
    sub.dataset.testid = 'xruns-minute';
    sub.textContent = `${m}/min`;
    el.xruns.append(' ', sub);
    el.xruns.title = `${n} xruns since the engine started, ${m} in the last minute`;
    el.xruns.dataset.level = m > 0 ? 'warn' : 'ok';
    if (lastXruns !== null && n > lastXruns) flash(el.xruns);
    lastXruns = n;
  }

  function renderStatus(st) {
    engineUp = st.connected === true;
    renderEngine();
    const rate = engineUp ? st.sample_rate : null;
    const period = engineUp ? st.period : null;
    setText(el.rate, fmtRate(rate));
    renderPeriod(period, rate);
    renderLoad(engineUp ? st.dsp_load : NaN, st.dsp_load_peak);
    renderXruns(engineUp ? st.xruns : null, st.xruns_last_minute);
  }

  socket.on('state', (state) => {
    serverUp = state === 'open';
    setPill(el.conn, state === 'open' ? 'connected' : state, SERVER_TEXT[state] ?? state);
    if (!serverUp) renderStatus({ connected: false });
    renderEngine();
  });
  socket.on('status', renderStatus);
  socket.on('event', (ev) => {
    if (ev.event === 'xrun') flash(el.xruns);
  });
}

// Restart a CSS animation so each new xrun is visible.
function flash(el) {
  el.classList.remove('flash');
  void el.offsetWidth;
  el.classList.add('flash');
}
