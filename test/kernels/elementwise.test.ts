import assert from 'node:assert/strict';

import { refElementwise, refGlobalAveragePool, refGlobalAveragePoolNhwc } from '../../src/backends/reference/elementwise.js';
import { resolveActivation, type PointwiseActivation } from '../../src/ops/activation.js';
import { planBinary } from '../../src/ops/elementwise.js';
import { native } from '../../src/native.js';
import { cpu, tensor } from '../../src/index.js';
import { assertSameArray, nativeVariants, randomFloats, rng } from '../helpers.js';

const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 3, -3, 6, 1e-40];

/** Values in [-8, 8) with a fifth special (NaN, zeros, infinities, the HardSwish knees, a subnormal). */
function values(n: number, r: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (r() < 0.2 ? SPECIAL[Math.floor(r() * SPECIAL.length)] : (r() - 0.5) * 16));
}

const ACTIVATIONS: PointwiseActivation[] = [
  'none', 'relu', { min: 0, max: 6 }, { min: -1.5 }, 'hardswish', 'hardsigmoid',
  { kind: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 }, { kind: 'hardswish', min: 0, max: 4 }, { kind: 'hardsigmoid', alpha: -0.3, beta: 0.1, max: 0.5 },
];

// Lengths across every vector width's steps and tails (4, 8, 16 lanes, 2 vectors per step).
const LENGTHS = [...Array.from({ length: 40 }, (_, i) => i + 1), 63, 64, 65, 129];

// Channels around the vector widths (4, 8, 16 lanes) and their masked tails.
const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 31, 32, 33, 40, 63, 64, 65, 96, 129];

const sizeOf = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** `small` (dims right-aligned against `dims`, size-1 axes repeated) as a dense array of `dims`. */
function expand(small: Float32Array, smallDims: readonly number[], dims: readonly number[]): Float32Array {
  const aligned = [...new Array<number>(dims.length - smallDims.length).fill(1), ...smallDims];
  const out = new Float32Array(sizeOf(dims));
  for (let i = 0; i < out.length; i++) {
    let rest = i, at = 0, stride = 1;
    for (let d = dims.length - 1; d >= 0; d--) {
      const index = rest % dims[d];
      rest = Math.floor(rest / dims[d]);
      if (aligned[d] !== 1) at += index * stride;
      stride *= aligned[d];
    }
    out[i] = small[at];
  }
  return out;
}

