// The running graph as SVG: nodes from GET /api/v1/patch "graph", placed
// in columns by topological depth (longest path from a source; edges that
// close a loop through a delay are drawn but do not push columns), rows in
// each column ordered by where their inputs come from, so most wires run
// forwards without crossing.  Each node lists only the ports in use.

import { el, fmtNum, svg } from './patch-dom.js';

const NODE_W = 128;
const COL_GAP = 54;
const ROW_GAP = 18;
const HEAD_H = 40;
const PORT_H = 18;
const PAD = 16;
const MIN_SCALE = 0.72; // below this labels get unreadable: scroll instead

const CATEGORY = {
  sine: 'osc', saw: 'osc', square: 'osc', tri: 'osc', noise: 'osc',
  lfo: 'mod', adsr: 'mod', glide: 'mod',
  svf: 'proc', vca: 'proc', mix: 'proc',
  seq: 'seq', clock: 'seq', midi: 'seq',
  delay: 'fx', reverb: 'fx',
  in: 'io', out: 'io',
};

function splitEnd(s) {
  const i = String(s).lastIndexOf('.');
  return i < 0 ? { node: String(s), port: '' } : { node: s.slice(0, i), port: s.slice(i + 1) };
}

function addPort(list, port) {
  if (port && !list.includes(port)) list.push(port);
}

// Graph JSON -> nodes (with the ports in use) and edges between them.
function model(graph) {
  const nodes = new Map();
  // Ends that name no listed node are the built-in in / out.
  const add = (id, type = id, params = {}, listed = false) => {
    if (!nodes.has(id)) nodes.set(id, { id, type, params, listed, ins: [], outs: [], preds: [], succs: [] });
    return nodes.get(id);
  };
  for (const n of graph?.nodes ?? []) add(String(n.id), String(n.type ?? '?'), n.params ?? {}, true);
  const edges = [];
  for (const e of graph?.edges ?? []) {
    const from = splitEnd(e.from);
    const to = splitEnd(e.to);
    const a = add(from.node);
    const b = add(to.node);
    addPort(a.outs, from.port);
    addPort(b.ins, to.port);
    a.succs.push(b);
    b.preds.push(a);
    edges.push({ a, b, from: from.port, to: to.port, scale: Number(e.scale ?? 1) });
  }
  return { nodes: [...nodes.values()], edges };
}

// Longest path from a source; a node met again on the current path is a
// loop (only legal through a delay) and does not count.
function depths(nodes) {
  const depth = new Map();
  const onPath = new Set();
  const visit = (n) => {
    if (depth.has(n)) return depth.get(n);
    onPath.add(n);
    let d = 0;
    for (const p of n.preds) if (!onPath.has(p)) d = Math.max(d, visit(p) + 1);
    onPath.delete(n);
    depth.set(n, d);
    return d;
  };
  for (const n of nodes) visit(n);
  return depth;
}

function nodeHeight(n) {
  return HEAD_H + Math.max(1, n.ins.length, n.outs.length) * PORT_H + 8;
}

function place(cols) {
  let height = 0;
  for (const col of cols) {
    let y = 0;
    for (const n of col) {
      n.y = y;
      n.h = nodeHeight(n);
      n.cy = y + n.h / 2;
      y += n.h + ROW_GAP;
    }
    col.h = y - ROW_GAP;
    height = Math.max(height, col.h);
  }
  // Centre every column on the tallest one.
  for (const col of cols) {
    const off = PAD + (height - col.h) / 2;
    for (const n of col) {
      n.y += off;
      n.cy += off;
    }
  }
  return height;
}

// Order each column by the mean height of the nodes it connects to in
// the column before (side 'preds') or after ('succs'); nodes with none
// keep their place.
function sweep(cols, side, order) {
  for (const c of order) {
    const col = cols[c];
    const key = (n) => (n[side].length ? n[side].reduce((s, p) => s + p.cy, 0) / n[side].length : n.cy);
    const keys = new Map(col.map((n) => [n, key(n)]));
    col.sort((a, b) => keys.get(a) - keys.get(b) || a.order - b.order);
    place(cols);
  }
}

function layout(m) {
  const depth = depths(m.nodes);
  const cols = [];
  m.nodes.forEach((n, i) => {
    n.order = i;
    (cols[depth.get(n)] ??= []).push(n);
  });
  cols.forEach((col, c) => col.forEach((n) => (n.x = PAD + c * (NODE_W + COL_GAP))));
  place(cols);
  // Down, up, down: a few barycentre sweeps untangle most small patches.
  const down = cols.map((_, c) => c).slice(1);
  const up = cols.map((_, c) => c).reverse().slice(1);
  sweep(cols, 'preds', down);
  sweep(cols, 'succs', up);
  sweep(cols, 'preds', down);
  const height = place(cols);
  return { width: PAD * 2 + cols.length * NODE_W + Math.max(0, cols.length - 1) * COL_GAP, height: height + PAD * 2 };
}

function portY(n, list, port) {
  return n.y + HEAD_H + list.indexOf(port) * PORT_H + PORT_H / 2;
}

