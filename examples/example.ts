// What every example exports, and what the runner gives it.

export interface ExampleOptions {
  /** Training steps (each example has its own default: the tutorial's 500). */
  steps?: number;
  /** Print only the summary, not one line per step. */
  quiet: boolean;
  seed: number;
  threads: number;
  /** Where an example writes its files (checkpoints, plots); a fresh temporary directory when unset. */
  out?: string;
  /** Where to print. */
  log: (line: string) => void;
}

export interface ExampleResult {
  /** Did training do what the example promises (e.g. the loss fell by 1000×)? */
  ok: boolean;
  summary: string;
  /** The loss at every step, also when quiet (tests compare runs at different thread counts). */
  losses: number[];
}

export interface Example {
  name: string;
  description: string;
  run(options: ExampleOptions): Promise<ExampleResult>;
}

/** The tutorial's check: the last loss is far below the first. */
export function lossFell(name: string, losses: number[], factor: number, seconds: number, threads: number): ExampleResult {
  const first = losses[0];
  const last = losses[losses.length - 1];
  const ratio = first / last;
  const ok = Number.isFinite(last) && ratio > factor;
  const rate = losses.length / seconds;
  return {
    ok,
    losses,
    summary:
      `${name}: loss ${first.toPrecision(6)} → ${last.toPrecision(6)} (${ratio.toExponential(2)}× lower; needs > ${factor}×) ` +
      `in ${losses.length} steps, ${seconds.toFixed(2)} s, ${rate.toFixed(1)} steps/s on ${threads} thread(s)`,
  };
}
