// The bench's rows and the printed tables: every figure in full (throughput = work ÷ wall time,
// the median single call beside it), then each workload's best per implementation and the ratios
// against PyTorch's best thread count.
import { isCostUnit, type Impl } from './workloads.js';

/** One result; `workload, impl, threads, unit, value` is the JSON contract, the rest is context. */
export interface Row {
  workload: string;
  impl: Impl;
  threads: number;
  unit: string;
  /** work × calls ÷ wall seconds (for a cost unit such as µs/op: wall µs ÷ work). */
  value: number;
  /** The same figure from the median single call alone, when known. */
  medianValue: number | null;
  calls: number;
  seconds: number;
  /** Collections during the timed run and their pause, ms (null for child processes). */
  gcCount: number | null;
  gcMs: number | null;
  [extra: string]: number | string | null;
}

const IMPL_ORDER: readonly Impl[] = ['skein', 'skein-graph', 'torch', 'tfjs-cpu', 'tfjs-wasm'];

/** value from work done in seconds: a rate, or for cost units µs per unit of work. */
export function figureOf(unit: string, work: number, seconds: number): number {
  return isCostUnit(unit) ? (seconds * (unit.startsWith('ms/') ? 1e3 : 1e6)) / work : work / seconds;
}

export function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function table(header: string[], lines: string[][], left: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < left ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...lines.map(line)].join('\n');
}

const order = (a: Row, b: Row) => IMPL_ORDER.indexOf(a.impl) - IMPL_ORDER.indexOf(b.impl) || a.threads - b.threads;

/** Every figure: one line per workload, implementation and thread count. */
export function formatRuns(rows: readonly Row[], workloads: readonly string[]): string {
  const lines = workloads.flatMap((w) =>
    rows
      .filter((r) => r.workload === w)
      .sort(order)
      .map((r) => [r.workload, r.unit, `${r.impl}×${r.threads}`, fmt(r.value), fmt(r.medianValue), `${r.calls}`, r.seconds.toFixed(1), r.gcCount === null ? '—' : `${r.gcCount} (${r.gcMs!.toFixed(0)} ms)`]),
  );
  return table(['workload', 'unit', 'impl×threads', 'wall-time figure', 'median call', 'calls', 's', 'GCs (pause)'], lines, 3);
}

/** The best row of an implementation on a workload (highest rate, lowest cost). */
export function best(rows: readonly Row[], workload: string, impl: Impl): Row | null {
  const mine = rows.filter((r) => r.workload === workload && r.impl === impl);
  if (mine.length === 0) return null;
  const better = (a: Row, b: Row) => (isCostUnit(a.unit) ? a.value < b.value : a.value > b.value);
  return mine.reduce((x, y) => (better(y, x) ? y : x));
}

/**
 * Skein's best over PyTorch's best, as a speed ratio for rates (≥ 1: Skein as fast) and as a cost
 * ratio for µs/op (≤ 1: Skein as cheap), as the issue's targets are stated.
 */
export function ratio(skein: Row | null, torch: Row | null): number | null {
  if (skein === null || torch === null) return null;
  return skein.value / torch.value;
}

export function formatSummary(rows: readonly Row[], workloads: readonly string[]): string {
  const cell = (r: Row | null) => (r === null ? '—' : `${fmt(r.value)} (${r.threads})`);
  const lines = workloads.map((w) => {
    const unit = rows.find((r) => r.workload === w)?.unit ?? '';
    const [eager, graph, torch] = [best(rows, w, 'skein'), best(rows, w, 'skein-graph'), best(rows, w, 'torch')];
    return [w, unit, cell(eager), cell(graph), cell(torch), fmt(ratio(eager, torch)), fmt(ratio(graph, torch))];
  });
  return table(['workload', 'unit', 'skein best (thr)', 'skein-graph best (thr)', 'pytorch best (thr)', 'skein ÷ pytorch', 'graph ÷ pytorch'], lines, 2);
}