describe('f32-elementwise (every variant against the reference, bit for bit)', () => {
  for (const variant of nativeVariants('f32-elementwise')) {
    it(`${variant}: activations`, () => {
      const r = rng(41);
      for (const n of LENGTHS)
        for (const activation of ACTIVATIONS) {
          const x = values(n, r);
          const want = new Float32Array(n);
          refElementwise('none', x, null, want, 1, n, 0, resolveActivation('a', activation));
          const got = cpu.activate(tensor('float32', [n], x), activation, { variant }).data;
          assertSameArray(got, want, `${variant} n=${n} ${JSON.stringify(activation)}`);
        }
    });

    it(`${variant}: add, sub, mul, same shape and per row, either side, with an activation`, () => {
      const r = rng(42);
      const shapes: [number[], number[]][] = [
        [[2, 3, 5, 7], [2, 3, 5, 7]], [[2, 3, 5, 7], [2, 3, 1, 1]], [[2, 3, 5, 7], [3, 1, 1]], [[1, 16, 4, 4], [1, 16, 1, 1]],
        [[2, 3, 5, 7], [1]], [[3, 1, 1], [2, 3, 4, 9]], [[37], [37]], [[2, 5, 33], [2, 5, 1]],
      ];
      for (const [aDims, bDims] of shapes)
        for (const op of ['add', 'sub', 'mul'] as const)
          for (const activation of ['none', 'relu', 'hardswish', { min: 0, max: 6 }] as PointwiseActivation[]) {
            const a = values(aDims.reduce((p, d) => p * d, 1), r), b = values(bDims.reduce((p, d) => p * d, 1), r);
            const plan = planBinary(aDims, bDims)!;
            const [full, small] = plan.swapped ? [b, a] : [a, b];
            const want = new Float32Array(full.length);
            refElementwise(plan.swapped && op === 'sub' ? 'rsub' : op, full, small, want, plan.rows, plan.inner, plan.bRows, resolveActivation('a', activation), plan.bColumns);
            const got = cpu[op](tensor('float32', aDims, a), tensor('float32', bDims, b), { variant, activation });
            assert.deepEqual(got.dims, plan.dims);
            assertSameArray(got.data, want, `${variant} ${op} [${aDims}] [${bDims}] ${JSON.stringify(activation)}`);
          }
    });

    it(`${variant}: add, sub, mul with one value per column per image (channels last), either side`, () => {
      const r = rng(46);
      for (const c of CHANNELS)
        for (const [aDims, bDims] of [[[2, 3, 5, c], [2, 1, 1, c]], [[2, 3, 2, c], [1, 1, 1, c]], [[3, 2, c], [c]], [[1, 1, 1, c], [2, 4, 3, c]]])
          for (const op of ['add', 'sub', 'mul'] as const) {
            const activation: PointwiseActivation = c % 3 === 0 ? 'hardswish' : c % 3 === 1 ? { min: 0, max: 6 } : 'none';
            const a = values(sizeOf(aDims), r), b = values(sizeOf(bDims), r);
            const plan = planBinary(aDims, bDims)!;
            assert.ok(plan.bColumns || c === 1, `[${aDims}] [${bDims}] is a columns broadcast`);
            // The oracle: the small operand expanded to the full shape, then the same-shape reference.
            const [full, small, smallDims] = plan.swapped ? [b, a, aDims] : [a, b, bDims];
            const expanded = expand(small, smallDims, plan.dims);
            const want = new Float32Array(full.length);
            refElementwise(plan.swapped && op === 'sub' ? 'rsub' : op, full, expanded, want, 1, full.length, 0, resolveActivation('a', activation));
            const got = cpu[op](tensor('float32', aDims, a), tensor('float32', bDims, b), { variant, activation });
            assert.deepEqual(got.dims, plan.dims);
            assertSameArray(got.data, want, `${variant} ${op} [${aDims}] [${bDims}]`);
          }
    });

    it(`${variant}: globalAveragePool of NHWC images equals the NCHW pool of the transposed image, bit for bit`, () => {
      const r = rng(47);
      for (const c of CHANNELS)
        for (const plane of [1, 15, 16, 17, 49, 196]) {
          const x = randomFloats(2 * plane * c, r, 4);
          const got = cpu.globalAveragePool(tensor('float32', [2, plane, 1, c], x), { variant, layout: 'nhwc' });
          assert.deepEqual(got.dims, [2, 1, 1, c]);
          const nchw = new Float32Array(x.length);
          for (let n = 0; n < 2; n++) for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) nchw[(n * c + k) * plane + p] = x[(n * plane + p) * c + k];
          assertSameArray(got.data, cpu.globalAveragePool(tensor('float32', [2, c, plane, 1], nchw), { variant }).data, `${variant} C=${c} plane ${plane}`);
          const want = new Float32Array(2 * c);
          refGlobalAveragePoolNhwc(x, want, 2, plane, c);
          assertSameArray(got.data, want, `${variant} C=${c} plane ${plane} (reference)`);
        }
    });

    it(`${variant}: globalAveragePool sums in the header's order`, () => {
      const r = rng(43);
      for (const plane of [...LENGTHS, 196, 3136]) {
        const x = randomFloats(3 * plane, r, 4);
        const want = new Float32Array(3);
        refGlobalAveragePool(x, want, 3, plane);
        const got = cpu.globalAveragePool(tensor('float32', [1, 3, plane, 1], x), { variant });
        assert.deepEqual(got.dims, [1, 3, 1, 1]);
        assertSameArray(got.data, want, `${variant} plane ${plane}`);
      }
    });
  }
});

