// make bench - the foundation's figures, printed as tables.
//   engine.ping round trip over REST and over WebSocket (p50, p99)
//   GET /api/v1/status requests per second (wrk, loopback)
//   status push delay to 64 WebSocket clients (p50, p99)
//   engine callback cost per cycle (p50, p99, max; us and % of the period)
// The engine runs without the RT guard here: the guard is a test tool and
// its wrapper would be part of the measured cost.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { startStack, sleep } from '../lib/harness.js';
import { summary, table, f1, f2 } from './stats.js';

const PINGS = Number(process.env.BENCH_PINGS || 2000);
const PUSH_CLIENTS = 64;
const PUSH_SECONDS = 5;

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;

async function pingRest(s) {
  const client = [], engine = [];
  for (let i = 0; i < PINGS; i++) {
    const t0 = performance.now();
    const r = await s.fetch('/api/v1/cmd/engine.ping',
      { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    const body = await r.json();
    client.push((performance.now() - t0) * 1000);
    engine.push(body.result.rtt_us);
  }
  return { client: summary(client), engine: summary(engine) };
}

async function pingWs(s) {
  const ws = await s.ws();
  const client = [], engine = [];
  for (let i = 0; i < PINGS; i++) {
    const t0 = performance.now();
    const reply = await ws.request('engine.ping', {});
    client.push((performance.now() - t0) * 1000);
    engine.push(reply.result.rtt_us);
  }
  await ws.close();
  return { client: summary(client), engine: summary(engine) };
}

function wrkStatus(s, connections) {
  const r = spawnSync('wrk', ['-t2', `-c${connections}`, '-d5s',
    '-H', `Authorization: Bearer ${s.token}`, `${s.base}/api/v1/status`],
    { encoding: 'utf8' });
  const m = /Requests\/sec:\s*([\d.]+)/.exec(r.stdout || '');
  const lat = /Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)/.exec(r.stdout || '');
  const non2xx = /Non-2xx or 3xx responses:\s*(\d+)/.exec(r.stdout || '');
  return { rps: m ? Number(m[1]) : NaN, avg: lat ? lat[1] : '-', max: lat ? lat[3] : '-',
    errors: non2xx ? Number(non2xx[1]) : 0, ok: r.status === 0 };
}

async function pushDelay(s) {
  const clients = await Promise.all(Array.from({ length: PUSH_CLIENTS }, () => s.ws()));
  const delays = [];
  let count = 0;
  for (const c of clients) {
    c.sock.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.type !== 'status' || !m.t_us) return;
      delays.push(nowUs() - m.t_us);
      count++;
    });
  }
  await sleep(PUSH_SECONDS * 1000);
  await Promise.all(clients.map((c) => c.close()));
  return { ...summary(delays), perClientHz: count / PUSH_CLIENTS / PUSH_SECONDS };
}

async function callbackCost(s, seconds) {
  await s.cmd('engine.timing', { reset: true });
  await sleep(seconds * 1000);
  return s.cmd('engine.timing', {});
}

async function costAt(period) {
  const s = await startStack({ rtguard: false, period });
  try {
    return await callbackCost(s, 5);
  } finally {
    await s.stop();
  }
}

async function main() {
  const s = await startStack({ rtguard: false });
  let rest, ws, wrk, push, cost;
  try {
    await s.cmd('engine.ping', {});
    rest = await pingRest(s);
    ws = await pingWs(s);
    wrk = wrkStatus(s, 64);
    push = await pushDelay(s);
    cost = await callbackCost(s, 5);
  } finally {
    await s.stop();
  }
  const cost64 = await costAt(64);

  table(`engine.ping round trip (${PINGS} sequential calls, jackd dummy 48 kHz / 256 frames)`,
    ['transport', 'client p50 us', 'client p99 us', 'server->engine->server p50 us', 'p99 us'],
    [['REST (HTTP keep-alive)', f1(rest.client.p50), f1(rest.client.p99), f1(rest.engine.p50), f1(rest.engine.p99)],
     ['WebSocket', f1(ws.client.p50), f1(ws.client.p99), f1(ws.engine.p50), f1(ws.engine.p99)]]);
  table('GET /api/v1/status throughput (wrk -t2 -c64 -d5s, loopback)',
    ['requests/s', 'avg latency', 'max latency', 'non-2xx'],
    [[f1(wrk.rps), wrk.avg, wrk.max, String(wrk.errors)]]);
  table(`status push delay to ${PUSH_CLIENTS} WebSocket clients (${PUSH_SECONDS} s)`,
    ['samples', 'p50 us', 'p99 us', 'max us', 'pushes/s per client'],
    [[String(push.n), f1(push.p50), f1(push.p99), f1(push.max), f1(push.perClientHz)]]);
  const row = (label, c) => [label, String(c.count), f2(c.p50_us), f2(c.p99_us), f2(c.max_us),
    f2((100 * c.p50_us) / c.period_us), f2((100 * c.p99_us) / c.period_us), f2((100 * c.max_us) / c.period_us)];
  table('engine process callback cost per cycle (5 s, no subsystems busy yet)',
    ['period', 'cycles', 'p50 us', 'p99 us', 'max us', 'p50 %', 'p99 %', 'max %'],
    [row('256 frames (5333 us)', cost), row('64 frames (1333 us)', cost64)]);
}

main().catch((e) => { console.error(e); process.exit(1); });
