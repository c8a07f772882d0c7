// What Storage.release needs of the stream, in a module with no imports: storage.ts and
// runtime/stream.ts sit on an import cycle (storage → heap → … → ops → stream), and a binding
// that either of them owned could be read before its module had run.

export interface ReleaseGate {
  /** Whether launches are outstanding. */
  busy(): boolean;
  /** Runs `free` once every launch submitted before this call has finished. */
  defer(free: () => void): void;
}

let gate: ReleaseGate | null = null;

/** runtime/stream.ts sets the gate as it loads; until then nothing can be outstanding. */
export function setReleaseGate(g: ReleaseGate): void {
  gate = g;
}

export function releaseGate(): ReleaseGate | null {
  return gate;
}
