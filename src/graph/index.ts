// Skein's static-graph mode (`import { Graph, Session } from 'skein/graph'`): build once with
// symbolic tensors, compile per (fetches, feed shapes), run many times.
export { Graph, type AssignMode, type RandomOptions, type Value, type VariableOptions } from './graph.js';
export { SymbolicTensor, Variable, type NodeKind } from './node.js';
export { gradients } from './gradients.js';
export { Session, type Feeds, type FeedValue, type Fetched, type Fetches, type SessionOptions } from './session.js';
export { ClosedSessionError, GraphMismatchError, MissingFeedError, ScheduleError, UninitializedVariableError } from './errors.js';
export * as train from './train.js';
export type { ScanOptions, WhileOptions } from './control.js';
export type { Nest } from './scan.js';
