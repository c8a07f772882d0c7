// The MPI addon (native/mpi) behind skein/distributed: loaded on init(), never at import, so a
// machine without MPI imports Skein as before and learns what to install only if it calls init().
import { DistributedError } from '../errors.js';
import { loadAddon } from '../native.js';

/** Collective kinds and reduction codes, as native/mpi/mpi.c numbers them. */
export const KIND = { barrier: 1, allReduce: 2, broadcast: 3, allGather: 4, reduceScatter: 5 } as const;
export const REDUCE = { sum: 0, max: 1, min: 2, avg: 3 } as const;

export type CollectiveArray = Float32Array | Float64Array | Int32Array;

export interface MpiInfo {
  rank: number;
  size: number;
  localRank: number;
  localSize: number;
  threadLevel: number;
}

export interface MpiAddon {
  init(timeoutMs: number): Promise<MpiInfo>;
  collective(kind: number, a?: CollectiveArray, b?: CollectiveArray | null, arg?: number): Promise<void>;
  finalize(): Promise<void>;
  join(): void;
  abort(code: number): void;
  shutdown(exitCode: number): void;
  state(): 'idle' | 'running' | 'failed' | 'finalized';
}

export const INSTALL_HINT =
  'install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; or MPICH), rebuild Skein so native/build.mjs compiles the addon with mpicc (npm rebuild skein), ' +
  'and launch with mpirun -np N --bind-to none node script.js';

/** The addon, or a DistributedError that says why it is missing and what to install. */
export function mpiAddon(op: string): MpiAddon {
  const { addon, reason } = loadAddon<MpiAddon>('mpi');
  if (addon === null) throw new DistributedError(`${op}: the MPI addon is not available (${reason}); ${INSTALL_HINT}`);
  return addon;
}

/** An addon rejection as a DistributedError that names the user's op. */
export function distributedError(op: string, err: unknown): DistributedError {
  const e = err as Error & { code?: string };
  const message = e?.message ?? String(err);
  const hint = e?.code === 'TIMEOUT' ? '; the timeout is init({ timeoutMs }) or SKEIN_DIST_TIMEOUT_MS' : '';
  return new DistributedError(`${message.startsWith(op) ? message : `${op}: ${message}`}${hint}`, { cause: err });
}
