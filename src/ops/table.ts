// The op table: every primitive Skein has. Composites (mean, softmax, mseLoss …) are methods
// built from these and have no kernel or backward of their own.
import * as checks from './checks.js';
import * as conv from './conv.js';
import * as elementwise from './elementwise.js';
import * as indexing from './indexing.js';
import * as linalg from './linalg.js';
import * as layout from './layout.js';
import * as math from './math.js';
import * as norm from './norm.js';
import * as pool from './pool.js';
import * as reduce from './reduce.js';
import * as scan from './scan.js';
import * as sort from './sort.js';
import * as rnn from './rnn.js';
import * as views from './views.js';
import type { OpDef } from './define.js';

export const OPS = {
  neg: elementwise.neg,
  exp: elementwise.exp,
  log: elementwise.log,
  sqrt: elementwise.sqrt,
  abs: elementwise.abs,
  sign: elementwise.sign,
  tanh: elementwise.tanh,
  sigmoid: elementwise.sigmoid,
  relu: elementwise.relu,
  reluBackward: elementwise.reluBackward,
  logicalNot: elementwise.logicalNot,
  clamp: elementwise.clamp,
  powScalar: elementwise.powScalar,
  add: elementwise.add,
  sub: elementwise.sub,
  mul: elementwise.mul,
  div: elementwise.div,
  pow: elementwise.pow,
  maximum: elementwise.maximum,
  minimum: elementwise.minimum,
  lt: elementwise.lt,
  le: elementwise.le,
  gt: elementwise.gt,
  ge: elementwise.ge,
  eq: elementwise.eq,
  ne: elementwise.ne,
  where: elementwise.where,
  sum: reduce.sum,
  max: reduce.max,
  min: reduce.min,
  argmax: reduce.argmax,
  argmin: reduce.argmin,
  matmul: linalg.matmul,
  reshape: views.reshape,
  transpose: views.transpose,
  permute: views.permute,
  expand: views.expand,
  unsqueeze: views.unsqueeze,
  squeeze: views.squeeze,
  narrow: views.narrow,
  pad: views.pad,
  cat: views.cat,
  contiguous: views.contiguous,
  cast: views.cast,
  fullLike: views.fullLike,
  indexSelect: indexing.indexSelect,
  indexAdd: indexing.indexAdd,
  gather: indexing.gather,
  scatterAdd: indexing.scatterAdd,
  sin: math.sin,
  cos: math.cos,
  erf: math.erf,
  floor: math.floor,
  ceil: math.ceil,
  round: math.round,
  trunc: math.trunc,
  log1p: math.log1p,
  expm1: math.expm1,
  rsqrt: math.rsqrt,
  reciprocal: math.reciprocal,
  square: math.square,
  isnan: math.isnan,
  isinf: math.isinf,
  isfinite: math.isfinite,
  cumsum: scan.cumsum,
  linearScan: scan.linearScan,
  argsort: sort.argsort,
  flip: layout.flip,
  slice: layout.slice,
  lstmCell: rnn.lstmCell,
  lstmCellBackward: rnn.lstmCellBackward,
  gruCell: rnn.gruCell,
  gruCellBackward: rnn.gruCellBackward,
  conv2d: conv.conv2d,
  convTranspose2d: conv.convTranspose2d,
  conv2dWeight: conv.conv2dWeight,
  maxPool2d: pool.maxPool2d,
  maxPool2dIndices: pool.maxPool2dIndices,
  maxPool2dBackward: pool.maxPool2dBackward,
  avgPool2d: pool.avgPool2d,
  avgPool2dBackward: pool.avgPool2dBackward,
  batchNormStats: norm.batchNormStats,
  checkRange: checks.checkRange,
} satisfies Record<string, OpDef<any>>;

export type OpName = keyof typeof OPS;
