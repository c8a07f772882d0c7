// Timing one runner: untimed warm-up calls, then tinybench samples; the figure is the median.
import { Bench } from 'tinybench';
import type { Runner } from './workloads.js';

export interface Budget {
  /** tinybench's time budget per measurement, ms (it also takes at least `minSamples`). */
  timeMs: number;
  /** Warm-up lasts at least this long and at least the workload's warm-up calls… */
  warmupMs: number;
  /** …but stops here once one call has run, so a slow implementation cannot eat the run. */
  warmupCapMs: number;
  minSamples: number;
  /** Fewer samples for calls slower than this, ms: their median settles quickly. */
  slowCallMs: number;
  slowMinSamples: number;
  /** A first call slower than this, ms, skips the measurement (--quick is a smoke run). */
  skipCallMs: number;
  /** W1 steps counted for the per-step dispatch figures, and empty round trips timed to price them. */
  statSteps: number;
  roundTrips: number;
}

export const DEFAULT_BUDGET: Budget = { timeMs: 2500, warmupMs: 300, warmupCapMs: 5000, minSamples: 10, slowCallMs: 500, slowMinSamples: 3, skipCallMs: Infinity, statSteps: 40, roundTrips: 300 };
export const QUICK_BUDGET: Budget = { timeMs: 250, warmupMs: 60, warmupCapMs: 1200, minSamples: 3, slowCallMs: 200, slowMinSamples: 2, skipCallMs: 1500, statSteps: 10, roundTrips: 50 };

export interface Measurement {
  /** Median time of one call, ms. */
  medianMs: number;
  samples: number;
  /** Relative margin of error of the mean time, %. */
  rme: number;
  warmupCalls: number;
}

export interface Skipped {
  skipped: string;
}

export async function measure(name: string, runner: Runner, warmupCalls: number, budget: Budget): Promise<Measurement | Skipped> {
  const started = performance.now();
  let calls = 0;
  let lastCallMs = 0;
  for (;;) {
    const t0 = performance.now();
    await runner.step();
    const elapsed = performance.now() - started;
    lastCallMs = performance.now() - t0;
    calls += 1;
    if (calls === 1 && lastCallMs > budget.skipCallMs) return { skipped: `${name} skipped: its first call took ${(lastCallMs / 1000).toFixed(1)} s` };
    if (calls >= warmupCalls && elapsed >= budget.warmupMs) break;
    if (elapsed >= budget.warmupCapMs) break;
  }
  // The last warm-up call is the warm one: the first also pays for compiling kernels.
  const minSamples = lastCallMs > budget.slowCallMs ? budget.slowMinSamples : budget.minSamples;
  const bench = new Bench({ time: budget.timeMs, iterations: minSamples, warmup: false, throws: true });
  bench.add(name, async () => {
    await runner.step();
  });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`bench: ${name} ended in state ${result.state}`);
  return { medianMs: result.latency.p50, samples: result.latency.samplesCount, rme: result.latency.rme, warmupCalls: calls };
}
