// Errors only graph mode raises. Each names the node, what it got and what it expected.
import { SkeinError } from '../errors.js';

/** A node used with a node, fetch or session of another graph. */
export class GraphMismatchError extends SkeinError {}
/** A placeholder the fetches need, but the feeds leave out. */
export class MissingFeedError extends SkeinError {}
/** A variable read before any run assigned it a value (run its initializer first). */
export class UninitializedVariableError extends SkeinError {}
/** A session used after close(). */
export class ClosedSessionError extends SkeinError {}
/** Reads and writes of a variable in one run that no order can satisfy. */
export class ScheduleError extends SkeinError {}
