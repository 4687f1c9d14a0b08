// The module reference beside the editor: every type from GET
// /api/v1/modules with its doc, ports and parameters (range, unit,
// default), a search box over all of it, and a button per type that
// inserts a ready-to-edit line for it.

import { el, fmtNum } from './patch-dom.js';

const BUILTIN = new Set(['in', 'out']);
const TEMPLATE_PARAMS = 4; // more than this and the line gets long; defaults apply
const PATTERN_EXAMPLE = 'c3 e3 g3 ~';

function ports(list) {
  if (!Array.isArray(list)) return [];
  return list.map((p) => (typeof p === 'string' ? { name: p, doc: '' } : { name: p.name, doc: p.doc ?? '' }));
}

function param(p, name) {
  return {
    name: p.name ?? name,
    kind: p.kind ?? (Array.isArray(p.choices) ? 'enum' : 'num'),
    min: p.min,
    max: p.max,
    def: p.default ?? p.def,
    unit: p.unit ?? '',
    choices: Array.isArray(p.choices) ? p.choices : null,
    shape: !!p.shape,
    doc: p.doc ?? p.description ?? '',
  };
}

/** Whatever shape the server answers with -> [{type, doc, inputs, outputs, params}]. */
export function normalizeModules(result) {
  let list = result;
  if (list && !Array.isArray(list)) list = list.modules ?? Object.entries(list).map(([k, v]) => ({ type: k, ...v }));
  if (!Array.isArray(list)) return [];
  return list.map((m) => {
    const ps = Array.isArray(m.params) ? m.params.map((p) => param(p)) :
      Object.entries(m.params ?? {}).map(([k, p]) => param(p, k));
    return { type: m.type ?? m.name, doc: m.doc ?? '', inputs: ports(m.inputs), outputs: ports(m.outputs), params: ps };
  }).filter((m) => typeof m.type === 'string');
}

function fmtValue(p, v) {
  if (v === undefined || v === null) return '';
  if (p.kind === 'enum' && p.choices && Number.isInteger(v)) return p.choices[v] ?? String(v);
  return typeof v === 'number' ? fmtNum(v) : String(v);
}

function rangeText(p) {
  if (p.kind === 'enum' && p.choices) return p.choices.join(' | ');
  if (p.kind === 'text') return 'text';
  if (typeof p.min === 'number' && typeof p.max === 'number') return `${fmtNum(p.min)} \u2026 ${fmtNum(p.max)}`;
  return '';
}

// "osc" for a first saw is fine, but ids must be unique: saw, saw2, saw3...
function freeId(type, text) {
  const used = new Set();
  for (const m of text.matchAll(/^\s*([a-z_][a-z0-9_]*)\s*=/gm)) used.add(m[1]);
  if (!used.has(type)) return type;
  for (let n = 2; ; n++) if (!used.has(`${type}${n}`)) return `${type}${n}`;
}

function lastId(text) {
  const ids = [...text.matchAll(/^\s*([a-z_][a-z0-9_]*)\s*=/gm)].map((m) => m[1]);
  return ids.at(-1) ?? 'node';
}

/** A line that defines (or, for in/out, connects) a node of this type. */
export function templateLine(mod, text) {
  if (mod.type === 'out') return `${lastId(text)}.out -> out.left, out.right`;
  if (mod.type === 'in') return `in.1 -> ${lastId(text)}.in`;
  const args = [];
  for (const p of mod.params) {
    if (args.length >= TEMPLATE_PARAMS) break;
    if (p.kind === 'text') args.push(`${p.name}: "${PATTERN_EXAMPLE}"`);
    else if (p.def !== undefined) args.push(`${p.name}: ${fmtValue(p, p.def)}`);
  }
  return `${freeId(mod.type, text)} = ${mod.type}(${args.join(', ')})`;
}

function portChips(label, list) {
  if (!list.length) return null;
  return el('div', 'pm-ports', {}, el('span', 'pm-k', {}, label),
    ...list.map((p) => el('code', 'pm-chip', { title: p.doc || null }, p.name)));
}

