// The compiled plan as text: what runs, in what order, in which buffers, with how many launches.
import { fmtShape } from '../errors.js';
import type { SymbolicTensor } from './node.js';
import type { Plan, Step } from './plan.js';
import type { CondSpec } from './cond.js';
import type { ScanSpec } from './scan.js';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function explainPlan(plan: Plan, fetches: readonly SymbolicTensor[], nested = false): string {
  const { values, slots, steps, stats } = plan;
  const name = (i: number) => values[i].node.name;
  const where = (i: number): string => {
    let r = i;
    while (values[r].kind === 'view') r = values[r].inputs[0];
    const slot = slots[values[r].slot];
    if (slot === undefined) return '';
    if (slot.kind === 'temp') return slot.buffer >= 0 ? `buf${slot.buffer}` : 'new';
    if (slot.kind === 'variable') return `var ${slot.variable?.name}`;
    return slot.kind;
  };
  const describe = (step: Step): string => {
    const v = values[step.value];
    const args = step.inputs.map(name).join(', ');
    const out = `${fmtShape(v.shape)} ${v.dtype} → ${where(step.value)}`;
    switch (step.kind) {
      case 'fused':
        return `${step.kernel.name}(${args})${step.kernel.params.length > 0 ? ` params [${step.kernel.params.map((p) => p.toPrecision(4)).join(', ')}]` : ''}${step.target ? ` writes ${step.target.name} in place` : ''}  ${out}\n        expr: ${step.kernel.body}${step.kernel.expr}`;
      case 'op':
        return `${v.op?.name} ${name(step.value)}(${args})  ${out}`;
      case 'assign':
        return `${name(step.value)} ← ${args}  ${out}`;
      case 'scan':
      case 'while': {
        const spec = v.attrs.spec as ScanSpec;
        const trips = step.kind === 'while' ? 'until its condition is false' : `× ${v.attrs.T} steps${spec.reverse ? ', reversed' : ''}`;
        const outs = step.outputs.map((o) => `${name(o)} ${fmtShape(values[o].shape)} → ${where(o)}`).join(', ');
        const inner = (p: Plan, f: readonly SymbolicTensor[], title: string) => `\n        ${title}:\n` + explainPlan(p, f, true).split('\n').map((l) => `          ${l}`).join('\n');
        const cond = step.condition === null || spec.condition === null ? '' : inner(step.condition, [spec.condition], 'condition, compiled once');
        return `${step.kind} ${name(step.value)}(${args}) ${trips}, writing ${outs}${cond}${inner(step.body, [...spec.carryOuts, ...spec.extras], 'body, compiled once')}`;
      }
      case 'cond': {
        const spec = v.attrs.spec as CondSpec;
        const outs = step.outputs.map((o) => `${name(o)} ${fmtShape(values[o].shape)} → ${where(o)}`).join(', ');
        const inner = (p: Plan, f: readonly SymbolicTensor[], title: string) => `\n        ${title}:\n` + explainPlan(p, f, true).split('\n').map((l) => `          ${l}`).join('\n');
        return `cond ${name(step.value)}(${args}) runs one branch, writing ${outs}${inner(step.branches[0], spec.branches[0], 'true branch, compiled once')}${inner(step.branches[1], spec.branches[1], 'false branch, compiled once')}`;
      }
      default:
        return `${step.kind} ${name(step.value)}(${args})  ${out}`;
    }
  };
  const fused = steps.filter((s) => s.kind === 'fused');
  const fusedOps = fused.reduce((n, s) => n + (s.kind === 'fused' ? s.members.length : 0), 0);
  const feeds = plan.feeds.map((f, k) => `${f.name} ${fmtShape(values.find((v) => v.feedIndex === k)?.shape ?? [])}`).join(', ');
  const lines = [
    `plan for ${fetches.map((f) => f.name).join(', ')}${feeds ? ` with feeds ${feeds}` : ''}`,
    `nodes: ${stats.needed} needed, ${stats.merged} merged (CSE), ${stats.folded} folded to constants`,
    `steps: ${steps.length} (${fused.length} fused passes covering ${fusedOps} elementwise ops)`,
    ...steps.map((s, k) => `  ${String(k).padStart(3)}  ${describe(s)}`),
    `buffers: ${stats.temps} temporaries (${kb(stats.tempBytes)} if each had its own) in ${plan.buffers.length} arena buffers (${kb(stats.bufferBytes)})`,
    ...(nested ? [] : [dispatches(plan)]),
  ];
  return lines.join('\n');
}

function dispatches(plan: Plan): string {
  return plan.lastRun === null
    ? 'dispatches: not run yet'
    : `dispatches in the last run: ${plan.lastRun.inlineLaunches + plan.lastRun.poolLaunches} kernel launches, ${plan.lastRun.inlineLaunches} inline, ${plan.lastRun.poolLaunches} on the pool (${plan.lastRun.poolTasks} worker tasks)`;
}
