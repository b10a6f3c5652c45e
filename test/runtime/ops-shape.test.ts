/** The shape, layout and type operators through InferenceSession, each against onnxruntime-node on one-node models (exactly). */
import assert from 'node:assert/strict';

import type { Value } from '../../src/runtime/onnx/model.js';
import { int64, value } from '../../src/runtime/value.js';
import { sizeOf } from '../../src/tensor.js';
import { randomFloats, rng } from '../helpers.js';
import { compareNode, initializer, rejectsNode } from './ort-compare.js';

const r = rng(11);
const floats = (dims: number[]): Value => value('float32', dims, randomFloats(sizeOf(dims), r));
/** Distinct values, so a misplaced element cannot match by chance. */
const iota = (dims: number[]): Value => value('float32', dims, Float32Array.from({ length: sizeOf(dims) }, (_, i) => i));
const ints = (...v: number[]): Value => int64([v.length], v);
const INT64_MAX = 2n ** 63n - 1n, INT64_MIN = -(2n ** 63n);
const big = (...v: bigint[]): Value => value('int64', [v.length], BigInt64Array.from(v));
const exact = { tolerance: 0 };

describe('runtime ops: shape and layout vs onnxruntime', () => {
  describe('Reshape', () => {
    const x = iota([2, 3, 4]);
    for (const shape of [[4, -1], [0, 12], [-1], [2, 0, 2, 2], [1, 1, 24], [0, 0, 4]])
      it(`[2,3,4] to [${shape}]`, async () => {
        await compareNode({ op: 'Reshape', inputs: [x, initializer(ints(...shape))] }, exact);
      });
    it('a shape fed at run time', async () => {
      await compareNode({ op: 'Reshape', inputs: [x, ints(6, -1)] }, exact);
    });
    it('returns a view of its input, not a copy', async () => {
      const [y] = await compareNode({ op: 'Reshape', inputs: [x, initializer(ints(24))] }, exact);
      assert.equal(y.data, x.data);
    });
    it('opset 14 allowzero keeps a 0 as a dim', async () => {
      const empty = value('float32', [3, 0]);
      await compareNode({ op: 'Reshape', opset: 14, inputs: [empty, initializer(ints(0, 5))], attributes: { allowzero: 1 } }, exact);
      await rejectsNode({ op: 'Reshape', opset: 14, inputs: [empty, initializer(ints(0, 5))] }, /0 elements, the shape holds 15/);
    });
    it('rejects bad shapes', async () => {
      await rejectsNode({ op: 'Reshape', inputs: [x, initializer(ints(5, -1))] }, /cannot reshape \[2,3,4\] to \[5,-1\]/);
      await rejectsNode({ op: 'Reshape', inputs: [x, initializer(ints(-1, -1))] }, /more than one -1/);
      await rejectsNode({ op: 'Reshape', inputs: [x, initializer(ints(2, 3, 5))] }, /24 elements, the shape holds 30/);
      await rejectsNode({ op: 'Reshape', inputs: [x, initializer(ints(24, 0, 0, 0))] }, /0 at axis 3 copies no input dim/);
    });
  });

  describe('Flatten', () => {
    const x = iota([2, 3, 4, 5]);
    for (const axis of [undefined, 0, 2, 4, -1, -4])
      it(`axis ${axis ?? 'default'} (opset 13)`, async () => {
        await compareNode({ op: 'Flatten', inputs: [x], attributes: axis === undefined ? {} : { axis } }, exact);
      });
    it('opset 9 axis 3', async () => {
      await compareNode({ op: 'Flatten', opset: 9, inputs: [x], attributes: { axis: 3 } }, exact);
    });
    it('rejects a negative axis before opset 11, and an axis beyond the rank', async () => {
      await rejectsNode({ op: 'Flatten', opset: 9, inputs: [x], attributes: { axis: -1 } }, /must be >= 0 before opset 11/);
      await rejectsNode({ op: 'Flatten', inputs: [x], attributes: { axis: 5 } }, /axis 5 is out of range for rank 4/);
    });
  });

  describe('Transpose', () => {
    const cases: [number[], number[] | undefined][] = [
      [[3, 4], undefined],
      [[2, 3, 4], undefined],
      [[2, 3, 4, 5], [0, 2, 3, 1]],
      [[2, 3, 4, 5], [0, 3, 1, 2]],
      [[2, 3, 4, 5], [3, 2, 1, 0]],
      [[1, 3, 1, 5], [2, 0, 3, 1]],
      [[2, 3, 2, 3, 2], [4, 0, 3, 1, 2]],
      [[2, 3, 2, 3, 2, 2], [5, 3, 1, 4, 2, 0]],
      [[2, 0, 3], [2, 1, 0]],
      // NCHW <-> NHWC across the 32x32 tiles of the swapped-pair loop, with a batch and without.
      [[2, 37, 5, 9], [0, 2, 3, 1]],
      [[2, 5, 9, 37], [0, 3, 1, 2]],
      [[1, 70, 3, 11], [0, 2, 3, 1]],
    ];
    for (const [dims, perm] of cases)
      it(`[${dims}] perm ${perm ? `[${perm}]` : 'default (reversed)'}`, async () => {
        await compareNode({ op: 'Transpose', inputs: [iota(dims)], attributes: perm ? { perm } : {} }, exact);
      });
    it('int64 data', async () => {
      await compareNode({ op: 'Transpose', inputs: [int64([2, 3], [1, 2, 3, 4, 5, -6])], attributes: { perm: [1, 0] } });
    });
    it('only size-1 axes move: a view', async () => {
      const x = iota([1, 6, 1]);
      const [y] = await compareNode({ op: 'Transpose', inputs: [x], attributes: { perm: [2, 1, 0] } }, exact);
      assert.equal(y.data, x.data);
    });
    it('several axes left in their input order (an NHWC [N,1,1,C] back to NCHW): a view; out of order: a copy', async () => {
      const x = iota([2, 1, 1, 5]);
      const [y] = await compareNode({ op: 'Transpose', inputs: [x], attributes: { perm: [0, 3, 1, 2] } }, exact);
      assert.equal(y.data, x.data);
      const z = iota([2, 1, 5, 3]);
      const [w] = await compareNode({ op: 'Transpose', inputs: [z], attributes: { perm: [0, 3, 1, 2] } }, exact);
      assert.notEqual(w.data, z.data);
    });
    it('rejects a perm that is not a permutation, or of another rank', async () => {
      await rejectsNode({ op: 'Transpose', inputs: [iota([2, 3])], attributes: { perm: [0, 0] } }, /perm \[0,0\] is not a permutation/);
      await rejectsNode({ op: 'Transpose', inputs: [iota([2, 3])], attributes: { perm: [2, 0, 1] } }, /does not match the input's rank 2/);
    });
  });

  describe('Concat', () => {
    for (const axis of [0, 1, 3, -1, -3])
      it(`three float inputs on axis ${axis}`, async () => {
        const dims = (n: number) => [2, 3, 4, 5].map((d, i) => (i === (axis + 4) % 4 ? n : d));
        await compareNode({ op: 'Concat', inputs: [floats(dims(1)), floats(dims(2)), floats(dims(3))], attributes: { axis } }, exact);
      });
    it('int64 shape pieces, one of them empty and one an initializer', async () => {
      await compareNode({ op: 'Concat', inputs: [ints(1, 2), int64([0], []), initializer(ints(-1))], attributes: { axis: 0 } });
    });
    it('rejects mismatched dims and a missing axis', async () => {
      await rejectsNode({ op: 'Concat', inputs: [floats([2, 3]), floats([3, 3])], attributes: { axis: 1 } }, /input 1 has dims \[3,3\]/);
      await rejectsNode({ op: 'Concat', inputs: [floats([2, 3])] }, /attribute axis is required/);
    });
  });

  describe('Identity and Dropout', () => {
    const x = floats([2, 3]);
    it('Identity', async () => {
      const [y] = await compareNode({ op: 'Identity', inputs: [x] }, exact);
      assert.equal(y.data, x.data);
    });
    for (const opset of [9, 10, 12, 13])
      it(`Dropout opset ${opset} with its mask`, async () => {
        await compareNode({ op: 'Dropout', opset, inputs: [x], outputs: ['float32', opset < 10 ? 'float32' : 'bool'], attributes: opset < 12 ? { ratio: 0.3 } : {}, floatAttributes: ['ratio'] }, exact);
      });
    it('Dropout opset 13 with ratio and training_mode false', async () => {
      await compareNode({ op: 'Dropout', opset: 13, inputs: [x, initializer(value('float32', [], Float32Array.of(0.5))), initializer(value('bool', [], Uint8Array.of(0)))] }, exact);
    });
    it('Dropout rejects training_mode true', async () => {
      await rejectsNode({ op: 'Dropout', opset: 13, inputs: [x, undefined, initializer(value('bool', [], Uint8Array.of(1)))] }, /training_mode is not supported/);
    });
  });

  describe('Shape', () => {
    const x = floats([2, 3, 4, 5]);
    it('opset 13', async () => {
      await compareNode({ op: 'Shape', opset: 13, inputs: [x], outputs: ['int64'] });
    });
    for (const attributes of [{ start: 1 }, { start: 1, end: -1 }, { start: -2 }, { end: 10 }, { start: -10, end: 2 }, { start: 3, end: 1 }] as Record<string, number>[])
      it(`opset 15 ${JSON.stringify(attributes)}`, async () => {
        await compareNode({ op: 'Shape', opset: 15, inputs: [x], outputs: ['int64'], attributes });
      });
  });

  describe('Gather', () => {
    const x = iota([4, 3, 5]);
    it('axis 0, int64 indices with a negative one', async () => {
      await compareNode({ op: 'Gather', inputs: [x, ints(3, 0, -1, 1)] }, exact);
    });
    it('axis 1, 2-D int32 indices', async () => {
      await compareNode({ op: 'Gather', inputs: [x, value('int32', [2, 2], Int32Array.of(2, 0, 1, -3))], attributes: { axis: 1 } }, exact);
    });
    it('axis -1 with a scalar index removes the axis', async () => {
      await compareNode({ op: 'Gather', inputs: [x, int64([], [4])], attributes: { axis: -1 } }, exact);
    });
    it('int64 data from initializers (Shape -> Gather folding)', async () => {
      await compareNode({ op: 'Gather', inputs: [initializer(ints(1, 3, 224, 224)), initializer(int64([], [0]))] });
    });
    it('rejects an index out of range', async () => {
      await rejectsNode({ op: 'Gather', inputs: [x, ints(4)] }, /index 4 is out of range for axis 0 of size 4/);
    });
  });

  describe('Unsqueeze and Squeeze', () => {
    const x = floats([3, 1, 4]);
    it('Unsqueeze opset 11 axes attribute', async () => {
      await compareNode({ op: 'Unsqueeze', opset: 11, inputs: [x], attributes: { axes: [0, 4] } }, exact);
    });
    it('Unsqueeze opset 13 axes input, negative', async () => {
      await compareNode({ op: 'Unsqueeze', opset: 13, inputs: [x, initializer(ints(-1, 1))] }, exact);
    });
    it('Squeeze opset 11 attribute, opset 13 input, and no axes', async () => {
      await compareNode({ op: 'Squeeze', opset: 11, inputs: [x], attributes: { axes: [1] } }, exact);
      await compareNode({ op: 'Squeeze', opset: 13, inputs: [x, initializer(ints(-2))] }, exact);
      await compareNode({ op: 'Squeeze', opset: 13, inputs: [floats([1, 3, 1, 1])] }, exact);
    });
    it('reject a repeated axis and squeezing a dim that is not 1', async () => {
      await rejectsNode({ op: 'Unsqueeze', opset: 13, inputs: [x, initializer(ints(0, -5))] }, /repeat an axis/);
      await rejectsNode({ op: 'Squeeze', opset: 13, inputs: [x, initializer(ints(0))] }, /cannot squeeze axis 0 of \[3,1,4\]/);
      await rejectsNode({ op: 'Unsqueeze', opset: 11, inputs: [x] }, /axes attribute is required/);
    });
  });

  describe('Cast', () => {
    // In range, wrapping to 8 bits, and what x86 onnxruntime gives where C++ leaves the cast undefined (NaN, out of range).
    const x = value('float32', [12], Float32Array.of(300.7, -1.5, -300.2, 0, 127.9, 128.5, -129.9, 0.25, 3e9, -3e9, NaN, Infinity));
    const codes = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const;
    for (const to of ['uint8', 'int8', 'int32', 'int64', 'bool'] as const)
      it(`float32 to ${to}`, async () => {
        await compareNode({ op: 'Cast', inputs: [x], outputs: [to], attributes: { to: codes[to] } });
      });
    const sources: Value[] = [
      big(INT64_MAX, INT64_MIN, -1n, 300n, 2n ** 40n + 7n),
      value('int32', [4], Int32Array.of(-2147483648, -129, 255, 16777217)),
      value('uint8', [3], Uint8Array.of(0, 200, 255)),
      value('int8', [3], Int8Array.of(-128, -1, 127)),
      value('bool', [3], Uint8Array.of(1, 0, 1)),
    ];
    for (const source of sources)
      for (const to of ['float32', 'uint8', 'int8', 'int32', 'int64', 'bool'] as const)
        it(`${source.type} to ${to}`, async () => {
          await compareNode({ op: 'Cast', inputs: [source], outputs: [to], attributes: { to: codes[to] } });
        });
    it('rejects an unsupported target type', async () => {
      await rejectsNode({ op: 'Cast', inputs: [x], outputs: ['float32'], attributes: { to: 11 } }, /Cast to ONNX data type 11 is not supported/);
    });
  });

  describe('Constant and ConstantOfShape', () => {
    const cases: [string, Record<string, unknown>, 'float32' | 'int64'][] = [
      ['value tensor', { value: { name: 'v', type: 'float', dims: [2, 2], data: Float32Array.of(1, 2, 3, 4) } }, 'float32'],
      ['value_float', { value_float: 2.5 }, 'float32'],
      ['value_floats', { value_floats: [1.5, -2.5] }, 'float32'],
      ['value_int', { value_int: -7 }, 'int64'],
      ['value_ints', { value_ints: [1, 3, 224] }, 'int64'],
    ];
    for (const [what, attributes, type] of cases)
      it(`Constant ${what}`, async () => {
        await compareNode({ op: 'Constant', inputs: [], outputs: [type], attributes: attributes as never, floatAttributes: ['value_float', 'value_floats'] });
      });
    it('Constant rejects two value attributes', async () => {
      await rejectsNode({ op: 'Constant', inputs: [], outputs: ['int64'], attributes: { value_int: 1, value_ints: [1] } }, /exactly one value attribute/);
    });
    it('ConstantOfShape default float 0, and an int64 value from a shape fed at run time', async () => {
      await compareNode({ op: 'ConstantOfShape', inputs: [initializer(ints(2, 3))], outputs: ['float32'] }, exact);
      await compareNode({ op: 'ConstantOfShape', inputs: [ints(3, 1, 2)], outputs: ['int64'], attributes: { value: { name: 'v', type: 'int64', dims: [1], data: BigInt64Array.of(-5n) } } });
    });
  });

  describe('Pad', () => {
    const x = iota([1, 2, 3, 4]);
    it('opset 9 pads and value attributes', async () => {
      await compareNode({ op: 'Pad', opset: 9, inputs: [x], attributes: { pads: [0, 0, 1, 2, 0, 1, 2, 1], value: 1.5 }, floatAttributes: ['value'] }, exact);
    });
    it('opset 11 pads and constant_value inputs, negative pads crop', async () => {
      await compareNode({ op: 'Pad', opset: 11, inputs: [x, initializer(ints(0, 1, -1, 2, 0, 0, 1, -2)), initializer(value('float32', [], Float32Array.of(-3)))] }, exact);
      await compareNode({ op: 'Pad', opset: 11, inputs: [x, ints(0, 0, 1, 1, 0, 0, 1, 1)] }, exact);
    });
    for (const mode of ['reflect', 'edge'])
      it(`opset 13 ${mode}`, async () => {
        await compareNode({ op: 'Pad', opset: 13, inputs: [x, initializer(ints(0, 0, 2, 2, 0, 1, 1, -1))], attributes: { mode } }, exact);
      });
    it('opset 18 axes input, int64 data', async () => {
      await compareNode({ op: 'Pad', opset: 18, inputs: [x, initializer(ints(1, 2, 0, 3)), initializer(value('float32', [], Float32Array.of(9))), initializer(ints(-1, 2))] }, exact);
      await compareNode({ op: 'Pad', opset: 18, inputs: [int64([2, 2], [1, 2, 3, 4]), initializer(ints(1, 0, 0, 1)), initializer(int64([], [-1]))] });
    });
    it('opset 19 wrap, after negative pads crop', async () => {
      await compareNode({ op: 'Pad', opset: 19, inputs: [x, initializer(ints(0, 0, 1, 3, 0, 0, -1, 2))], attributes: { mode: 'wrap' } }, exact);
    });
    it('rejects an unknown mode, wrap before opset 19, and reflect pads as large as the axis', async () => {
      await rejectsNode({ op: 'Pad', opset: 13, inputs: [x, initializer(ints(0, 0, 1, 1, 0, 0, 1, 1))], attributes: { mode: 'mirror' } }, /mode 'mirror' is not supported/);
      await rejectsNode({ op: 'Pad', opset: 18, inputs: [x, initializer(ints(0, 0, 1, 1, 0, 0, 1, 1))], attributes: { mode: 'wrap' } }, /mode 'wrap' is not supported at opset 18/);
      await rejectsNode({ op: 'Pad', opset: 13, inputs: [x, initializer(ints(0, 0, 0, 4, 0, 0, 0, 0))], attributes: { mode: 'reflect' } }, /must be below its size 4/);
      await rejectsNode({ op: 'Pad', opset: 13, inputs: [x, initializer(ints(0, 1))] }, /pads has 2 values, 4 axes need 8/);
    });
  });

  describe('Slice', () => {
    const x = iota([4, 5, 6]);
    it('opset 9 starts, ends and axes attributes', async () => {
      await compareNode({ op: 'Slice', opset: 9, inputs: [x], attributes: { starts: [1, -4], ends: [3, 2 ** 40], axes: [0, 2] } }, exact);
      await compareNode({ op: 'Slice', opset: 9, inputs: [x], attributes: { starts: [0, 1], ends: [-1, 4] } }, exact);
    });
    const cases: [string, Value[]][] = [
      ['starts and ends only', [ints(1, 0, 2), ints(3, 5, 4)]],
      ['INT64_MAX end, negative axis', [ints(2), big(INT64_MAX), ints(-1)]],
      ['steps 2 and 3', [ints(0, 1), big(INT64_MAX, INT64_MAX), ints(1, 2), ints(2, 3)]],
      ['negative steps to INT64_MIN (reverse an axis)', [ints(-1), big(INT64_MIN), ints(0), ints(-1)]],
      ['negative step from a clamped start', [ints(100, 4), ints(1, -100), ints(2, 1), ints(-2, -1)]],
      ['an empty result', [ints(3), ints(1), ints(0)]],
    ];
    for (const [what, inputs] of cases)
      it(`opset 13 ${what}`, async () => {
        await compareNode({ op: 'Slice', opset: 13, inputs: [x, ...inputs.map(initializer)] }, exact);
      });
    it('opset 10 inputs fed at run time, int32 indices', async () => {
      const i32 = (...v: number[]) => value('int32', [v.length], Int32Array.from(v));
      await compareNode({ op: 'Slice', opset: 10, inputs: [x, i32(1, 1), i32(4, 5), i32(1, 2), i32(2, 2)] }, exact);
    });
    it('rejects step 0 and a repeated axis', async () => {
      await rejectsNode({ op: 'Slice', opset: 13, inputs: [x, ints(0), ints(1), ints(0), ints(0)] }, /steps must not be 0/);
      await rejectsNode({ op: 'Slice', opset: 13, inputs: [x, ints(0, 0), ints(1, 1), ints(1, -2)] }, /repeat axis 1/);
    });
  });

  describe('Range', () => {
    it('float32 accumulates in float32, int32 and int64 count down', async () => {
      const f = (v: number) => value('float32', [], Float32Array.of(v));
      await compareNode({ op: 'Range', inputs: [f(0.1), f(3.3), f(0.3)] }, exact);
      await compareNode({ op: 'Range', inputs: [value('int32', [], Int32Array.of(10)), value('int32', [], Int32Array.of(-3)), value('int32', [], Int32Array.of(-4))] });
      await compareNode({ op: 'Range', inputs: [initializer(int64([], [0])), initializer(int64([], [5])), initializer(int64([], [1]))] });
    });
  });
});
