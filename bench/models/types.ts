// A bench model another part of Skein contributes: bench/models/<workload>.ts exports
// `model: BenchModel`, bench/models/index.ts lists it, and bench/torch/<workload>.py is its twin.
export interface BenchModel { name: string; unit: string; work: number; make(): Promise<{ step(): Promise<void>; close(): void }> }
