// A float op declared non-differentiable (grad: null), for tests of what backward does when a
// gradient path reaches one: every float op of the table has a gradient now that sign has one.
import { defineOp, launchMap } from '../../src/ops/define.js';

export const opaque = defineOp({
  name: 'opaque',
  arity: 1,
  shape: ([a]) => a,
  forward: (out, [x]) => launchMap('opaque', 'a', out, [x]),
  grad: null, // declared: no gradient
});
