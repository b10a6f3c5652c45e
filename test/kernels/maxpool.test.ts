import assert from 'node:assert/strict';

import { refMaxPool, refMaxPoolNhwc } from '../../src/backends/reference/maxpool.js';
import { planMaxPoolNhwc, type MaxPoolOptions } from '../../src/backends/cpu/maxpool.js';
import { maxPoolGeometry } from '../../src/ops/maxpool.js';
import { familyVariants, native, type IsaLimit, type NativeVariant } from '../../src/native.js';
import { cpu, tensor } from '../../src/index.js';
import { assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';

type PoolType = 'float32' | 'uint8' | 'int8';

function randomInput(type: PoolType, n: number, r: () => number): Float32Array | Uint8Array | Int8Array {
  if (type === 'uint8') return randomInts(Uint8Array, n, 0, 255, r);
  if (type === 'int8') return randomInts(Int8Array, n, -128, 127, r);
  return randomFloats(n, r, 10);
}

/** cpu.maxPool against the reference on the same input; returns the result. */
function check(type: PoolType, dims: [number, number, number, number], options: MaxPoolOptions, r: () => number): ArrayLike<number> {
  const x = randomInput(type, dims.reduce((a, b) => a * b), r);
  const got = cpu.maxPool(tensor(type, dims, x as never), options);
  const g = maxPoolGeometry(dims, options);
  assert.deepEqual(got.dims, [dims[0], dims[1], g.outH, g.outW]);
  const want = new (x.constructor as new (n: number) => typeof x)(got.data.length);
  refMaxPool(x, want, g);
  assertSameArray(got.data, want, `${type} ${JSON.stringify([dims, options])}`);
  return got.data;
}

describe('maxPool', () => {
  it('equals the reference for every type, kernel, stride, pad and ceil mode', () => {
    const r = rng(7);
    let cases = 0;
    for (const type of ['float32', 'uint8', 'int8'] as const)
      for (const dims of [[1, 1, 1, 1], [1, 1, 5, 7], [2, 3, 9, 8], [1, 40, 6, 35], [2, 2, 30, 30], [1, 3, 5, 67]] as [number, number, number, number][])
        for (const [kh, kw] of [[1, 1], [2, 2], [3, 3], [2, 3], [4, 1]])
          for (const [sh, sw] of [[1, 1], [2, 2], [3, 2], [1, 3]])
            for (const pads of [[0, 0, 0, 0], [1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 1, 1]] as const)
              for (const ceilMode of [false, true]) {
                const options = { kernelShape: [kh, kw] as const, strides: [sh, sw] as const, pads, ceilMode };
                if (pads.some((p, i) => p >= (i % 2 === 0 ? kh : kw))) continue;
                // Windows larger than the padded input too (the 1x1 planes), except where they overhang it by two strides.
                const overhangs = (size: number, kernel: number, stride: number, padding: number) => kernel - size - padding >= 2 * stride;
                if (overhangs(dims[2], kh, sh, pads[0] + pads[2]) || overhangs(dims[3], kw, sw, pads[1] + pads[3])) {
                  assert.throws(() => maxPoolGeometry(dims, options), /^RangeError: options\.kernelShape/);
                  continue;
                }
                check(type, dims, options, r);
                cases++;
              }
    assert.ok(cases > 1000, `only ${cases} cases ran`);
  });

  it('sizes the output like ONNX, ceil mode dropping a window that starts in the end padding', () => {
    const r = rng(8);
    // 5 + 1 pad, 2x2 stride 2: floor gives 3; ceil also 3, since a 4th window would start at 6 >= 5 + 0.
    assert.equal(cpu.maxPool(tensor('float32', [1, 1, 5, 5], randomFloats(25, r)), { kernelShape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], ceilMode: true }).dims[2], 3);
    assert.equal(cpu.maxPool(tensor('float32', [1, 1, 6, 6], randomFloats(36, r)), { kernelShape: [3, 3], strides: [2, 2], ceilMode: true }).dims[2], 3);
    assert.equal(cpu.maxPool(tensor('float32', [1, 1, 6, 6], randomFloats(36, r)), { kernelShape: [3, 3], strides: [2, 2] }).dims[2], 2);
  });

  it('sizes windows larger than the padded input as onnxruntime does, pooling what they cover', () => {
    const x = tensor('float32', [1, 2, 1, 2], Float32Array.of(3, -1, 5, 7));
    // (padded - window) / stride + 1, truncated toward zero: (1 - 2) / 2 + 1 -> 1 row, (2 - 3) / 2 + 1 -> 1 column.
    const one = cpu.maxPool(x, { kernelShape: [2, 3], strides: [2, 2] });
    assert.deepEqual([one.dims, [...one.data]], [[1, 2, 1, 1], [3, 7]]);
    assert.deepEqual(cpu.maxPool(x, { kernelShape: [2, 3], strides: [2, 2], ceilMode: true }).dims, [1, 2, 1, 1]);
    // An overhang of one stride leaves no window; of two, no output size at all.
    assert.deepEqual(cpu.maxPool(x, { kernelShape: [2, 2], strides: [1, 1] }).dims, [1, 2, 0, 1]);
    assert.throws(() => cpu.maxPool(x, { kernelShape: [3, 1] }), /^RangeError: options\.kernelShape \(3x1\) overhangs the padded input 1x2 by two strides or more/);
  });

  it('compares int8 signed and uint8 unsigned', () => {
    const options = { kernelShape: [1, 2] as const, strides: [1, 2] as const };
    assert.deepEqual([...cpu.maxPool(tensor('int8', [1, 1, 1, 2], Int8Array.of(-1, 1)), options).data], [1]);
    assert.deepEqual([...cpu.maxPool(tensor('uint8', [1, 1, 1, 2], Uint8Array.of(255, 1)), options).data], [255]);
  });

  it('skips NaN (an all-NaN window gives -Infinity) and keeps the first of +0 and -0', () => {
    const x = Float32Array.of(NaN, 2, NaN, NaN, -0, 0, 0, -0);
    const y8 = cpu.maxPool(tensor('float32', [1, 1, 1, 8], x), { kernelShape: [1, 2], strides: [1, 2] }).data;
    assert.ok(Object.is(y8[0], 2) && Object.is(y8[1], -Infinity) && Object.is(y8[2], -0) && Object.is(y8[3], 0), `got ${[...y8].map(String)}`);
    // The same across a long interior row (the vectorized loop) and a 2x2 window.
    const row = new Float32Array(64).fill(NaN);
    const y = cpu.maxPool(tensor('float32', [1, 1, 2, 32], row), { kernelShape: [2, 2], strides: [2, 2] }).data;
    assert.ok(y.every((v) => v === -Infinity));
  });

  it('3x3/2 (its own interior loop): NaN skipped, the first of +0 and -0 in row-major order kept, as the reference', () => {
    const r = rng(10);
    const special = [NaN, 0, -0, Infinity, -Infinity, 1];
    const dims: [number, number, number, number] = [1, 2, 7, 71];
    const x = Float32Array.from({ length: 2 * 7 * 71 }, () => special[Math.floor(r() * special.length)]);
    const options = { kernelShape: [3, 3] as const, strides: [2, 2] as const, pads: [1, 1, 1, 1] as const };
    const got = cpu.maxPool(tensor('float32', dims, x), options).data;
    const want = new Float32Array(got.length);
    refMaxPool(x, want, maxPoolGeometry(dims, options));
    for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `index ${i}: got ${got[i]}, expected ${want[i]}`);
  });

  it('gives the same result on 1 and 2 threads for a call large enough to split', () => {
    const r = rng(9);
    const dims: [number, number, number, number] = [8, 16, 64, 64];
    const x = randomFloats(dims.reduce((a, b) => a * b), r);
    const options = { kernelShape: [2, 2] as const, strides: [2, 2] as const };
    const threads = cpu.info().threads;
    try {
      cpu.setThreads(1);
      const one = cpu.maxPool(tensor('float32', dims, x), options).data;
      cpu.setThreads(2);
      const two = cpu.maxPool(tensor('float32', dims, x), options).data;
      assertSameArray(two, one, '2 threads vs 1');
    } finally {
      cpu.setThreads(threads);
    }
  });

  it('runs async and into options.out', async () => {
    const r = rng(10);
    const x = randomFloats(2 * 3 * 8 * 8, r);
    const options = { kernelShape: [2, 2] as const, strides: [2, 2] as const };
    const want = cpu.maxPool(tensor('float32', [2, 3, 8, 8], x), options).data;
    assertSameArray((await cpu.maxPoolAsync(tensor('float32', [2, 3, 8, 8], x), options)).data, want, 'async');
    const out = new Float32Array(2 * 3 * 4 * 4);
    assert.equal(cpu.maxPool(tensor('float32', [2, 3, 8, 8], x), { ...options, out }).data, out);
    assertSameArray(out, want, 'out');
  });

  describe('validation', () => {
    const x = tensor('float32', [1, 2, 4, 4]);
    const k = [2, 2] as const;
    const cases: [string, () => unknown, RegExp][] = [
      ['a non-tensor x', () => cpu.maxPool({} as never, { kernelShape: k }), /^TypeError: x/],
      ['an int32 x', () => cpu.maxPool(tensor('int32', [1, 1, 2, 2]) as never, { kernelShape: k }), /^TypeError: x/],
      ['a 3-D x', () => cpu.maxPool(tensor('float32', [1, 4, 4]), { kernelShape: k }), /^RangeError: x/],
      ['missing options', () => cpu.maxPool(x, undefined as never), /^TypeError: options must be an object/],
      ['a missing kernelShape', () => cpu.maxPool(x, {} as never), /^TypeError: options\.kernelShape is required/],
      ['a 1-D kernelShape', () => cpu.maxPool(x, { kernelShape: [2] as never }), /^TypeError: options\.kernelShape must be an array of 2/],
      ['a zero kernel', () => cpu.maxPool(x, { kernelShape: [0, 2] }), /^RangeError: options\.kernelShape\[0\]/],
      ['a zero stride', () => cpu.maxPool(x, { kernelShape: k, strides: [1, 0] }), /^RangeError: options\.strides\[1\]/],
      ['3 pads', () => cpu.maxPool(x, { kernelShape: k, pads: [0, 0, 0] as never }), /^TypeError: options\.pads must be an array of 4/],
      ['a negative pad', () => cpu.maxPool(x, { kernelShape: k, pads: [0, -1, 0, 0] }), /^RangeError: options\.pads\[1\]/],
      ['a pad as large as the kernel', () => cpu.maxPool(x, { kernelShape: k, pads: [0, 0, 0, 2] }), /^RangeError: options\.pads\[3\] \(2\) must be smaller than the kernel/],
      ['a kernel larger than the input by two strides', () => cpu.maxPool(x, { kernelShape: [6, 2] }), /^RangeError: options\.kernelShape \(6x2\) overhangs the padded input 4x4 by two strides or more/],
      ['an empty plane', () => cpu.maxPool(tensor('float32', [1, 1, 0, 4]), { kernelShape: [1, 1] }), /^RangeError: x dims \[1,1,0,4\] have an empty plane/],
      ['a non-boolean ceilMode', () => cpu.maxPool(x, { kernelShape: k, ceilMode: 1 as never }), /^TypeError: options\.ceilMode must be a boolean/],
      ['an out of the wrong type', () => cpu.maxPool(x, { kernelShape: k, out: new Uint8Array(18) }), /^TypeError: options\.out must be a Float32Array/],
      ['an out of the wrong size', () => cpu.maxPool(x, { kernelShape: k, out: new Float32Array(8) }), /^RangeError: options\.out must have 18 elements/],
      ['a spatial quantization axis', () => cpu.maxPool(tensor('uint8', [1, 1, 2, 2], undefined, { scale: Float32Array.of(1, 1), zeroPoint: Int32Array.of(0, 0), axis: 2 }), { kernelShape: k }), /^RangeError: x\.axis/],
    ];
    for (const [what, call, error] of cases) it(`rejects ${what}`, () => assert.throws(call, error));

    const addon = native();
    (addon ? it : it.skip)('the binding re-checks sizes and windows, planned or not', () => {
      const a = addon!;
      const valid = {
        variant: null, x: new Float32Array(16), y: new Float32Array(4), planes: 1, height: 4, width: 4, kernelH: 2, kernelW: 2,
        strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 2, outW: 2, async: false,
      };
      const args = (y: Float32Array, padTop: number, outH: number) => () => a.maxPool({ ...valid, y, padTop, outH });
      assert.throws(args(new Float32Array(3), 0, 2), /^RangeError: y has 3 elements, needs at least 4/);
      assert.throws(args(new Float32Array(4), 2, 2), /^RangeError: pads must be smaller than the kernel/);
      assert.throws(args(new Float32Array(6), 0, 3), /^RangeError: outH\/outW place a window outside the input/);
      assert.throws(() => a.maxPool({ ...valid, y: new Int8Array(4) }), /^TypeError: y must be a Float32Array/);
    });
  });
});

