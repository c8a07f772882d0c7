// Checkpoints in the safetensors format (huggingface/safetensors), which PyTorch users already
// share weights in:
//   8 bytes   N, the header's length, unsigned little-endian
//   N bytes   JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}
//   the rest  every tensor's bytes, row-major little-endian; offsets count from here, and the
//             tensors cover it exactly (no holes, no overlap)
// Tensors are copied byte for byte, which assumes a little-endian host (every platform Node's
// prebuilt binaries target).
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ARRAY_OF, type DType } from '../dtype.js';
import { SkeinError, ValueError } from '../errors.js';
import { numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { show } from '../validate.js';
import { optionsOf } from '../validate.js';

/** A file that is not a well-formed safetensors file, or holds what Skein cannot represent. */
export class CheckpointError extends SkeinError {}

const CODE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const DTYPE_OF: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', BOOL: 'bool' };
/** The reference implementation refuses headers above 100 MB; so does this one. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SaveOptions {
  /** Free-form strings stored in the header's __metadata__. */
  metadata?: Record<string, string>;
}

/** The file's bytes: header padded with spaces to 8 bytes, so each tensor's data starts aligned. */
export async function encode(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  if (tensors === null || typeof tensors !== 'object') throw new ValueError(`save: got ${show(tensors)}, expected an object of tensors by name`);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new ValueError(`save: metadata ${JSON.stringify(k)} is ${typeof v}, expected a string`);
    header.__metadata__ = metadata;
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t instanceof Tensor)) throw new ValueError(`save: ${JSON.stringify(name)} is ${typeof t}, expected a Tensor`);
    if (name === '__metadata__') throw new ValueError('save: the name __metadata__ is reserved by the format; expected another name');
    const values = await t.data();
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    setOwn(header, name, { dtype: CODE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] });
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json);
  json += ' '.repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const head = Buffer.from(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface Decoded {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses a file's bytes; `where` names the file in errors. */
export function decode(bytes: Uint8Array, where = 'safetensors data'): Decoded {
  const fail = (why: string) => new CheckpointError(`load: ${where} is not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw fail(`it is ${bytes.length} bytes long, expected at least the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) throw fail(`the header claims ${n} bytes but ${bytes.length - 8} follow the length (truncated or corrupt)`);
  const headerEnd = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, Number(n)).toString('utf8'));
  } catch (err) {
    throw fail(`its header is not JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw fail('its header is not a JSON object');
  const dataLength = bytes.length - headerEnd;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Object.values(entry).some((v) => typeof v !== 'string')) throw fail('__metadata__ is not an object of strings');
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') throw fail(`entry ${JSON.stringify(name)} is not an object`);
    const dtype = DTYPE_OF[String(e.dtype)];
    if (dtype === undefined) throw fail(`tensor ${JSON.stringify(name)} has dtype ${JSON.stringify(e.dtype)}; Skein reads F32, F64, I32 and BOOL`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`tensor ${JSON.stringify(name)} has shape ${JSON.stringify(shape)}, expected non-negative integers`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw fail(`tensor ${JSON.stringify(name)} has data_offsets ${JSON.stringify(offsets)}, expected [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = offsets as [number, number];
    const size = numel(shape) * ARRAY_OF[dtype].BYTES_PER_ELEMENT;
    if (end - begin !== size) throw fail(`tensor ${JSON.stringify(name)} of ${e.dtype} ${JSON.stringify(shape)} needs ${size} bytes, its data_offsets span ${end - begin}`);
    if (end > dataLength) throw fail(`tensor ${JSON.stringify(name)} ends at byte ${end} of the data, which has only ${dataLength} bytes (truncated)`);
    const t = Tensor.empty(shape, dtype);
    new Uint8Array(t.storage.data.buffer, t.storage.data.byteOffset, size).set(bytes.subarray(headerEnd + begin, headerEnd + end));
    if (dtype === 'bool' && t.storage.data.some((v) => v > 1)) throw fail(`tensor ${JSON.stringify(name)} is BOOL but holds bytes other than 0 and 1`);
    setOwn(tensors, name, t);
    spans.push([begin, end, name]);
  }
  // The format asks that the tensors tile the data exactly.
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== covered) throw fail(begin < covered ? `tensor ${JSON.stringify(name)} overlaps the tensor before it` : `bytes ${covered}–${begin} of the data belong to no tensor`);
    covered = end;
  }
  if (covered !== dataLength) throw fail(`the data has ${dataLength} bytes but the tensors cover ${covered} (trailing bytes or truncation)`);
  return { tensors, metadata };
}

/**
 * Writes tensors to a safetensors file, atomically: a temporary file in the same directory is
 * written, flushed and renamed over the path, so a crash never leaves half a checkpoint.
 * Waits for the tensors' values.
 * @example await save(model.stateDict(), 'model.safetensors')
 */
export async function save(tensors: Record<string, Tensor>, path: string, options: SaveOptions = {}): Promise<void> {
  const { metadata } = optionsOf('save', options, ['metadata']) as SaveOptions;
  if (typeof path !== 'string' || path === '') throw new ValueError(`save: got path ${show(path)}, expected a file path string`);
  const bytes = await encode(tensors, metadata);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `its directory ${dirname(path)} does not exist` : (err as Error).message;
    throw new CheckpointError(`save: cannot write ${path} (${why}); expected a writable path in an existing directory`, { cause: err });
  }
}

/**
 * obj[name] = value as an own property even for "__proto__", which plain assignment would turn
 * into a prototype change (the entry vanished from a loaded checkpoint).
 */
function setOwn(obj: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Reads every tensor of a safetensors file; throws CheckpointError on a truncated or corrupt file.
 * @example model.loadStateDict(await load('model.safetensors'))
 */
export async function load(path: string): Promise<Record<string, Tensor>> {
  if (typeof path !== 'string' || path === '') throw new ValueError(`load: got path ${show(path)}, expected a file path string`);
  return decode(await read(path), path).tensors;
}

/** The header's __metadata__ strings (an empty object when there are none). */
export async function loadMetadata(path: string): Promise<Record<string, string>> {
  if (typeof path !== 'string' || path === '') throw new ValueError(`loadMetadata: got path ${show(path)}, expected a file path string`);
  return decode(await read(path), path).metadata;
}

async function read(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new CheckpointError(`load: cannot read ${path} (${(err as Error).message}); expected a readable safetensors file`, { cause: err });
  }
}

/** The same tensors under `prefix + name`: several state dicts can share one file. */
export function withPrefix(prefix: string, tensors: Record<string, Tensor>): Record<string, Tensor> {
  checkPrefixArgs('withPrefix', prefix, tensors);
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [prefix + k, v]));
}

/** The tensors whose names start with prefix, with it removed: the inverse of withPrefix. */
export function underPrefix(prefix: string, tensors: Record<string, Tensor>): Record<string, Tensor> {
  checkPrefixArgs('underPrefix', prefix, tensors);
  return Object.fromEntries(Object.entries(tensors).flatMap(([k, v]) => (k.startsWith(prefix) ? [[k.slice(prefix.length), v]] : [])));
}

function checkPrefixArgs(op: string, prefix: unknown, tensors: unknown): void {
  if (typeof prefix !== 'string') throw new ValueError(`${op}: got prefix ${show(prefix)}, expected a string`);
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) throw new ValueError(`${op}: got ${show(tensors)}, expected an object of tensors by name`);
}
