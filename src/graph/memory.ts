// Buffer planning: each temporary lives from the step that writes it to the last step that reads
// it (through views); temporaries whose lives do not overlap share one arena buffer. The arena
// is allocated at a plan's first run and reused by every later run, so a steady-state run
// allocates only the results it hands back.
import { ARRAY_OF, type DType } from '../dtype.js';
import type { PlanValue, Slot, Step } from './plan.js';

export interface BufferPlan {
  buffers: { dtype: DType; numel: number }[];
  temps: number;
  tempBytes: number;
  bufferBytes: number;
}

const bytes = (dtype: DType, numel: number) => Math.max(numel, 1) * ARRAY_OF[dtype].BYTES_PER_ELEMENT;

export function planBuffers(values: readonly PlanValue[], slots: Slot[], steps: readonly Step[], fetches: readonly (number | null)[], reuse: boolean, internal: boolean): BufferPlan {
  const rootSlot = (i: number): number => {
    while (values[i].kind === 'view') i = values[i].inputs[0];
    return values[i].slot;
  };
  const defined = new Map<number, number>();
  const lastUse = new Map<number, number>();
  // A loop step writes all its outputs (a carry that nothing reads still needs its storage).
  const written = (step: Step): number[] => (step.kind === 'scan' || step.kind === 'while' || step.kind === 'cond' ? step.outputs : [step.value]).map((i) => values[i].slot);
  steps.forEach((step, at) => {
    for (const slot of written(step)) if (slot >= 0 && slots[slot].kind === 'temp' && !defined.has(slot)) defined.set(slot, at);
    for (const x of step.inputs) lastUse.set(rootSlot(x), at);
  });
  // A scan body's results are copied out by its caller after the body has run.
  if (internal) for (const f of fetches) if (f !== null) lastUse.set(rootSlot(f), Infinity);

  const plan: BufferPlan = { buffers: [], temps: 0, tempBytes: 0, bufferBytes: 0 };
  const free: number[] = [];
  const releaseAt = new Map<number, number[]>();
  for (const [slot, at] of defined) {
    plan.temps += 1;
    plan.tempBytes += bytes(slots[slot].dtype, slots[slot].numel);
    const end = Math.max(at, lastUse.get(slot) ?? at);
    releaseAt.set(end, [...(releaseAt.get(end) ?? []), slot]);
  }
  if (!reuse) return plan;
  for (let at = 0; at < steps.length; at++) {
    // Outputs are placed before this step's dead inputs are released: a kernel never writes the
    // buffer it is reading.
    for (const slot of written(steps[at])) if (slot >= 0 && defined.get(slot) === at) slots[slot].buffer = take(plan, free, slots[slot]);
    for (const s of releaseAt.get(at) ?? []) free.push(slots[s].buffer);
  }
  plan.bufferBytes = plan.buffers.reduce((sum, b) => sum + bytes(b.dtype, b.numel), 0);
  return plan;
}

/** Best fit among free buffers of the dtype; else grow the largest free one; else a new one. */
function take(plan: BufferPlan, free: number[], slot: Slot): number {
  let best = -1;
  let largest = -1;
  free.forEach((b, k) => {
    const buf = plan.buffers[b];
    if (buf.dtype !== slot.dtype) return;
    if (buf.numel >= slot.numel && (best < 0 || buf.numel < plan.buffers[free[best]].numel)) best = k;
    if (largest < 0 || buf.numel > plan.buffers[free[largest]].numel) largest = k;
  });
  const k = best >= 0 ? best : largest;
  if (k >= 0) {
    const b = free[k];
    free.splice(k, 1);
    plan.buffers[b].numel = Math.max(plan.buffers[b].numel, slot.numel);
    return b;
  }
  plan.buffers.push({ dtype: slot.dtype, numel: slot.numel });
  return plan.buffers.length - 1;
}