describe('maxPool 2x2 stride-2 variants (f32-maxpool: each by name; in a fused conv pool, by capping the ISA to its own)', () => {
  /** The supported entries of the addon's list, best first (the scalar one last). */
  function variants(): NativeVariant[] {
    const addon = native();
    assert.ok(addon, 'the native addon must be built for these tests (npm run build:native)');
    return familyVariants(addon, 'f32-maxpool').filter((v) => v.supported);
  }

  function capped<T>(isa: string, run: () => T): T {
    cpu.setIsaLimit(isa as IsaLimit);
    try {
      return run();
    } finally {
      cpu.setIsaLimit('none');
    }
  }

  // Output rows of 1-20 and 33 (whole 8- and 16-output steps, and every tail
  // length), odd heights and widths (the last row or column unread), planes.
  const SIZES: [number, number, number][] = [];
  for (let w = 2; w <= 41; w++) SIZES.push([3, 2 + (w % 4), w]);
  SIZES.push([2, 9, 66], [1, 31, 30]);

  for (const v of variants())
    it(`${v.name}: float32 equals the reference bit for bit, NaN skipped (all NaN gives -Infinity) and the first of +0/-0 kept`, () => {
      const r = rng(31);
      // A third of the values special, so windows of only NaN, of mixed zeros and of infinities occur.
      const special = [NaN, 0, -0, Infinity, -Infinity];
      for (const [planes, h, w] of SIZES) {
        const x = Float32Array.from({ length: planes * h * w }, () => (r() < 0.35 ? special[Math.floor(r() * special.length)] : (r() - 0.5) * 8));
        const options = { kernelShape: [2, 2] as const, strides: [2, 2] as const };
        const g = maxPoolGeometry([1, planes, h, w], options);
        const want = new Float32Array(planes * g.outH * g.outW);
        refMaxPool(x, want, g);
        const got = cpu.maxPool(tensor('float32', [1, planes, h, w], x), { ...options, variant: v.name }).data;
        assert.equal(got.length, want.length);
        for (let i = 0; i < want.length; i++)
          if (!Object.is(got[i], want[i])) assert.fail(`${v.name} ${[planes, h, w]}: index ${i}: got ${got[i]}, expected ${want[i]}`);
      }
    });

  it('names the portable kernel last, and rejects an unknown name', () => {
    assert.match(variants().at(-1)!.name, /-scalar$/);
    assert.throws(() => cpu.maxPool(tensor('float32', [1, 1, 2, 2]), { kernelShape: [2, 2], variant: 'f32-maxpool-nope' }), /^RangeError: unknown variant f32-maxpool-nope/);
  });

  for (const v of variants())
    it(`${v.name}: int32 sums (the pool fused into an int32 conv2d) equal the reference`, () => {
      // A 1x1 identity conv on uint8 x with zero point 128 gives sums x - 128, pooled by the s32 kernel.
      const r = rng(32);
      for (const [planes, h, w] of SIZES) {
        const x = randomInts(Uint8Array, planes * h * w, 0, 255, r);
        const eye = Int8Array.from({ length: planes * planes }, (_, i) => (i % (planes + 1) === 0 ? 1 : 0));
        const weights = cpu.packConvWeights(tensor('int8', [planes, planes, 1, 1], eye, { scale: 1 }));
        const pool = { kernelShape: [2, 2] as [number, number], strides: [2, 2] as [number, number] };
        const got = capped(v.isa, () => cpu.conv2d(tensor('uint8', [1, planes, h, w], x, { scale: 1, zeroPoint: 128 }), weights, { output: 'int32', pool }).data);
        const g = maxPoolGeometry([1, planes, h, w], pool);
        const want = new Float32Array(planes * g.outH * g.outW);
        refMaxPool(Float32Array.from(x, (v) => v - 128), want, g);
        assertSameArray(got, want, `${v.name} ${[planes, h, w]}`);
      }
    });
});

