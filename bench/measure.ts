// Timing one runner: untimed warm-up calls, then calls back to back for at least `seconds` of wall
// time. The figure is work ÷ wall time over the whole run, so garbage collections and any step
// slower than the median count as users see them; the median single call is kept beside it.
import { PerformanceObserver } from 'node:perf_hooks';
import type { Runner } from './workloads.js';

export interface Budget {
  /** Wall time of the timed run per figure, s: long enough to include several collections. */
  seconds: number;
  /** Warm-up lasts at least this long and at least the workload's warm-up calls… */
  warmupMs: number;
  /** …but stops here once one call has run, so a slow implementation cannot eat the run. */
  warmupCapMs: number;
  /** Timed calls at least, however long they take. */
  minCalls: number;
  /** A first call slower than this, ms, skips the measurement (--quick is a smoke run). */
  skipCallMs: number;
  /** W1 steps counted for the per-step dispatch figures, and empty round trips timed to price them. */
  statSteps: number;
  roundTrips: number;
  /** Fresh processes the cold figure runs (their steps and times are summed). */
  coldRuns: number;
}

export const DEFAULT_BUDGET: Budget = { seconds: 3, warmupMs: 500, warmupCapMs: 5000, minCalls: 3, skipCallMs: Infinity, statSteps: 40, roundTrips: 300, coldRuns: 3 };
export const QUICK_BUDGET: Budget = { seconds: 0.3, warmupMs: 60, warmupCapMs: 1200, minCalls: 2, skipCallMs: 4000, statSteps: 10, roundTrips: 50, coldRuns: 1 };

export interface Measurement {
  /** Timed calls and their total wall time, s: the figure is work · calls ÷ seconds. */
  calls: number;
  seconds: number;
  /** Median time of one call, ms (the second column). */
  medianMs: number;
  warmupCalls: number;
  /** Collections V8 reported during the timed run, and their total pause, ms. */
  gcCount: number;
  gcMs: number;
}

export interface Skipped {
  skipped: string;
}

/** Counts V8's collections between start() and stop() (entries arrive asynchronously). */
function gcWatch(): { stop(): Promise<{ count: number; ms: number }> } {
  let count = 0;
  let ms = 0;
  let open = true;
  const observer = new PerformanceObserver((list) => {
    if (!open) return;
    for (const entry of list.getEntries()) {
      count += 1;
      ms += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      await new Promise((resolve) => setImmediate(resolve));
      open = false;
      observer.disconnect();
      return { count, ms };
    },
  };
}

export async function measure(name: string, runner: Runner, warmupCalls: number, budget: Budget): Promise<Measurement | Skipped> {
  const started = performance.now();
  let calls = 0;
  for (;;) {
    const t0 = performance.now();
    await runner.step();
    const now = performance.now();
    calls += 1;
    if (calls === 1 && now - t0 > budget.skipCallMs) return { skipped: `${name} skipped: its first call took ${((now - t0) / 1000).toFixed(1)} s` };
    if (calls >= warmupCalls && now - started >= budget.warmupMs) break;
    if (now - started >= budget.warmupCapMs) break;
  }
  await runner.settle?.();
  const times: number[] = [];
  const gc = gcWatch();
  const t0 = performance.now();
  let last = t0;
  while (times.length < budget.minCalls || last - t0 < budget.seconds * 1000) {
    await runner.step();
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  // Work a call left queued (a loop that does not read every step) is part of the run.
  await runner.settle?.();
  const seconds = (performance.now() - t0) / 1000;
  const { count, ms } = await gc.stop();
  times.sort((a, b) => a - b);
  return { calls: times.length, seconds, medianMs: times[Math.floor(times.length / 2)], warmupCalls: calls, gcCount: count, gcMs: ms };
}
