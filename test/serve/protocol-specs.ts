/** Model specs and assertions the protocol tests share. */
import assert from 'node:assert/strict';

import { RequestError, type ModelSpec } from '../../src/serve/model-spec.js';

/** One float32 image input with a symbolic batch axis, one float32 logits output. */
export const IMAGE: ModelSpec = {
  name: 'cnn',
  version: '3',
  inputs: [{ name: 'x', type: 'float32', dims: ['batch', 2, 2] }],
  outputs: [{ name: 'logits', type: 'float32', dims: ['batch', 3] }],
};

/** Several inputs and outputs of the other types, one with an unknown (null) dim. */
export const MIXED: ModelSpec = {
  name: 'mixed',
  version: '1',
  inputs: [
    { name: 'ids', type: 'int64', dims: [null, 3] },
    { name: 'mask', type: 'bool', dims: ['batch', 3] },
    { name: 'pixels', type: 'uint8', dims: ['batch', 2] },
  ],
  outputs: [
    { name: 'scores', type: 'float32', dims: ['batch', 2] },
    { name: 'labels', type: 'int32', dims: ['batch'] },
  ],
};

/** Asserts that `run` refuses the request: a RequestError with status 400 whose message matches. */
export function assertBadRequest(run: () => unknown, message: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof RequestError, `expected a RequestError, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.match(e.message, message);
    return true;
  });
}