describe('maxPool NHWC (f32-maxpool-nhwc: every variant against the NCHW reference on the transposed image, bit for bit)', () => {
  const addon = native();
  const variants = addon ? familyVariants(addon, 'f32-maxpool-nhwc').filter((v) => v.supported).map((v) => v.name) : [];
  // Channels across every width's steps, 4-vector blocks and tails (4, 8, 16 floats; 16, 32, 64 bytes).
  const CHANNELS = [1, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 129, 257];
  const special = [NaN, 0, -0, Infinity, -Infinity];

  function input(type: PoolType, n: number, r: () => number): Float32Array | Uint8Array | Int8Array {
    if (type !== 'float32') return randomInput(type, n, r);
    return Float32Array.from({ length: n }, () => (r() < 0.3 ? special[Math.floor(r() * special.length)] : (r() - 0.5) * 8));
  }

  for (const variant of variants)
    it(`${variant}: float32, uint8 and int8, any kernel, stride and pads`, () => {
      const r = rng(33);
      const windows = [
        { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { kernelShape: [2, 2], strides: [2, 2] },
        { kernelShape: [3, 2], strides: [1, 2], pads: [0, 1, 1, 0], ceilMode: true }, { kernelShape: [1, 1], strides: [3, 2] },
      ] as MaxPoolOptions[];
      for (const type of ['float32', 'uint8', 'int8'] as const)
        for (const c of CHANNELS)
          for (const [i, options] of windows.entries()) {
            const [n, h, w] = i % 2 === 0 ? [2, 7, 6] : [1, 5, 9];
            const x = input(type, n * h * w * c, r);
            const got = cpu.maxPool(tensor(type, [n, h, w, c], x as never), { ...options, layout: 'nhwc', variant });
            const g = maxPoolGeometry([n, c, h, w], options);
            assert.deepEqual(got.dims, [n, g.outH, g.outW, c]);
            const want = new (x.constructor as new (n: number) => typeof x)(got.data.length);
            refMaxPoolNhwc(x, want, n, c, g);
            for (let k = 0; k < want.length; k++)
              if (!Object.is(got.data[k], want[k])) assert.fail(`${variant} ${type} C=${c} ${JSON.stringify(options)}: index ${k}: got ${got.data[k]}, expected ${want[k]}`);
          }
    });

  it('equals cpu.maxPool on the NCHW image, on 1 and 2 threads (ResNet-18\'s stem pool)', () => {
    const r = rng(34);
    const [n, h, w, c] = [2, 56, 56, 64];
    const x = randomFloats(n * h * w * c, r, 4);
    const options = { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } as const;
    const nchw = new Float32Array(x.length);
    for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) nchw[(i * c + k) * h * w + p] = x[(i * h * w + p) * c + k];
    const planes = cpu.maxPool(tensor('float32', [n, c, h, w], nchw), options);
    const want = new Float32Array(planes.data.length);
    const [oh, ow] = [planes.dims[2], planes.dims[3]];
    for (let i = 0; i < n; i++) for (let p = 0; p < oh * ow; p++) for (let k = 0; k < c; k++) want[(i * oh * ow + p) * c + k] = planes.data[(i * c + k) * oh * ow + p];
    const threads = cpu.info().threads;
    try {
      for (const t of [1, 2]) {
        cpu.setThreads(t);
        assertSameArray(cpu.maxPool(tensor('float32', [n, h, w, c], x), { ...options, layout: 'nhwc' }).data, want, `${t} threads`);
      }
    } finally {
      cpu.setThreads(threads);
    }
  });

  it('runs async, into options.out, keeps the quantization, and returns empty results without a kernel', async () => {
    const r = rng(35);
    const x = randomInts(Uint8Array, 2 * 6 * 6 * 5, 0, 255, r);
    const options = { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], layout: 'nhwc' } as const;
    const q = { scale: 0.5, zeroPoint: 3 };
    const want = cpu.maxPool(tensor('uint8', [2, 6, 6, 5], x, q), options);
    assert.deepEqual([want.scale, want.zeroPoint], [0.5, 3]);
    assertSameArray((await cpu.maxPoolAsync(tensor('uint8', [2, 6, 6, 5], x, q), options)).data, want.data, 'async');
    const out = new Uint8Array(want.data.length);
    assert.equal(cpu.maxPool(tensor('uint8', [2, 6, 6, 5], x, q), { ...options, out }).data, out);
    assertSameArray(out, want.data, 'out');
    assert.deepEqual(cpu.maxPool(tensor('float32', [0, 6, 6, 5]), options).dims, [0, 3, 3, 5]);
    assert.deepEqual(cpu.maxPool(tensor('float32', [1, 6, 6, 0]), options).dims, [1, 3, 3, 0]);
  });

  it('planMaxPoolNhwc: the planned call equals cpu.maxPool for float32, uint8 and int8, run after run', () => {
    const r = rng(36);
    const options = { kernelShape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], ceilMode: true } as const;
    for (const type of ['float32', 'uint8', 'int8'] as const) {
      const dims: [number, number, number, number] = [2, 7, 6, 33];
      const plan = planMaxPoolNhwc({ type, dims }, options);
      for (let run = 0; run < 2; run++) {
        const x = randomInput(type, dims.reduce((a, b) => a * b), r);
        const want = cpu.maxPool(tensor(type, dims, x as never), { ...options, layout: 'nhwc' });
        assert.deepEqual(plan.dims, want.dims);
        const y = new (x.constructor as new (n: number) => typeof x)(want.data.length);
        plan.run(x as never, y as never);
        assertSameArray(y, want.data, `${type} run ${run}`);
      }
    }
    assert.deepEqual(planMaxPoolNhwc({ type: 'float32', dims: [0, 4, 4, 3] }, { kernelShape: [2, 2], strides: [2, 2] }).dims, [0, 2, 2, 3]);
  });

  describe('validation', () => {
    const x = tensor('float32', [1, 4, 4, 2]);
    const plan = () => planMaxPoolNhwc({ type: 'float32', dims: [1, 4, 4, 2] }, { kernelShape: [2, 2], strides: [2, 2] });
    const planCases: [string, () => unknown, RegExp][] = [
      ['a planned x of another type', () => plan().run(new Uint8Array(32) as never, new Float32Array(8)), /^RangeError: x must be a Float32Array of 32 values, as planned/],
      ['a planned y of another size', () => plan().run(new Float32Array(32), new Float32Array(9)), /^RangeError: y must be a Float32Array of 8 values, as planned/],
      ['a planned y that overlaps x', () => { const b = new Float32Array(40); plan().run(b.subarray(0, 32), b.subarray(30, 38)); }, /^RangeError: y /],
      ['a plan of a 3-D x', () => planMaxPoolNhwc({ type: 'float32', dims: [4, 4, 2] }, { kernelShape: [2, 2] }), /^RangeError: x/],
      ['a plan of an int32 x', () => planMaxPoolNhwc({ type: 'int32' as never, dims: [1, 4, 4, 2] }, { kernelShape: [2, 2] }), /^TypeError: x must be a tensor of type/],
      ['a plan with a pad as large as the kernel', () => planMaxPoolNhwc({ type: 'uint8', dims: [1, 4, 4, 2] }, { kernelShape: [2, 2], pads: [0, 2, 0, 0] }), /^RangeError: options\.pads\[1\]/],
    ];
    for (const [what, call, error] of planCases) it(`rejects ${what}`, () => assert.throws(call, error));
    const cases: [string, () => unknown, RegExp][] = [
      ['an unknown layout', () => cpu.maxPool(x, { kernelShape: [2, 2], layout: 'nchwc' as never }), /^RangeError: options\.layout must be one of 'nchw', 'nhwc'/],
      ['a non-string layout', () => cpu.maxPool(x, { kernelShape: [2, 2], layout: 1 as never }), /^TypeError: options\.layout must be a string/],
      ['an empty NHWC plane', () => cpu.maxPool(tensor('float32', [1, 0, 4, 2]), { kernelShape: [1, 1], layout: 'nhwc' }), /^RangeError: x dims \[1,2,0,4\] have an empty plane/],
      ['a pad as large as the kernel', () => cpu.maxPool(x, { kernelShape: [2, 2], pads: [2, 0, 0, 0], layout: 'nhwc' }), /^RangeError: options\.pads\[0\]/],
      ['a spatial quantization axis', () => cpu.maxPool(tensor('uint8', [1, 2, 2, 2], undefined, { scale: Float32Array.of(1, 1), zeroPoint: Int32Array.of(0, 0), axis: 1 }), { kernelShape: [2, 2], layout: 'nhwc' }), /^RangeError: x\.axis \(1\)/],
      ['an NCHW variant for NHWC', () => cpu.maxPool(x, { kernelShape: [2, 2], layout: 'nhwc', variant: 'f32-maxpool-2x2s2-scalar' }), /^RangeError: unknown variant f32-maxpool-2x2s2-scalar/],
    ];
    for (const [what, call, error] of cases) it(`rejects ${what}`, () => assert.throws(call, error));

    (addon ? it : it.skip)('the binding re-checks sizes and windows, planned or not', () => {
      const a = addon!;
      const valid = {
        variant: null, x: new Float32Array(32), y: new Float32Array(8), images: 1, height: 4, width: 4, channels: 2, kernelH: 2, kernelW: 2,
        strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 2, outW: 2, async: false,
      };
      assert.throws(() => a.maxPoolNhwc({ ...valid, y: new Float32Array(7) }), /^RangeError: y has 7 elements, needs at least 8/);
      assert.throws(() => a.maxPoolNhwc({ ...valid, x: new Float32Array(31) }), /^RangeError: x has 31 elements, needs at least 32/);
      assert.throws(() => a.maxPoolNhwc({ ...valid, padLeft: 2 }), /^RangeError: pads must be smaller than the kernel/);
      assert.throws(() => a.maxPoolNhwc({ ...valid, outH: 3, y: new Float32Array(12) }), /^RangeError: outH\/outW place a window outside the input/);
      assert.throws(() => a.maxPoolNhwc({ ...valid, strideW: 0 }), /^RangeError: kernel and strides must be >= 1/);
      assert.throws(() => a.maxPoolNhwc({ ...valid, y: new Uint8Array(8) }), /^TypeError: y must be a Float32Array/);
      const { x: _x, y: _y, async: _async, ...fields } = valid;
      const planned = { ...fields, type: 'float32' as const };
      assert.throws(() => a.planMaxPoolNhwc({ ...planned, type: 'int32' as never }), /^TypeError: type must be 'float32', 'uint8' or 'int8'/);
      assert.throws(() => a.planMaxPoolNhwc({ ...planned, outH: 3 }), /^RangeError: outH\/outW place a window outside the input/);
      const handle = a.planMaxPoolNhwc({ ...planned, type: 'uint8' });
      assert.throws(() => a.runPlan(handle, new Uint8Array(31), new Uint8Array(8)), /^RangeError: x has 31 elements, the plan needs 32/);
      assert.throws(() => a.runPlan(handle, new Float32Array(32), new Uint8Array(8)), /^TypeError: x must be a Uint8Array/);
    });
  });
});
