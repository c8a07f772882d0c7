// The bench's rows and the printed table: one line per workload, one column per implementation
// and thread count.
import type { Impl, Unit, Workload } from './workloads.js';

/** One result; `workload, impl, threads, unit, value` is the JSON contract, the rest is context. */
export interface Row {
  workload: string;
  impl: Impl;
  threads: number;
  unit: Unit;
  /** work ÷ median time of one call. */
  value: number;
  medianMs: number;
  samples: number;
  /** Relative margin of error of the mean time, %. */
  rme: number;
  warmupCalls: number;
  [extra: string]: number | string;
}

const IMPL_ORDER: readonly Impl[] = ['skein', 'skein-graph', 'tfjs-cpu', 'tfjs-wasm'];

function figure(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function formatTable(rows: readonly Row[], workloads: readonly Workload[]): string {
  const columns = [...new Set(rows.map((r) => `${r.impl}×${r.threads}`))].sort((a, b) => {
    const [ia, ta] = a.split('×');
    const [ib, tb] = b.split('×');
    return IMPL_ORDER.indexOf(ia as Impl) - IMPL_ORDER.indexOf(ib as Impl) || Number(ta) - Number(tb);
  });
  const header = ['workload', 'unit', ...columns.map((c) => (c.startsWith('tfjs') ? c.slice(0, c.indexOf('×')) : c))];
  const lines = workloads.map((w) => [
    w.name,
    w.unit,
    ...columns.map((c) => {
      const row = rows.find((r) => r.workload === w.name && `${r.impl}×${r.threads}` === c);
      return row === undefined ? '—' : figure(row.value);
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [fmt(header), rule, ...lines.map(fmt)].join('\n');
}
