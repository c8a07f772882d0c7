// Parsing the expressions Skein's ops, graph fusion and optimizers hand the map kernel, for
// expr-wasm.ts: arithmetic, comparisons, ternaries, !, Math.sqrt/abs/fround/floor/ceil/trunc/max/min, inputs a–z,
// parameters p0…, numbers and a fused body's temporaries. Anything else is Unsupported.
// Nothing in src/kernels may import tensor, ops, graph or runtime.

export type Node =
  | { kind: 'num'; value: number }
  | { kind: 'input'; index: number }
  | { kind: 'param'; index: number }
  | { kind: 'temp'; name: string }
  | { kind: 'neg' | 'not' | 'sqrt' | 'abs' | 'fround' | 'floor' | 'ceil' | 'trunc'; arg: Node }
  | { kind: 'bin'; op: string; left: Node; right: Node }
  | { kind: 'cond'; test: Node; then: Node; else: Node };

const TOKEN = /\s*(===|!==|==|!=|<=|>=|[-+*/<>?:(),!&]|Math\.[a-z]+|[A-Za-z_$][\w$]*|\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)/gy;
const UNARY_CALLS: Record<string, 'sqrt' | 'abs' | 'fround' | 'floor' | 'ceil' | 'trunc'> = { 'Math.sqrt': 'sqrt', 'Math.abs': 'abs', 'Math.fround': 'fround', 'Math.floor': 'floor', 'Math.ceil': 'ceil', 'Math.trunc': 'trunc' };
const BINARY_CALLS: Record<string, string> = { 'Math.max': 'max', 'Math.min': 'min' };
const PRECEDENCE: Record<string, number> = { '&': 1, '===': 2, '!==': 2, '==': 2, '!=': 2, '<': 3, '<=': 3, '>': 3, '>=': 3, '+': 4, '-': 4, '*': 5, '/': 5 };
export const COMPARISONS = new Set(['===', '!==', '==', '!=', '<', '<=', '>', '>=']);

export class Unsupported extends Error {}

function tokenize(src: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(src);
    if (m === null) throw new Unsupported(src);
    tokens.push(m[1]);
  }
  return tokens;
}

export function parse(src: string, temps: ReadonlySet<string>): Node {
  const tokens = tokenize(src);
  let at = 0;
  const peek = () => tokens[at];
  const take = (want?: string): string => {
    const t = tokens[at++];
    if (t === undefined || (want !== undefined && t !== want)) throw new Unsupported(src);
    return t;
  };
  const ternary = (): Node => {
    const test = binary(1);
    if (peek() !== '?') return test;
    take('?');
    const then = ternary();
    take(':');
    return { kind: 'cond', test, then, else: ternary() };
  };
  const binary = (min: number): Node => {
    let left = unary();
    for (let op = peek(); op !== undefined && (PRECEDENCE[op] ?? 0) >= min; op = peek()) {
      take();
      left = { kind: 'bin', op, left, right: binary(PRECEDENCE[op] + 1) };
    }
    return left;
  };
  const unary = (): Node => {
    const t = peek();
    if (t === '-') return take(), { kind: 'neg', arg: unary() };
    if (t === '+') return take(), unary();
    if (t === '!') return take(), { kind: 'not', arg: unary() };
    return primary();
  };
  const primary = (): Node => {
    const t = take();
    if (t === '(') {
      const inner = ternary();
      take(')');
      return inner;
    }
    if (t in UNARY_CALLS) {
      take('(');
      const arg = ternary();
      take(')');
      return { kind: UNARY_CALLS[t], arg };
    }
    if (t in BINARY_CALLS) {
      take('(');
      const left = ternary();
      take(',');
      const right = ternary();
      take(')');
      return { kind: 'bin', op: BINARY_CALLS[t], left, right };
    }
    if (t === 'Infinity') return { kind: 'num', value: Infinity };
    if (/^[a-z]$/.test(t)) return { kind: 'input', index: t.charCodeAt(0) - 97 };
    if (/^p\d+$/.test(t)) return { kind: 'param', index: Number(t.slice(1)) };
    if (temps.has(t)) return { kind: 'temp', name: t };
    if (/^[\d.]/.test(t)) return { kind: 'num', value: Number(t) };
    throw new Unsupported(src);
  };
  const node = ternary();
  if (at !== tokens.length) throw new Unsupported(src);
  return node;
}

/** Whether JavaScript sees this node as a boolean (a comparison or a negation). */
export function isBoolean(node: Node): boolean {
  return node.kind === 'not' || (node.kind === 'bin' && COMPARISONS.has(node.op));
}

/** The fused body's `const tN = …;` statements, in order. */
export function parseBody(body: string): { name: string; node: Node }[] {
  const temps = new Set<string>();
  return body
    .split(';')
    .filter((s) => s.trim() !== '')
    .map((statement) => {
      const m = /^\s*const\s+(t\d+)\s*=\s*([\s\S]*)$/.exec(statement);
      if (m === null) throw new Unsupported(statement);
      const node = parse(m[2], temps);
      temps.add(m[1]);
      return { name: m[1], node };
    });
}
