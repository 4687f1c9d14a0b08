// Percentiles and table printing for the benchmarks.
export function pct(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1] };
}

export function table(title, header, rows) {
  const cells = [header, ...rows].map((r) => r.map(String));
  const w = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r) => '| ' + r.map((x, c) => x.padEnd(w[c])).join(' | ') + ' |';
  const out = [`\n${title}`, line(cells[0]), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|'];
  for (const r of cells.slice(1)) out.push(line(r));
  console.log(out.join('\n'));
}

export const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
export const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
