// Every PyTorch twin the bench names runs and reports what bench/torch-runner.ts expects: the
// workload's name and unit, positive work and time. A twin that broke would otherwise show only
// as a missing ratio in the next bench run. Needs Debian's torch (python3-torch): CI installs it
// and sets SKEIN_REQUIRE_TORCH=1, so there these tests fail instead of skipping.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../bench/models/index.js';
import { runTorch, torchAvailable, torchScript } from '../bench/torch-runner.js';
import { WORKLOADS } from '../bench/workloads.js';

const required = process.env.SKEIN_REQUIRE_TORCH === '1';

interface Twin {
  workload: string;
  unit: string;
  script: string;
  args: readonly string[];
}

const TWINS: Twin[] = [
  ...WORKLOADS.filter((w) => w.torch !== undefined).map((w) => ({ workload: w.name, unit: w.unit, script: w.torch!.script, args: w.torch!.args })),
  ...MODELS.filter((m) => existsSync(torchScript(`${m.name}.py`))).map((m) => ({ workload: m.name, unit: m.unit, script: `${m.name}.py`, args: [] })),
];

describe("the bench's PyTorch twins", () => {
  it('cover the training models and the workloads issue 10 names', () => {
    const names = TWINS.map((t) => t.workload);
    for (const name of ['w1', 'w2', 'w2-sync10', 'cold', 'op-overhead-fwd', 'op-overhead-fwd-bwd', 'matmul-1024', 'cnn', 'lstm']) expect(names).toContain(name);
  });

  for (const twin of TWINS) {
    it(`${twin.workload}: ${twin.script} ${twin.args.join(' ')}`, async (ctx) => {
      if (!(await torchAvailable())) {
        if (required) throw new Error('SKEIN_REQUIRE_TORCH=1 but /usr/bin/python3 cannot import torch: install python3-torch');
        ctx.skip();
      }
      const r = await runTorch(twin.script, twin.args, 1, 0.05);
      expect(r.unit).toBe(twin.unit);
      expect(r.work).toBeGreaterThan(0);
      expect(r.seconds).toBeGreaterThan(0);
      if (twin.workload !== 'cold') expect(r.workload).toBe(twin.workload);
    }, 120_000);
  }
});