function paramTable(params) {
  if (!params.length) return null;
  const rows = params.map((p) => el('tr', '', { title: p.doc || null },
    el('th', '', { scope: 'row' }, el('code', '', {}, p.name), p.shape ? el('span', 'pm-shape', { title: 'changing it restarts the module' }, '\u25c6') : null),
    el('td', 'pm-range', {}, rangeText(p)),
    el('td', 'pm-unit', {}, p.unit || ''),
    el('td', 'pm-def', {}, fmtValue(p, p.def))));
  return el('table', 'pm-params', {},
    el('thead', '', {}, el('tr', '', {}, el('th', '', {}, 'param'), el('th', '', {}, 'range'),
      el('th', '', {}, 'unit'), el('th', '', {}, 'default'))),
    el('tbody', '', {}, ...rows));
}

function haystack(m) {
  return [m.type, m.doc, ...m.inputs.map((p) => p.name), ...m.outputs.map((p) => p.name),
    ...m.params.flatMap((p) => [p.name, p.doc, p.unit, ...(p.choices ?? [])])].join(' ').toLowerCase();
}

export class ModulePanel {
  constructor({ onInsert }) {
    this.onInsert = onInsert;
    this.items = [];
    this.search = el('input', 'pm-search', {
      type: 'search',
      placeholder: 'Search types, ports, params',
      'aria-label': 'Search modules',
      'data-testid': 'patch-modules-search',
    });
    this.list = el('div', 'pm-list');
    this.note = el('p', 'pm-note', {}, 'Loading the module list\u2026');
    this.root = el('section', 'pm', { 'data-testid': 'patch-modules', 'aria-label': 'Module types' },
      el('div', 'pm-head', {}, el('h3', '', {}, 'Modules'), el('span', 'hint', {}, 'tap to insert')),
      this.search, this.note, this.list);
    this.search.addEventListener('input', () => this.filter());
  }

  fail(message) {
    this.note.hidden = false;
    this.note.textContent = `No module list: ${message}`;
  }

  setModules(mods) {
    this.note.hidden = mods.length > 0;
    if (!mods.length) this.note.textContent = 'The server lists no module types.';
    this.items = mods.map((m) => this.item(m));
    this.list.replaceChildren(...this.items.map((i) => i.root));
    this.root.dataset.count = String(mods.length);
    this.filter();
  }

  item(m) {
    const insert = el('button', 'pm-insert', {
      type: 'button',
      'data-type': m.type,
      title: BUILTIN.has(m.type) ? `Insert a connection with the built-in ${m.type}` : `Insert a ${m.type} line`,
    }, el('span', 'pm-plus', { 'aria-hidden': 'true' }, '+'), el('span', 'pm-type', {}, m.type),
    BUILTIN.has(m.type) ? el('span', 'pm-badge', {}, 'built in') : null);
    insert.addEventListener('click', () => this.onInsert(m));
    const body = el('div', 'pm-body', {},
      portChips('in', m.inputs), portChips('out', m.outputs), paramTable(m.params));
    const details = el('details', 'pm-details', {}, el('summary', '', {}, m.doc || 'ports and params'), body);
    const root = el('article', 'pm-item', { 'data-type': m.type }, insert, details);
    return { root, details, text: haystack(m) };
  }

  filter() {
    const q = this.search.value.trim().toLowerCase();
    let shown = 0;
    for (const it of this.items) {
      const on = !q || q.split(/\s+/).every((w) => it.text.includes(w));
      it.root.hidden = !on;
      if (q && on && !it.autoOpened) {
        it.details.open = true;
        it.autoOpened = true;
      } else if (!q && it.autoOpened) {
        it.details.open = false;
        it.autoOpened = false;
      }
      shown += on ? 1 : 0;
    }
    if (this.items.length) {
      this.note.hidden = shown > 0;
      if (!shown) this.note.textContent = `Nothing matches \u201c${this.search.value.trim()}\u201d.`;
    }
  }
}
