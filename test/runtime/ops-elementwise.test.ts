/** The elementwise operators through InferenceSession, each against onnxruntime-node on one-node models. */
import assert from 'node:assert/strict';

import type { Value } from '../../src/runtime/onnx/model.js';
import { int64, value } from '../../src/runtime/value.js';
import { sizeOf } from '../../src/tensor.js';
import { randomFloats, randomInts, rng } from '../helpers.js';
import { compareNode, initializer, rejectsNode } from './ort-compare.js';

const r = rng(7);
const floats = (dims: number[], scale = 1): Value => value('float32', dims, randomFloats(sizeOf(dims), r, scale));
const ints32 = (dims: number[], lo: number, hi: number): Value => value('int32', dims, randomInts(Int32Array, sizeOf(dims), lo, hi, r));
const scalar = (v: number): Value => value('float32', [], Float32Array.of(v));

describe('runtime ops: elementwise vs onnxruntime', () => {
  describe('Add, Sub, Mul, Div broadcasting (float32, exact)', () => {
    const shapes: [string, number[], number[]][] = [
      ['same shape', [2, 3, 4, 5], [2, 3, 4, 5]],
      ['scalar right', [2, 3, 4, 5], []],
      ['scalar left', [], [2, 3, 4, 5]],
      ['one element of rank 1', [2, 3, 4, 5], [1]],
      ['per-channel [C,1,1]', [2, 3, 4, 5], [3, 1, 1]],
      ['per-channel [1,C,1,1] on the left', [1, 3, 1, 1], [2, 3, 4, 5]],
      ['per-channel after global pooling', [2, 3, 1, 1], [1, 3, 1, 1]],
      ['last axis, rank mismatch', [2, 3, 4, 5], [5]],
      ['size-1 dims on both sides', [2, 1, 4, 1], [1, 3, 1, 5]],
      ['outer product', [4, 1], [3]],
      ['rank 6, alternating', [7, 1, 3, 1, 1, 2], [1, 2, 3, 1, 4, 1]],
      ['empty', [2, 0, 3], [1, 3]],
    ];
    for (const op of ['Add', 'Sub', 'Mul', 'Div'])
      for (const [what, a, b] of shapes)
        it(`${op}: ${what} [${a}] and [${b}]`, async () => {
          await compareNode({ op, inputs: [floats(a), floats(b)] }, { tolerance: 0 });
        });

    it('a bias initializer', async () => {
      await compareNode({ op: 'Add', inputs: [floats([1, 8, 6, 6]), initializer(floats([8, 1, 1]))] }, { tolerance: 0 });
    });

    it('folds a node whose inputs are all initializers', async () => {
      await compareNode({ op: 'Mul', inputs: [initializer(floats([3, 2])), initializer(floats([2]))] }, { tolerance: 0 });
    });
  });

  describe('integer arithmetic (exact)', () => {
    for (const op of ['Add', 'Sub', 'Mul', 'Div'])
      it(`${op} int32 and int64, broadcast`, async () => {
        const a = ints32([3, 4], -50, 50);
        const b = ints32([4], 1, 9);
        b.data[1] = -7;
        await compareNode({ op, inputs: [a, b] });
        const a64 = int64([3, 4], Array.from(a.data as Int32Array, (v) => v * 1e6));
        await compareNode({ op, inputs: [a64, int64([4], Array.from(b.data as Int32Array))] });
      });

    it('Div truncates toward zero, Mul wraps int32 like C++', async () => {
      await compareNode({ op: 'Div', inputs: [value('int32', [4], Int32Array.of(7, -7, 7, -7)), value('int32', [4], Int32Array.of(2, 2, -2, -2))] });
      await compareNode({ op: 'Mul', inputs: [value('int32', [2], Int32Array.of(100000, -65537)), value('int32', [2], Int32Array.of(100000, 65537))] });
    });

    it('shape arithmetic on int64 initializers folds', async () => {
      await compareNode({ op: 'Div', inputs: [initializer(int64([2], [224, -9])), initializer(int64([], [4]))] });
    });
  });

  describe('arithmetic errors', () => {
    it('incompatible broadcast', async () => {
      await rejectsNode({ op: 'Add', inputs: [floats([2, 3]), floats([4])] }, /shapes \[2,3\] and \[4\] cannot be broadcast/);
    });

    it('mixed input types', async () => {
      await rejectsNode({ op: 'Mul', inputs: [floats([2]), ints32([2], 0, 3)] }, /one type, got float32 and int32/);
    });

    it('integer division by zero', async () => {
      await rejectsNode({ op: 'Div', inputs: [int64([2], [1, 2]), int64([2], [1, 0])] }, /division by zero/);
    });

    it('an unsupported type', async () => {
      await rejectsNode({ op: 'Add', inputs: [value('uint8', [2]), value('uint8', [2])] }, /input 0 must be float32 or int32 or int64, got uint8/);
    });
  });

  describe('activations', () => {
    const x = floats([2, 3, 4, 5], 8);
    const cases: [string, Parameters<typeof compareNode>[0], number?][] = [
      ['Relu', { op: 'Relu', inputs: [x] }, 0],
      ['LeakyRelu default alpha', { op: 'LeakyRelu', inputs: [x] }],
      ['LeakyRelu alpha 0.3', { op: 'LeakyRelu', inputs: [x], attributes: { alpha: 0.3 } }],
      ['Sigmoid', { op: 'Sigmoid', inputs: [x] }],
      ['HardSigmoid defaults', { op: 'HardSigmoid', inputs: [x] }],
      ['HardSigmoid alpha 0.25 beta 0.4', { op: 'HardSigmoid', inputs: [x], attributes: { alpha: 0.25, beta: 0.4 } }],
      ['HardSwish', { op: 'HardSwish', inputs: [x] }],
      ['Tanh', { op: 'Tanh', inputs: [x] }],
      ['Neg', { op: 'Neg', inputs: [x] }, 0],
      ['Sqrt', { op: 'Sqrt', inputs: [value('float32', [64], (floats([64], 100).data as Float32Array).map(Math.abs))] }, 0],
      ['Exp', { op: 'Exp', inputs: [x] }],
    ];
    for (const [what, test, tolerance] of cases)
      it(what, async () => {
        await compareNode(test, { tolerance: tolerance ?? 1e-6, atol: 1e-7 });
      });

    it('Sigmoid saturates without NaN far from 0', async () => {
      const [y] = await compareNode({ op: 'Sigmoid', inputs: [value('float32', [4], Float32Array.of(-1000, -80, 80, 1000))] }, { atol: 1e-7 });
      assert.deepEqual(Array.from(y.data as Float32Array).map((v) => Math.round(v)), [0, 0, 1, 1]);
    });

    it('rejects a non-float input', async () => {
      await rejectsNode({ op: 'Relu', inputs: [ints32([3], -1, 1)] }, /must be float32, got int32/);
    });
  });

  describe('Clip', () => {
    const x = floats([2, 3, 4], 4);
    it('opset 9: min and max attributes', async () => {
      await compareNode({ op: 'Clip', opset: 9, inputs: [x], attributes: { min: -1.5, max: 2 }, floatAttributes: ['min', 'max'] }, { tolerance: 0 });
    });
    it('opset 9: only min, and no bounds', async () => {
      await compareNode({ op: 'Clip', opset: 9, inputs: [x], attributes: { min: 0 }, floatAttributes: ['min'] }, { tolerance: 0 });
      await compareNode({ op: 'Clip', opset: 9, inputs: [x] }, { tolerance: 0 });
    });
    it('opset 11: bounds as initializers (ReLU6)', async () => {
      await compareNode({ op: 'Clip', opset: 11, inputs: [x, initializer(scalar(0)), initializer(scalar(6))] }, { tolerance: 0 });
    });
    it('opset 11: bounds fed at run time, omitted min, omitted max, none', async () => {
      await compareNode({ op: 'Clip', opset: 11, inputs: [x, scalar(-1), scalar(1)] }, { tolerance: 0 });
      await compareNode({ op: 'Clip', opset: 11, inputs: [x, undefined, scalar(1)] }, { tolerance: 0 });
      await compareNode({ op: 'Clip', opset: 11, inputs: [x, scalar(-1)] }, { tolerance: 0 });
      await compareNode({ op: 'Clip', opset: 11, inputs: [x] }, { tolerance: 0 });
    });
    it('opset 13: min above max gives max', async () => {
      await compareNode({ op: 'Clip', opset: 13, inputs: [x, scalar(2), scalar(-1)] }, { tolerance: 0 });
    });
    it('opset 13: int32 and int64 inputs', async () => {
      await compareNode({ op: 'Clip', opset: 13, inputs: [ints32([10], -20, 20), value('int32', [], Int32Array.of(-5)), value('int32', [], Int32Array.of(7))] });
      await compareNode({ op: 'Clip', opset: 13, inputs: [int64([5], [-9, -3, 0, 4, 12]), int64([], [-4]), int64([], [5])] });
    });
    it('rejects a bound of another type or size', async () => {
      await rejectsNode({ op: 'Clip', opset: 13, inputs: [x, ints32([], 0, 0)] }, /input 1 must be float32 like input 0, got int32/);
      await rejectsNode({ op: 'Clip', opset: 13, inputs: [x, initializer(floats([2]))] }, /min must hold one value/);
    });
  });

  describe('Softmax', () => {
    const x = floats([2, 3, 4], 5);
    const cases: [string, number, number[], number | undefined][] = [
      ['opset 11 default axis 1: rows of the coerced [2, 12]', 11, [2, 3, 4], undefined],
      ['opset 11 axis 0: one row of everything', 11, [2, 3, 4], 0],
      ['opset 11 axis -1', 11, [2, 3, 4], -1],
      ['opset 9 axis 2 on rank 4', 9, [2, 3, 2, 3], 2],
      ['opset 13 default axis -1', 13, [2, 3, 4], undefined],
      ['opset 13 axis 1: a middle axis', 13, [2, 3, 4], 1],
      ['opset 13 axis -3', 13, [2, 3, 4], -3],
      ['opset 13 rank 1', 13, [10], undefined],
      ['opset 17 axis 1 of [N, C, H, W]', 17, [2, 5, 3, 3], 1],
    ];
    for (const [what, opset, dims, axis] of cases)
      it(what, async () => {
        await compareNode({ op: 'Softmax', opset, inputs: [floats(dims, 5)], attributes: axis === undefined ? {} : { axis } });
      });
    it('large inputs do not overflow', async () => {
      await compareNode({ op: 'Softmax', inputs: [value('float32', [4], Float32Array.of(1000, 999, -1000, 0))] }, { atol: 1e-30 });
    });
    it('rejects an axis out of range', async () => {
      await rejectsNode({ op: 'Softmax', inputs: [x], attributes: { axis: 3 } }, /axis 3 is out of range for rank 3/);
    });
  });
});
