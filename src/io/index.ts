// io: checkpoints in the safetensors format.
export { save, load, loadMetadata, encode, decode, withPrefix, underPrefix, CheckpointError, type SaveOptions, type Decoded } from './safetensors.js';
