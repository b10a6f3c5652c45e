/**
 * convLayoutCost, layout 'auto''s estimate of a conv in each layout
 * (ops/conv-layout-cost.ts): which convs it covers, that it calls pruned
 * weights sparse only under the sparse policy, and the depthwise ratio.
 */
import assert from 'node:assert/strict';

import type { OnnxNode, Value } from '../../src/runtime/onnx/model.js';
import { convLayoutCost } from '../../src/runtime/ops/conv-layout-cost.js';
import { pruneBlocks } from '../fixtures/cifar-cnn.js';
import { randomFloats, rng } from '../helpers.js';

const r = rng(7);
const node = (opType: string, inputs: string[], attributes: OnnxNode['attributes'] = new Map()): OnnxNode => ({ name: 'n', opType, domain: '', inputs, outputs: ['y'], attributes });
const weight = (dims: number[], data: Float32Array): Value => ({ type: 'float32', dims, data });

describe("runtime: convLayoutCost (layout 'auto''s estimate)", () => {
  const pruned = weight([64, 64, 1, 1], pruneBlocks(randomFloats(64 * 64, r, 0.5), 64, 4, 0.9, 1));
  const dense = weight([64, 64, 1, 1], randomFloats(64 * 64, r, 0.5));

  it('calls 90% block-pruned weights sparse under the sparse policy only, and dense ones never', () => {
    const sparse = convLayoutCost(node('Conv', ['x', 'w']), new Map([['w', pruned]]), true);
    assert.ok(sparse && sparse.sparse && sparse.nchw > 0 && sparse.nhwc > 0);
    assert.deepEqual([sparse.channels, sparse.outChannels], [64, 64]);
    assert.equal(convLayoutCost(node('Conv', ['x', 'w']), new Map([['w', pruned]]), false)?.sparse, false);
    assert.equal(convLayoutCost(node('Conv', ['x', 'w']), new Map([['w', dense]]), true)?.sparse, false);
  });

  it('puts depthwise NCHW at 3x its NHWC estimate', () => {
    const attributes = new Map([['group', { type: 'int', value: 64 } as const]]);
    const c = convLayoutCost(node('Conv', ['x', 'w'], attributes), new Map([['w', weight([64, 1, 3, 3], randomFloats(576, r, 0.5))]]), true);
    assert.ok(c && c.nhwc > 0 && !c.sparse);
    assert.equal(c.nchw, 3 * c.nhwc);
    assert.equal(c.channels, 64);
  });

  it('has no estimate for other nodes, weights given at run time, grouped convs or attributes the handler rejects', () => {
    const constants = new Map([['w', dense], ['w2', weight([64, 32, 1, 1], randomFloats(2048, r, 0.5))]]);
    assert.equal(convLayoutCost(node('Relu', ['x']), constants, true), undefined);
    assert.equal(convLayoutCost(node('Conv', ['x', 'x2']), constants, true), undefined);
    assert.equal(convLayoutCost(node('Conv', ['x', 'w2'], new Map([['group', { type: 'int', value: 2 } as const]])), constants, true), undefined);
    assert.equal(convLayoutCost(node('Conv', ['x', 'w'], new Map([['strides', { type: 'ints', value: [1] } as const]])), constants, true), undefined);
  });
});