describe('conv2d with a HardSwish / HardSigmoid post-op (f32-elementwise on each task\'s rows, in the conv\'s call)', () => {
  for (const [family, sparse] of [['f32-conv2d', false], ['f32-spconv2d', true]] as const)
    for (const variant of nativeVariants(family))
      it(`${variant}: equals the conv followed by cpu.activate, bit for bit`, () => {
        const r = rng(45);
        for (const [n, c, oc, h, w, k, stride] of [[1, 3, 8, 9, 11, 3, 1], [2, 4, 20, 6, 7, 1, 1], [1, 5, 16, 13, 10, 3, 2]] as const) {
          if (sparse && stride !== 1) continue;
          const x = tensor('float32', [n, c, h, w], randomFloats(n * c * h * w, r, 3));
          const wv = randomFloats(oc * c * k * k, r).map((v) => (sparse && Math.abs(v) < 0.6 ? 0 : v));
          const weights = cpu.packConvWeights(tensor('float32', [oc, c, k, k], wv), sparse ? { sparse: true, blockRows: 1 } : {});
          const bias = randomFloats(oc, r);
          const pads = [k >> 1, k >> 1, k >> 1, k >> 1] as const;
          const strides = [stride, stride] as const;
          for (const activation of ['hardswish', { kind: 'hardsigmoid', alpha: 0.2, beta: 0.5, max: 0.75 }] as PointwiseActivation[]) {
            const fused = cpu.conv2d(x, weights, { bias, pads, strides, variant, activation });
            const plain = cpu.conv2d(x, weights, { bias, pads, strides, variant });
            assertSameArray(fused.data, cpu.activate(plain as never, activation).data, `${variant} ${[n, c, oc, h, w, k, stride]} ${JSON.stringify(activation)}`);
          }
        }
      });

  it('rejects a post-op with a fused pool or on quantized weights', () => {
    const weights = cpu.packConvWeights(tensor('float32', [2, 1, 1, 1], Float32Array.of(1, 2)));
    const x = tensor('float32', [1, 1, 4, 4]);
    assert.throws(() => cpu.conv2d(x, weights, { activation: 'hardswish', pool: { kernelShape: [2, 2], strides: [2, 2] } }), /^TypeError: options\.activation 'hardswish' is not applied with a fused pool/);
    const q = cpu.packConvWeights(tensor('int8', [2, 1, 1, 1], Int8Array.of(1, 2), { scale: 1, zeroPoint: 0 }));
    assert.throws(() => cpu.conv2d(tensor('uint8', [1, 1, 4, 4]), q, { activation: 'hardswish' }), /^TypeError: options\.activation HardSwish\/HardSigmoid need float32/);
  });
});

