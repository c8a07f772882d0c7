// data: batching and seeded shuffling.
export { DataLoader, type DataLoaderOptions } from './loader.js';
export { randperm, type RandpermOptions } from './randperm.js';
export { DistributedSampler, type DistributedSamplerOptions, type Sampler } from './distributed-sampler.js';
