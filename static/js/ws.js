// WebSocket client: one connection to the server's status/command socket.
// It finds the ws port through GET /api/v1/status, reconnects by itself
// with backoff when the server goes away, and matches replies to requests
// by id.  Subscribers hear 'status', 'event', 'state' and 'message'.

import { getStatus } from './api.js';
import { LOGGED_IN } from './auth.js';

const FALLBACK_PORT = 8081;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 4000;
const REQUEST_TIMEOUT_MS = 3000;
// The server pushes status many times a second while an engine runs but may
// stay quiet without one; after this much silence we probe the link so a
// half-open socket (phone leaving Wi-Fi) is noticed.
const IDLE_PROBE_MS = 5000;

export class RequestError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'RequestError';
    this.status = status; // HTTP-like status from the server, or 0 locally
  }
}

export class StageSocket {
  constructor({ fallbackPort = FALLBACK_PORT } = {}) {
    this.port = fallbackPort;
    this.state = 'idle'; // idle | connecting | open | closed
    this.lastStatus = null;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, timer }
    this.listeners = new Map(); // type -> Set(fn)
    this.backoff = BACKOFF_MIN_MS;
    this.retryTimer = 0;
    this.probeTimer = 0;
    this.lastRx = 0;
    this.stopped = true;
    // A login from the form: try again now instead of after the backoff.
    window.addEventListener(LOGGED_IN, () => this.retryNow());
  }

  /** Subscribe to 'status' | 'event' | 'state' | 'message'. Returns unsubscribe. */
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type).delete(fn);
  }

  emit(type, payload) {
    for (const fn of this.listeners.get(type) ?? []) {
      try {
        fn(payload);
      } catch (e) {
        console.error(`stagebox: ${type} listener failed`, e);
      }
    }
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
    this.probeTimer = setInterval(() => this.probe(), IDLE_PROBE_MS / 2);
  }

  retryNow() {
    if (this.stopped || this.ws || this.state === 'connecting') return;
    clearTimeout(this.retryTimer);
    this.backoff = BACKOFF_MIN_MS;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.probeTimer);
    if (this.ws) this.ws.close();
    this.setState('closed');
  }

  // Status first: it tells us the ws port and fills the UI before the
  // socket is up.  A failed fetch still tries the last known port.
  async connect() {
    this.setState('connecting');
    try {
      const st = await getStatus({ timeoutMs: 2000 });
      if (Number.isInteger(st?.ws_port) && st.ws_port > 0) this.port = st.ws_port;
      this.publishStatus(st);
    } catch (e) {
      /* server down; the socket attempt below fails too and we back off */
      if (e.status === 401 && !this.stopped) {
        // logged out: the socket would be refused too; wait for a login
        this.setState('closed');
        this.scheduleReconnect();
        return;
      }
    }
    if (this.stopped) return;
    this.openSocket();
  }

  openSocket() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.hostname}:${this.port}/`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = BACKOFF_MIN_MS;
      this.lastRx = Date.now();
      this.setState('open');
    };
    ws.onmessage = (ev) => this.handleMessage(ev.data);
    ws.onclose = () => this.handleClose(ws);
    // onerror is always followed by onclose, which does the work.
    ws.onerror = () => {};
  }

  handleClose(ws) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.failPending('connection lost');
    if (this.stopped) return;
    this.setState('closed');
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    clearTimeout(this.retryTimer);
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  handleMessage(data) {
    this.lastRx = Date.now();
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('stagebox: non-JSON message from server');
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'status') {
      const { type: _type, ...status } = msg;
      this.publishStatus(status);
    } else if (msg.type === 'reply') {
      this.settle(msg);
    } else if (msg.type === 'event') {
      this.emit('event', msg);
    }
    this.emit('message', msg);
  }

  publishStatus(status) {
    if (!status || typeof status !== 'object') return;
    this.lastStatus = status;
    this.emit('status', status);
  }

  settle(msg) {
    const p = this.pending.get(msg.id);
    if (!p) return; // late reply after a timeout, or id:null parse error
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new RequestError(msg.error || 'request failed', msg.status ?? 0));
  }

  failPending(why) {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError(why, 0));
      this.pending.delete(id);
    }
  }

  /** Send a command; resolves to its result or rejects with RequestError. */
  request(cmd, args = {}, { timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new RequestError('server offline', 0));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timed out', 0));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ id, cmd, args }));
    });
  }

  // A quiet link gets one status request; no answer means the socket is
  // dead even if the browser has not noticed, so drop it and reconnect.
  async probe() {
    if (this.state !== 'open' || Date.now() - this.lastRx < IDLE_PROBE_MS) return;
    const ws = this.ws;
    try {
      await this.request('engine.status', {}, { timeoutMs: REQUEST_TIMEOUT_MS });
    } catch (e) {
      if (e.status === 0 && ws && ws === this.ws) this.dropSocket(ws);
    }
  }

  // close() on a dead TCP link can take a long time to fire onclose, so
  // detach first and run the close path at once.
  dropSocket(ws) {
    ws.onclose = null;
    ws.onmessage = null;
    ws.close();
    this.handleClose(ws);
  }
}
