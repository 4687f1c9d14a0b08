// "Ping engine": engine.ping over the WebSocket; shows the round trip as the
// server measured it (through the rings) and as this browser saw it.

import { fmtUs } from './format.js';

export function mountPing(button, out, socket) {
  let busy = false;

  function show(text, state) {
    out.textContent = text;
    out.dataset.state = state;
  }

  function sync() {
    button.disabled = busy || socket.state !== 'open';
  }

  button.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    sync();
    show('pinging\u2026', 'busy');
    const t0 = performance.now();
    try {
      const r = await socket.request('engine.ping', {}, { timeoutMs: 2000 });
      const browserUs = (performance.now() - t0) * 1000;
      show(`engine ${fmtUs(r.rtt_us)} \u00b7 browser ${fmtUs(browserUs)}`, 'ok');
      out.title = `engine frame ${r.engine_frame}`;
    } catch (e) {
      show(e.message || 'failed', 'error');
    } finally {
      busy = false;
      sync();
    }
  });
  socket.on('state', sync);
  sync();
}
