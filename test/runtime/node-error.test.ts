// nodeError names the node a failure happened in. One error object can reach
// several runs (every GPU call queued behind a failed dispatch rejects with
// it), and naming the node in place once gave "node A: node A: node B: ...".
import assert from 'node:assert/strict';

import { ModelError } from '../../src/runtime/onnx/model.js';
import { nodeError } from '../../src/runtime/prepare.js';

const node = (name: string) => ({ name, opType: 'Conv', inputs: [], outputs: [], attributes: new Map(), domain: '' }) as never;

describe('nodeError', () => {
  it('names the node on a copy of the same class and fields, leaving a shared error as it was', () => {
    const shared = Object.assign(new RangeError('x is too large'), { code: 'E_SIZE' });
    const [a, b] = [nodeError(node('a'), shared), nodeError(node('b'), shared)];
    assert.equal(shared.message, 'x is too large');
    assert.ok(a instanceof RangeError && b instanceof RangeError);
    assert.equal(a.message, 'node "a" (Conv): x is too large');
    assert.equal(b.message, 'node "b" (Conv): x is too large');
    assert.equal((a as RangeError & { code: string }).code, 'E_SIZE');
    assert.ok(nodeError(node('c'), new ModelError('bad')) instanceof ModelError);
    assert.equal(nodeError(node('d'), 'text').message, 'node "d" (Conv): text');
  });
});