describe('f32-elementwise semantics', () => {
  it('computes the float32 results of + - * exactly and matches the formulas of ONNX', () => {
    const x = Float32Array.of(-4, -3, -1.5, 0, 1, 2.9, 3, 7);
    const hs = cpu.activate(tensor('float32', [8], x), 'hardswish').data;
    const f = Math.fround;
    assert.deepEqual([...hs], [...x].map((v) => f(v * Math.max(0, Math.min(1, f(f(v * f(1 / 6)) + 0.5))))));
    const a = Float32Array.of(0.1, 1e8, -2), b = Float32Array.of(0.2, 1, 3);
    assert.deepEqual([...cpu.add(tensor('float32', [3], a), tensor('float32', [3], b)).data], [f(f(0.1) + f(0.2)), 1e8, 1]);
    assert.deepEqual([...cpu.sub(tensor('float32', [3, 1], b), tensor('float32', [3, 2], Float32Array.of(1, 2, 3, 4, 5, 6))).data], [f(f(0.2) - 1), f(f(0.2) - 2), -2, -3, -2, -3]);
  });

  it('keeps NaN through a clamp (Relu, ReLU6) and the per-row scale of squeeze-excite', () => {
    const y = cpu.activate(tensor('float32', [3], Float32Array.of(NaN, -1, 9)), { min: 0, max: 6 }).data;
    assert.ok(Number.isNaN(y[0]) && y[1] === 0 && y[2] === 6);
    const x = tensor('float32', [1, 2, 2, 2], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    assert.deepEqual([...cpu.mul(x, tensor('float32', [1, 2, 1, 1], Float32Array.of(0.5, 2))).data], [0.5, 1, 1.5, 2, 10, 12, 14, 16]);
  });

  it('runs in place, into options.out, async, and on 1 and 2 threads alike', async () => {
    const r = rng(44);
    const dims = [4, 32, 64, 64];
    const x = randomFloats(4 * 32 * 64 * 64, r, 5), s = randomFloats(4 * 32, r);
    const want = cpu.mul(tensor('float32', dims, x), tensor('float32', [4, 32, 1, 1], s), { activation: 'hardswish' }).data;
    assertSameArray((await cpu.mulAsync(tensor('float32', dims, x), tensor('float32', [4, 32, 1, 1], s), { activation: 'hardswish' })).data, want, 'async');
    const threads = cpu.info().threads;
    try {
      cpu.setThreads(1);
      assertSameArray(cpu.mul(tensor('float32', dims, x), tensor('float32', [4, 32, 1, 1], s), { activation: 'hardswish' }).data, want, '1 thread');
    } finally {
      cpu.setThreads(threads);
    }
    const copy = x.slice();
    assert.equal(cpu.mul(tensor('float32', dims, copy), tensor('float32', [4, 32, 1, 1], s), { activation: 'hardswish', out: copy }).data, copy);
    assertSameArray(copy, want, 'in place');
    const gap = cpu.globalAveragePool(tensor('float32', dims, x)).data;
    assertSameArray((await cpu.globalAveragePoolAsync(tensor('float32', dims, x))).data, gap, 'gap async');
    const nhwcGap = cpu.globalAveragePool(tensor('float32', dims, x), { layout: 'nhwc' }).data;
    assertSameArray((await cpu.globalAveragePoolAsync(tensor('float32', dims, x), { layout: 'nhwc' })).data, nhwcGap, 'nhwc gap async');
    const t = randomFloats(4 * 64, r);
    const nhwcScale = cpu.mul(tensor('float32', dims, x), tensor('float32', [4, 1, 1, 64], t), { activation: 'relu' }).data;
    try {
      cpu.setThreads(1);
      assertSameArray(cpu.mul(tensor('float32', dims, x), tensor('float32', [4, 1, 1, 64], t), { activation: 'relu' }).data, nhwcScale, 'nhwc mul, 1 thread');
      assertSameArray(cpu.globalAveragePool(tensor('float32', dims, x), { layout: 'nhwc' }).data, nhwcGap, 'nhwc gap, 1 thread');
    } finally {
      cpu.setThreads(threads);
    }
    const out = new Float32Array(x.length);
    assert.equal((await cpu.activateAsync(tensor('float32', dims, x), 'relu', { out })).data, out);
  });

  it('returns empty results without calling a kernel', () => {
    assert.deepEqual(cpu.add(tensor('float32', [0, 2, 3, 3]), tensor('float32', [0, 2, 1, 1])).dims, [0, 2, 3, 3]);
    assert.deepEqual(cpu.activate(tensor('float32', [1, 0, 4]), 'hardswish').dims, [1, 0, 4]);
    assert.deepEqual(cpu.globalAveragePool(tensor('float32', [2, 0, 3, 3])).dims, [2, 0, 1, 1]);
    assert.deepEqual(cpu.globalAveragePool(tensor('float32', [0, 3, 3, 2]), { layout: 'nhwc' }).dims, [0, 1, 1, 2]);
    assert.deepEqual(cpu.mul(tensor('float32', [0, 3, 3, 2]), tensor('float32', [1, 1, 1, 2])).dims, [0, 3, 3, 2]);
  });

  describe('validation', () => {
    const x = tensor('float32', [1, 2, 3, 3]);
    const cases: [string, () => unknown, RegExp][] = [
      ['a non-tensor x', () => cpu.activate({} as never, 'relu'), /^TypeError: x/],
      ['an int32 x', () => cpu.activate(tensor('int32', [2]) as never, 'relu'), /^TypeError: x/],
      ['an unknown activation', () => cpu.activate(x, 'gelu' as never), /^TypeError: activation/],
      ['an unknown kind', () => cpu.activate(x, { kind: 'gelu' } as never), /^TypeError: activation\.kind/],
      ['a NaN alpha', () => cpu.activate(x, { kind: 'hardsigmoid', alpha: NaN }), /^TypeError: activation\.alpha/],
      ['min above max', () => cpu.activate(x, { kind: 'hardswish', min: 2, max: 1 }), /^RangeError: activation/],
      ['a broadcast of both operands', () => cpu.add(tensor('float32', [2, 1]), tensor('float32', [1, 2])), /^RangeError: b dims \[1,2\]/],
      ['an operand broadcast inside a row and a column', () => cpu.mul(tensor('float32', [2, 2, 3, 3]), tensor('float32', [2, 1, 3, 1])), /^RangeError: b/],
      ['a float64-typed activation object', () => cpu.add(x, x, { activation: 3 as never }), /^TypeError: options\.activation/],
      ['an out of the wrong size', () => cpu.add(x, x, { out: new Float32Array(3) }), /^RangeError: options\.out must have 18 elements/],
      ['an out overlapping b', () => { const b = new Float32Array(2); return cpu.mul(x, tensor('float32', [1, 2, 1, 1], b), { out: new Float32Array(b.buffer) as never }); }, /^RangeError: options\.out/],
      ['a 2-D pool input', () => cpu.globalAveragePool(tensor('float32', [2, 3])), /^RangeError: x must have rank >= 3/],
      ['an empty pool plane', () => cpu.globalAveragePool(tensor('float32', [1, 2, 0, 3])), /^RangeError: x dims \[1,2,0,3\] have an empty plane/],
      ['an empty NHWC pool plane', () => cpu.globalAveragePool(tensor('float32', [1, 0, 3, 2]), { layout: 'nhwc' }), /^RangeError: x dims \[1,0,3,2\] have an empty plane/],
      ['a 2-D NHWC pool input', () => cpu.globalAveragePool(tensor('float32', [2, 3]), { layout: 'nhwc' }), /^RangeError: x must have rank >= 3 \(\[N, spatial\.\.\., C\]\)/],
      ['an unknown pool layout', () => cpu.globalAveragePool(x, { layout: 'nchwc' as never }), /^RangeError: options\.layout must be one of 'nchw', 'nhwc'/],
      ['a non-string pool layout', () => cpu.globalAveragePool(x, { layout: 1 as never }), /^TypeError: options\.layout must be a string/],
      ['a per-column operand of the wrong width', () => cpu.mul(tensor('float32', [1, 3, 3, 4]), tensor('float32', [1, 1, 1, 3])), /^RangeError: b dims \[1,1,1,3\]/],
      ['an unknown variant', () => cpu.activate(x, 'relu', { variant: 'f32-elementwise-nope' }), /^RangeError: unknown variant f32-elementwise-nope/],
    ];
    for (const [what, call, error] of cases) it(`rejects ${what}`, () => assert.throws(call, error));

    const addon = native();
    (addon ? it : it.skip)('the binding re-checks sizes, ops and bounds', () => {
      const a = addon!;
      const valid = {
        variant: null, op: 'add', x: new Float32Array(8), b: new Float32Array(2), y: new Float32Array(8), rows: 2, inner: 4, bRows: 2, bColumns: false,
        activation: 'clamp', alpha: 0.2, beta: 0.5, min: -Infinity, max: Infinity, async: false,
      } as const;
      assert.throws(() => a.elementwise({ ...valid, y: new Float32Array(7) }), /^RangeError: y has 7 elements, needs at least 8/);
      assert.throws(() => a.elementwise({ ...valid, bRows: 3 }), /^RangeError: bRows must divide rows/);
      assert.throws(() => a.elementwise({ ...valid, bRows: 0 }), /^RangeError: b has 2 elements, needs at least 8/);
      assert.throws(() => a.elementwise({ ...valid, op: 'div' as never }), /^RangeError: op must be/);
      assert.throws(() => a.elementwise({ ...valid, min: 1, max: 0 }), /^RangeError: min must be <= max/);
      assert.throws(() => a.elementwise({ ...valid, activation: 'gelu' as never }), /^RangeError: activation must be/);
      assert.throws(() => a.elementwise({ ...valid, bColumns: true }), /^RangeError: b has 2 elements, needs at least 8/);
      assert.throws(() => a.elementwise({ ...valid, bColumns: true, bRows: 0 }), /^RangeError: bColumns needs bRows >= 1/);
      const gap = { variant: null, x: new Float32Array(6), y: new Float32Array(2), planes: 2, plane: 3, columns: 1, async: false } as const;
      assert.throws(() => a.globalAveragePool({ ...gap, x: new Float32Array(5) }), /^RangeError: x has 5 elements, needs at least 6/);
      assert.throws(() => a.globalAveragePool({ ...gap, columns: 0 }), /^RangeError: columns must be >= 1/);
      assert.throws(() => a.globalAveragePool({ ...gap, columns: 2 }), /^RangeError: x has 6 elements, needs at least 12/);
    });
  });
});