function paramsText(params) {
  return Object.entries(params ?? {})
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? fmtNum(v) : typeof v === 'string' && /\s/.test(v) ? `"${v}"` : v}`)
    .join(', ');
}

// The scale sits just after the source port, as in the text ("amp.out *
// 0.4 -> ..."), once per source and scale however many wires fan out.
function scaleLabel(e, x1, y1, labelled) {
  const key = `${e.a.id}.${e.from}*${e.scale}`;
  if (e.scale === 1 || !Number.isFinite(e.scale) || labelled.has(key)) return [];
  labelled.add(key);
  const label = `\u00d7${fmtNum(e.scale)}`;
  const w = label.length * 7 + 8;
  const x = x1 + 6;
  return [svg('rect', { class: 'pg-scale-bg', x, y: y1 - 9, width: w, height: 18, rx: 9 }),
    svg('text', { class: 'pg-scale', x: x + w / 2, y: y1 + 4, 'text-anchor': 'middle' }, label)];
}

function drawEdge(e, labelled) {
  const x1 = e.a.x + NODE_W;
  const y1 = portY(e.a, e.a.outs, e.from);
  const x2 = e.b.x;
  const y2 = portY(e.b, e.b.ins, e.to);
  const dx = Math.max(40, Math.abs(x2 - x1) / 2);
  const back = x2 <= x1;
  const d = `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
  const g = svg('g', { class: `pg-edge${back ? ' pg-back' : ''}` },
    svg('title', {}, `${e.a.id}.${e.from}${e.scale !== 1 ? ` \u00d7 ${fmtNum(e.scale)}` : ''} \u2192 ${e.b.id}.${e.to}`),
    svg('path', { d }));
  return [g, scaleLabel(e, x1, y1, labelled)];
}

function drawNode(n) {
  const cat = CATEGORY[n.type] ?? 'other';
  const params = paramsText(n.params);
  const g = svg('g', { class: `pg-node pg-${cat}`, 'data-id': n.id, 'data-type': n.type, transform: `translate(${n.x},${n.y})` },
    svg('title', {}, `${n.id} = ${n.type}(${params})`),
    svg('rect', { class: 'pg-box', width: NODE_W, height: n.h, rx: 10 }),
    svg('rect', { class: 'pg-stripe', width: 5, height: n.h - 16, x: 0, y: 8, rx: 2 }),
    svg('text', { class: 'pg-id', x: 14, y: 19 }, n.id),
    svg('text', { class: 'pg-type', x: 14, y: 34 }, !n.listed || n.type === 'in' || n.type === 'out' ? 'built in' : n.type));
  n.ins.forEach((p, i) => {
    const y = HEAD_H + i * PORT_H + PORT_H / 2;
    g.append(svg('circle', { class: 'pg-port', cx: 0, cy: y, r: 4 }),
      svg('text', { class: 'pg-pname', x: 10, y: y + 4 }, p));
  });
  n.outs.forEach((p, i) => {
    const y = HEAD_H + i * PORT_H + PORT_H / 2;
    g.append(svg('circle', { class: 'pg-port', cx: NODE_W, cy: y, r: 4 }),
      svg('text', { class: 'pg-pname', x: NODE_W - 10, y: y + 4, 'text-anchor': 'end' }, p));
  });
  return g;
}

export class GraphView {
  constructor() {
    this.box = el('div', 'pg-box-wrap');
    this.caption = el('span', 'hint', {}, '');
    this.root = el('section', 'pt-card pg', { 'data-testid': 'patch-graph', 'data-nodes': '0', 'data-edges': '0', 'aria-label': 'Running graph' },
      el('div', 'pt-card-head', {}, el('h3', '', {}, 'Running graph'), this.caption), this.box);
    this.natural = null;
    this.lastWidth = 0;
    // Deferred to the next frame: resizing the svg inside the observer
    // would resize the observed box again in the same frame.
    new ResizeObserver(() => {
      if (this.box.clientWidth === this.lastWidth) return;
      this.lastWidth = this.box.clientWidth;
      requestAnimationFrame(() => this.fit());
    }).observe(this.box);
  }

  /** graph: { nodes, edges } of the running plan, or null when none. */
  render(graph, why = 'No patch running.') {
    // Refreshes come often (every swap event, every reconnect); an
    // unchanged graph keeps its elements.
    const key = JSON.stringify([graph ?? null, why]);
    if (key === this.key) return;
    this.key = key;
    const m = model(graph);
    this.root.dataset.nodes = String(m.nodes.length);
    this.root.dataset.edges = String(m.edges.length);
    if (!m.nodes.length) {
      this.natural = null;
      this.caption.textContent = '';
      this.box.replaceChildren(el('p', 'pg-empty', {}, why));
      return;
    }
    const size = layout(m);
    this.natural = size;
    this.caption.textContent = `${m.nodes.length} nodes \u00b7 ${m.edges.length} wires`;
    const labelled = new Set();
    const drawn = m.edges.map((e) => drawEdge(e, labelled));
    const root = svg('svg', { viewBox: `0 0 ${size.width} ${size.height}`, role: 'img',
      'aria-label': `Graph of ${m.nodes.length} nodes: ${m.nodes.map((n) => n.id).join(', ')}` },
    svg('g', { class: 'pg-edges' }, ...drawn.map(([g]) => g)),
    svg('g', { class: 'pg-nodes' }, ...m.nodes.map(drawNode)),
    svg('g', { class: 'pg-scales' }, ...drawn.flatMap(([, l]) => l)));
    this.svg = root;
    this.box.replaceChildren(root);
    this.fit();
  }

  // Shrink a wide graph to the box, but never below MIN_SCALE: past that
  // the box scrolls sideways instead.
  fit() {
    if (!this.natural || !this.svg) return;
    const avail = this.box.clientWidth;
    const { width, height } = this.natural;
    const w = Math.max(width * MIN_SCALE, Math.min(width, avail));
    this.svg.style.width = `${w}px`;
    this.svg.style.height = `${(height * w) / width}px`;
  }
}
