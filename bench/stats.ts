// What the worker pool costs per training step: launches counted by the runtime, and the price of
// one round trip measured with an empty job (no tiles), so no kernel time is mixed in.
import { runtimeStats, synchronize } from '../src/index.js';
import { getNumThreads, runOnPool } from '../src/runtime/pool.js';
import { CONTROL_SLOTS, DONE, type TileJob } from '../src/runtime/tiles.js';
import type { Runner } from './workloads.js';

export interface StepDispatches {
  msPerStep: number;
  poolLaunchesPerStep: number;
  poolTasksPerStep: number;
  inlineLaunchesPerStep: number;
  /** Launches the main thread split with the lane's helper threads. */
  laneLaunchesPerStep: number;
}

/** Runs `steps` steps (after the runner's caller has warmed the pool) and averages the counters. */
export async function w1Dispatches(runner: Runner, steps: number): Promise<StepDispatches> {
  try {
    await runner.step();
    await synchronize();
    const before = runtimeStats();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await runner.step();
    await synchronize();
    const ms = performance.now() - t0;
    const after = runtimeStats();
    return {
      msPerStep: ms / steps,
      poolLaunchesPerStep: (after.poolLaunches - before.poolLaunches) / steps,
      poolTasksPerStep: (after.poolTasks - before.poolTasks) / steps,
      inlineLaunchesPerStep: (after.inlineLaunches - before.inlineLaunches) / steps,
      laneLaunchesPerStep: (after.laneLaunches - before.laneLaunches) / steps,
    };
  } finally {
    runner.close();
  }
}

/**
 * Median time, µs, for one pool launch's worth of piscina traffic: one task per worker, as the
 * stream sends them, each claiming from a job with zero tiles and returning at once.
 */
export async function dispatchRoundTripUs(trips: number): Promise<number> {
  const job = (): TileJob => ({ task: { kernel: 'map', args: {} }, control: new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4)), tiles: 0, grain: 1, units: 0 });
  const times: number[] = [];
  for (let i = 0; i < trips + 10; i++) {
    const t0 = performance.now();
    const j = job();
    await Promise.all(Array.from({ length: getNumThreads() }, () => runOnPool(j)));
    if (Atomics.load(j.control, DONE) !== 0) throw new Error('bench: an empty pool job ran a tile');
    if (i >= 10) times.push((performance.now() - t0) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
