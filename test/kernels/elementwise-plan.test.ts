/**
 * The planned f32-elementwise calls (planActivateCall, planBinaryCall,
 * planGlobalAveragePoolCall; the addon's planF32Elementwise and
 * planGlobalAveragePool under them): equal to the one-shot calls bit for bit
 * on every variant, every broadcast form, either operand order, both pool
 * layouts; only the arrays checked on a run; misuse throws, never crashes.
 */
import assert from 'node:assert/strict';

import { planActivateCall, planBinaryCall, planGlobalAveragePoolCall } from '../../src/backends/cpu/elementwise-plan.js';
import { cpu, tensor } from '../../src/index.js';
import { native } from '../../src/native.js';
import type { PointwiseActivation } from '../../src/ops/activation.js';
import { assertSameArray, nativeVariants, randomFloats, rng } from '../helpers.js';

const size = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

describe('planned f32-elementwise calls', () => {
  for (const variant of nativeVariants('f32-elementwise')) {
    it(`${variant}: planActivateCall equals cpu.activate, in place too`, () => {
      const r = rng(61);
      for (const dims of [[1], [37], [2, 16, 9, 9]])
        for (const activation of ['relu', 'hardswish', { kind: 'hardsigmoid', alpha: 0.2, beta: 0.5, max: 0.9 }] as PointwiseActivation[]) {
          const plan = planActivateCall({ type: 'float32', dims }, activation, { variant });
          assert.deepEqual(plan.result.dims, dims);
          const x = randomFloats(size(dims), r, 8), y = new Float32Array(x.length).fill(NaN);
          plan.run(x, y);
          const want = cpu.activate(tensor('float32', dims, x), activation, { variant }).data;
          assertSameArray(y, want, `${variant} [${dims}] ${JSON.stringify(activation)}`);
          plan.run(x, x);
          assertSameArray(x, want, 'in place');
        }
    });

    it(`${variant}: planBinaryCall equals cpu.add/sub/mul for every broadcast form, either side`, () => {
      const r = rng(62);
      const shapes: [number[], number[]][] = [
        [[2, 3, 5, 7], [2, 3, 5, 7]], [[2, 3, 5, 7], [2, 3, 1, 1]], [[2, 3, 5, 7], [1]], [[3, 1, 1], [2, 3, 4, 9]],
        [[2, 5, 7, 24], [2, 1, 1, 24]], [[1, 1, 1, 9], [2, 4, 4, 9]], [[1, 16], [16]],
      ];
      for (const [aDims, bDims] of shapes)
        for (const op of ['add', 'sub', 'mul'] as const) {
          const activation: PointwiseActivation = op === 'mul' ? 'hardswish' : { min: 0, max: 6 };
          const plan = planBinaryCall(op, { type: 'float32', dims: aDims }, { type: 'float32', dims: bDims }, { activation, variant });
          const a = randomFloats(size(aDims), r, 8), b = randomFloats(size(bDims), r, 8);
          const want = cpu[op](tensor('float32', aDims, a), tensor('float32', bDims, b), { activation, variant });
          assert.deepEqual(plan.result.dims, want.dims);
          const y = new Float32Array(want.data.length).fill(NaN);
          plan.run(a, b, y);
          assertSameArray(y, want.data, `${variant} ${op} [${aDims}] [${bDims}]`);
        }
    });

    it(`${variant}: planGlobalAveragePoolCall equals cpu.globalAveragePool, NCHW and NHWC`, () => {
      const r = rng(63);
      for (const layout of ['nchw', 'nhwc'] as const)
        for (const dims of [[1, 16, 7, 7], [2, 5, 3, 33], [1, 1, 1, 1]]) {
          const plan = planGlobalAveragePoolCall({ type: 'float32', dims }, { layout, variant });
          const x = randomFloats(size(dims), r, 4);
          const want = cpu.globalAveragePool(tensor('float32', dims, x), { layout, variant });
          assert.deepEqual(plan.result.dims, want.dims);
          const y = new Float32Array(want.data.length).fill(NaN);
          plan.run(x, y);
          assertSameArray(y, want.data, `${variant} ${layout} [${dims}]`);
        }
    });
  }

  it('checks the shapes when planned, as the one-shot calls do', () => {
    assert.throws(() => planActivateCall({ type: 'float32', dims: [2] }, 'gelu' as never), /^TypeError: activation/);
    assert.throws(() => planActivateCall({ type: 'int32', dims: [2] } as never, 'relu'), /^TypeError: x must be a tensor of type 'float32'/);
    assert.throws(() => planBinaryCall('add', { type: 'float32', dims: [2, 1] }, { type: 'float32', dims: [1, 2] }), /^RangeError: b dims \[1,2\]/);
    assert.throws(() => planBinaryCall('mul', { type: 'float32', dims: [2] }, { type: 'float32', dims: [2] }, { activation: 3 as never }), /^TypeError: options\.activation/);
    assert.throws(() => planGlobalAveragePoolCall({ type: 'float32', dims: [2, 3] }), /^RangeError: x must have rank >= 3/);
    assert.throws(() => planGlobalAveragePoolCall({ type: 'float32', dims: [1, 2, 2, 2] }, { layout: 'hwc' as never }), /^RangeError: options\.layout/);
  });

  it('runs with only the arrays checked: Float32Arrays of the planned sizes, the output apart from the inputs', () => {
    const act = planActivateCall({ type: 'float32', dims: [4] }, 'relu');
    assert.throws(() => act.run(new Float32Array(3), new Float32Array(4)), /^RangeError: x must be a Float32Array of 4 values, as planned/);
    assert.throws(() => act.run(new Float32Array(4), new Uint8Array(4) as never), /^RangeError: y must be a Float32Array of 4 values/);
    const shared = new ArrayBuffer(32);
    assert.throws(() => act.run(new Float32Array(shared, 0, 4), new Float32Array(shared, 8, 4)), /^RangeError: y must not overlap x/);
    const add = planBinaryCall('add', { type: 'float32', dims: [2, 4] }, { type: 'float32', dims: [4] });
    assert.throws(() => add.run(new Float32Array(8), new Float32Array(8), new Float32Array(8)), /^RangeError: b must be a Float32Array of 4 values/);
    const y = new Float32Array(8);
    assert.throws(() => add.run(y, new Float32Array(4), y), /^RangeError: y must not overlap a/);
    const gap = planGlobalAveragePoolCall({ type: 'float32', dims: [1, 2, 2, 2] });
    assert.throws(() => gap.run(new Float32Array(8), new Float32Array(3)), /^RangeError: y must be a Float32Array of 2 values/);
  });

  const addon = native();
  (addon ? it : it.skip)('the binding checks a plan\'s options once and each run\'s arrays, b included', () => {
    const a = addon!;
    const fields = { variant: null, op: 'add', rows: 2, inner: 4, bRows: 2, bColumns: true, activation: 'clamp', alpha: 0.2, beta: 0.5, min: -Infinity, max: Infinity } as const;
    assert.throws(() => a.planF32Elementwise({ ...fields, bRows: 3 }), /^RangeError: bRows must divide rows/);
    assert.throws(() => a.planF32Elementwise({ ...fields, op: 'div' as never }), /^RangeError: op must be/);
    assert.throws(() => a.planGlobalAveragePool({ variant: null, planes: 1, plane: 0, columns: 1 }), /^RangeError: plane must be >= 1/);
    const plan = a.planF32Elementwise(fields);
    assert.throws(() => a.runPlan(plan, new Float32Array(8), new Float32Array(8)), /^TypeError: b must be a Float32Array/);
    assert.throws(() => a.runPlan(plan, new Float32Array(8), new Float32Array(8), new Float32Array(7)), /^RangeError: b has 7 elements, the plan needs 8/);
    const y = new Float32Array(8);
    a.runPlan(plan, Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), y, Float32Array.of(10, 20, 30, 40, 50, 60, 70, 80));
    assert.deepEqual([...y], [11, 22, 33, 44, 55, 66, 77, 88]);
  });
});
