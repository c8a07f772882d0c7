// Checkpoints in the safetensors format: round trips, a file built byte by byte from the spec,
// atomic writes, and clear errors on truncated or corrupt files.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, load, loadMetadata, randn, save, tensor, type Tensor } from '../../src/index.js';
import { decode } from '../../src/io/index.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skein-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Header length as 8 little-endian bytes, then the header, then the data. */
function file(header: string, data: number[]): Uint8Array {
  const head = Buffer.from(header);
  const n = [head.length & 0xff, head.length >> 8, 0, 0, 0, 0, 0, 0];
  return Uint8Array.from([...n, ...head, ...data]);
}

// Written by hand from the spec: F32 [2, 2] = 1, 2, −0.5, 0.25; I32 [2] = 7, −1; BOOL [3]; F64 [] = 1.5.
const FIXTURE_HEADER =
  '{"__metadata__":{"format":"pt"},' +
  '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
  '"idx":{"dtype":"I32","shape":[2],"data_offsets":[16,24]},' +
  '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[24,27]},' +
  '"scale":{"dtype":"F64","shape":[],"data_offsets":[27,35]}}';
const FIXTURE_DATA = [
  0x00, 0x00, 0x80, 0x3f, /* 1 */ 0x00, 0x00, 0x00, 0x40, /* 2 */ 0x00, 0x00, 0x00, 0xbf, /* −0.5 */ 0x00, 0x00, 0x80, 0x3e, /* 0.25 */
  0x07, 0x00, 0x00, 0x00, /* 7 */ 0xff, 0xff, 0xff, 0xff, /* −1 */
  0x01, 0x00, 0x01, /* true false true */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, /* 1.5 */
];

describe('safetensors', () => {
  it('loads a file written by hand to the spec with the right names, shapes, dtypes and values', async () => {
    const path = join(dir, 'fixture.safetensors');
    await writeFile(path, file(FIXTURE_HEADER, FIXTURE_DATA));
    const t = await load(path);
    expect(Object.keys(t)).toEqual(['w', 'idx', 'mask', 'scale']);
    expect([t.w.dtype, t.w.shape, await t.w.toArray()]).toEqual(['float32', [2, 2], [[1, 2], [-0.5, 0.25]]]);
    expect([t.idx.dtype, await t.idx.toArray()]).toEqual(['int32', [7, -1]]);
    expect([t.mask.dtype, await t.mask.toArray()]).toEqual(['bool', [true, false, true]]);
    expect([t.scale.dtype, t.scale.shape, await t.scale.toArray()]).toEqual(['float64', [], 1.5]);
    expect(await loadMetadata(path)).toEqual({ format: 'pt' });
  });

  it('reads back what it writes, bit for bit, for every dtype, including views and empty tensors', async () => {
    const path = join(dir, 'roundtrip.safetensors');
    const base = randn([3, 4]);
    const tensors: Record<string, Tensor> = {
      f32: base,
      transposed: base.t(),
      f64: randn([5], { dtype: 'float64' }),
      i32: tensor([1, -2, 2147483647], { dtype: 'int32' }),
      flags: tensor([true, false]),
      empty: randn([0, 3]),
    };
    await save(tensors, path, { metadata: { epoch: '3' } });
    const back = await load(path);
    for (const [name, t] of Object.entries(tensors)) {
      expect([back[name].dtype, back[name].shape], name).toEqual([t.dtype, t.shape]);
      expect(await back[name].data(), name).toEqual(await t.data());
    }
    expect(await loadMetadata(path)).toEqual({ epoch: '3' });
  });

  it('writes the layout the spec asks for: u64 header length, JSON, 8-byte-aligned data tiled in order', async () => {
    const path = join(dir, 'layout.safetensors');
    await save({ a: tensor([1, 2, 3]), b: tensor([4], { dtype: 'float64' }) }, path);
    const bytes = await readFile(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
    expect(header).toEqual({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F64', shape: [1], data_offsets: [12, 20] } });
    expect(bytes.length).toBe(8 + n + 20);
    expect(bytes.readFloatLE(8 + n + 4)).toBe(2);
    expect(bytes.readDoubleLE(8 + n + 12)).toBe(4);
  });

  it('replaces a file atomically: no temporary file is left, and a failed save keeps the old file', async () => {
    const sub = await mkdtemp(join(dir, 'atomic-'));
    const path = join(sub, 'model.safetensors');
    await save({ w: tensor([1]) }, path);
    await save({ w: tensor([2]) }, path);
    expect(await readdir(sub)).toEqual(['model.safetensors']);
    const before = await readFile(path);
    await expect(save({ w: 'not a tensor' as unknown as Tensor }, path)).rejects.toThrow(/save: "w" is string, expected a Tensor/);
    await expect(save({ w: tensor([3]) }, join(sub, 'missing-dir', 'x.safetensors'))).rejects.toThrow();
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(sub)).toEqual(['model.safetensors']);
  });

  it('rejects a missing file with a CheckpointError naming it', async () => {
    await expect(load(join(dir, 'nowhere.safetensors'))).rejects.toThrow(CheckpointError);
    await expect(load(join(dir, 'nowhere.safetensors'))).rejects.toThrow(/load: cannot read .*nowhere\.safetensors \(ENOENT/);
  });

  const good = file(FIXTURE_HEADER, FIXTURE_DATA);
  const corrupt: [string, Uint8Array, RegExp][] = [
    ['a file shorter than the length prefix', good.subarray(0, 5), /it is 5 bytes long, expected at least the 8-byte header length/],
    ['a header cut short', good.subarray(0, 40), /the header claims \d+ bytes but 32 follow/],
    ['data cut short', good.subarray(0, good.length - 3), /tensor "scale" ends at byte 35 of the data, which has only 32 bytes \(truncated\)/],
    ['trailing bytes', Uint8Array.from([...good, 0]), /the data has 36 bytes but the tensors cover 35/],
    ['a header that is not JSON', file('{"w": nope}', []), /its header is not JSON/],
    ['a header that is a list', file('[1, 2]', []), /its header is not a JSON object/],
    ['a dtype Skein lacks', file('{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}', [0, 0]), /tensor "h" has dtype "F16"; Skein reads F32, F64, I32 and BOOL/],
    ['offsets that disagree with the shape', file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /needs 8 bytes, its data_offsets span 4/],
    ['a hole between tensors', file('{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"BOOL","shape":[1],"data_offsets":[2,3]}}', [0, 0, 1]), /bytes 1–2 of the data belong to no tensor/],
    ['overlapping tensors', file('{"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"BOOL","shape":[1],"data_offsets":[1,2]}}', [0, 1]), /overlaps the tensor before it/],
    ['a negative size', file('{"a":{"dtype":"I32","shape":[-1],"data_offsets":[0,0]}}', []), /has shape \[-1\], expected non-negative integers/],
    ['a BOOL byte other than 0 or 1', file('{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}', [7]), /holds bytes other than 0 and 1/],
  ];
  it.each(corrupt)('rejects %s with a CheckpointError that says what is wrong', async (_, bytes, message) => {
    expect(() => decode(bytes, 'x.safetensors')).toThrow(CheckpointError);
    expect(() => decode(bytes, 'x.safetensors')).toThrow(message);
    const path = join(dir, 'corrupt.safetensors');
    await writeFile(path, bytes);
    await expect(load(path)).rejects.toThrow(/load: .*corrupt\.safetensors is not a valid safetensors file/);
  });
});
