// The cold figure: the tutorial's first steps from a fresh process, run exactly as
// `npm run example -- two-layer-autograd` runs them (the built example runner, in a child process),
// read from the summary line the example prints: "… in 500 steps, 0.61 s, 820.3 steps/s …"
// (its rate has more digits than its seconds, so the time is taken as steps ÷ rate).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './torch-runner.js';

export interface ColdRun {
  steps: number;
  seconds: number;
}

const SUMMARY = /in (\d+) steps, [\d.]+ s, ([\d.]+) steps\/s/;

export function parseSummary(stdout: string): ColdRun {
  const m = SUMMARY.exec(stdout);
  if (m === null) throw new Error(`bench: the example printed no "in N steps, S s" summary: ${JSON.stringify(stdout.slice(-300))}`);
  const steps = Number(m[1]);
  return { steps, seconds: steps / Number(m[2]) };
}

export function coldRun(threads: number, steps: number): Promise<ColdRun> {
  const runner = join(repoRoot(), 'dist', 'examples', 'run.js');
  const args = [runner, 'two-layer-autograd', '--quiet', '--threads', `${threads}`, '--steps', `${steps}`];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 300_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`bench: the cold run failed: ${err.message}\n${stderr}`));
      else resolve(parseSummary(stdout));
    });
  });
}
