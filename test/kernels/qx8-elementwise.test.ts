import assert from 'node:assert/strict';

import { refLookup, refQBinary, refQGlobalAveragePool } from '../../src/backends/reference/qelementwise.js';
import { planLookupCall, planQBinaryCall, planQGlobalAveragePoolCall } from '../../src/backends/cpu/qelementwise.js';
import { planQBinary } from '../../src/ops/qelementwise.js';
import { cpu, tensor, type QType, type Tensor } from '../../src/index.js';
import { assertSameArray, nativeVariants, randomInts, rng } from '../helpers.js';

const size = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

function bytes(type: QType, n: number, r: () => number): Uint8Array | Int8Array {
  return type === 'uint8' ? randomInts(Uint8Array, n, 0, 255, r) : randomInts(Int8Array, n, -128, 127, r);
}

function quantized(type: QType, dims: number[], r: () => number, scale: number, zeroPoint: number): Tensor<QType> {
  return tensor(type, dims, bytes(type, size(dims), r), { scale, zeroPoint });
}

/** [x scale, b scale, y scale]: random, and ones that land many results on ties (k / 2 steps) and on saturation. */
const SCALES: [number, number, number][] = [[0.05, 0.07, 0.09], [0.5, 0.5, 1], [0.25, 0.75, 0.5], [0.013, 0.2, 0.011], [1, 1, 0.01]];

// Lengths across every vector width's steps and tails (8, 16 lanes).
const LENGTHS = [1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 129];

// NHWC GlobalAveragePool: channels around the vector widths (8, 16 lanes) and MobileNet's, planes around the 16 running sums.
const NHWC_CHANNELS = [1, 15, 16, 17, 64, 96, 576];
const NHWC_PLANES = [1, 15, 16, 17, 49, 196, 3136];

const SHAPES: [number[], number[]][] = [
  [[37], [37]], [[2, 3, 5, 7], [2, 3, 5, 7]], [[2, 3, 5, 7], [2, 3, 1, 1]], [[2, 3, 5, 7], [3, 1, 1]], [[1, 16, 4, 4], [1, 16, 1, 1]],
  [[3, 1, 1], [2, 3, 4, 9]], [[2, 5, 7, 24], [2, 1, 1, 24]], [[2, 5, 7, 24], [24]], [[2, 1, 1, 19], [2, 3, 3, 19]], [[2, 4, 3, 17], [1, 1, 1, 17]],
  // A squeeze-excite Mul's small rows: several tiled calls per vector, and a thread task boundary inside one vector's rows.
  [[2, 48, 48, 16], [2, 1, 1, 16]],
];

/** DQ -> the float kernels the unfused graph runs (b broadcast to a copy where they take none) -> Q. */
function floatPath(op: 'add' | 'sub' | 'mul', a: Tensor<QType>, b: Tensor<QType>, y: { scale: number; zeroPoint: number }, min: number, max: number): Uint8Array | Int8Array {
  const plan = planQBinary(a.dims, b.dims)!;
  let [af, bf] = [cpu.dequantize(a), cpu.dequantize(b)];
  if (plan.broadcast === 'column') {
    const small = plan.swapped ? af : bf;
    const expanded = new Float32Array(size(plan.dims));
    for (let r = 0, i = 0; r < plan.rows; r++)
      for (let j = 0; j < plan.inner; j++, i++) expanded[i] = small.data[(Math.floor(r / plan.bRepeat) % plan.bCount) * plan.inner + j];
    const e = tensor('float32', plan.dims, expanded);
    if (plan.swapped) af = e;
    else bf = e;
  }
  const sum = cpu[op](af, bf, { activation: { min, max } });
  return cpu.quantize(sum, { type: a.type, scale: y.scale, zeroPoint: y.zeroPoint }).data;
}

describe('qx8-elementwise (every variant against the reference, bit for bit)', () => {
  for (const variant of nativeVariants('qx8-elementwise')) {
    it(`${variant}: qadd, qsub, qmul on every broadcast form, uint8 and int8, with and without a clamp`, () => {
      const r = rng(61);
      for (const type of ['uint8', 'int8'] as const)
        for (const [aDims, bDims] of [...SHAPES, ...LENGTHS.map((n) => [[n], [n]] as [number[], number[]])])
          for (const op of ['add', 'sub', 'mul'] as const)
            for (const [xs, bs, ys] of SCALES)
              for (const [min, max] of [[-Infinity, Infinity], [0, Infinity], [0, 6]]) {
                const zp = () => (type === 'uint8' ? Math.floor(r() * 256) : Math.floor(r() * 256) - 128);
                const a = quantized(type, aDims, r, xs, zp()), b = quantized(type, bDims, r, bs, zp());
                const yq = { scale: ys, zeroPoint: zp() };
                const plan = planQBinary(aDims, bDims)!;
                const [full, small, fq, sq] = plan.swapped ? [b, a, b, a] : [a, b, a, b];
                const want = type === 'uint8' ? new Uint8Array(size(plan.dims)) : new Int8Array(size(plan.dims));
                const kernelOp = plan.swapped && op === 'sub' ? 'rsub' : op;
                const q = (t: Tensor<QType>) => ({ scale: Math.fround(t.scale as number), zeroPoint: t.zeroPoint as number });
                refQBinary(kernelOp, full.data, small.data, want, plan, q(fq), q(sq), { ...yq, scale: Math.fround(ys) }, min, max);
                const what = `${variant} ${type} ${op} [${aDims}] [${bDims}] scales ${[xs, bs, ys]} clamp [${min}, ${max}]`;
                const got = cpu[`q${op}`](a, b, { ...yq, activation: { min, max }, variant });
                assert.deepEqual(got.dims, plan.dims, what);
                assert.equal(got.type, type);
                assertSameArray(got.data, want, what);
              }
    });

    it(`${variant}: lookup of every byte, uint8 and int8 in and out`, () => {
      const r = rng(62);
      for (const [xType, tType] of [['uint8', 'uint8'], ['int8', 'int8'], ['int8', 'uint8'], ['uint8', 'int8']] as const)
        for (const n of [...LENGTHS, 256, 1000]) {
          const x = quantized(xType, [n], r, 0.1, 0);
          const table = bytes(tType, 256, r);
          const want = tType === 'uint8' ? new Uint8Array(n) : new Int8Array(n);
          refLookup(x.data, table, want);
          const got = cpu.lookup(x, table, { variant });
          assert.equal(got.type, tType);
          assertSameArray(got.data, want, `${variant} ${xType} -> ${tType} n=${n}`);
        }
    });

    it(`${variant}: qglobalAveragePool on NCHW planes and NHWC columns`, () => {
      const r = rng(63);
      for (const type of ['uint8', 'int8'] as const)
        for (const plane of [...LENGTHS, 49, 196]) {
          const [n, c] = [2, 5];
          const zp = type === 'uint8' ? 7 : -3;
          const x = quantized(type, [n, c, plane, 1], r, 0.037, zp);
          const yq = { scale: 0.021, zeroPoint: type === 'uint8' ? 100 : 5 };
          const want = type === 'uint8' ? new Uint8Array(n * c) : new Int8Array(n * c);
          refQGlobalAveragePool(x.data, want, n, c, plane, false, { scale: Math.fround(0.037), zeroPoint: zp }, { ...yq, scale: Math.fround(yq.scale) });
          const got = cpu.qglobalAveragePool(x, { ...yq, variant });
          assert.deepEqual(got.dims, [n, c, 1, 1]);
          assertSameArray(got.data, want, `${variant} ${type} plane ${plane}`);
          // The same planes laid out [N, plane, 1, C]: the same means.
          const nhwc = x.data.slice();
          for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) nhwc[(i * plane + p) * c + ch] = x.data[(i * c + ch) * plane + p];
          const last = cpu.qglobalAveragePool(tensor(type, [n, plane, 1, c], nhwc, { scale: 0.037, zeroPoint: zp }), { ...yq, channelsLast: true, variant });
          assert.deepEqual(last.dims, [n, 1, 1, c]);
          assertSameArray(last.data, want, `${variant} ${type} NHWC plane ${plane}`);
        }
    });

    it(`${variant}: qglobalAveragePool NHWC across channel and plane vector widths, equal to the reference and to NCHW`, () => {
      const r = rng(67);
      for (const type of ['uint8', 'int8'] as const)
        for (const c of NHWC_CHANNELS)
          for (const plane of NHWC_PLANES) {
            const n = 2;
            const zp = type === 'uint8' ? 131 : -9;
            const x = quantized(type, [n, plane, 1, c], r, 0.0419, zp);
            const yq = { scale: 0.0173, zeroPoint: type === 'uint8' ? 120 : 3 };
            const what = `${variant} ${type} [${n}, ${plane}, 1, ${c}]`;
            const want = type === 'uint8' ? new Uint8Array(n * c) : new Int8Array(n * c);
            refQGlobalAveragePool(x.data, want, n, c, plane, true, { scale: Math.fround(0.0419), zeroPoint: zp }, { ...yq, scale: Math.fround(yq.scale) });
            const got = cpu.qglobalAveragePool(x, { ...yq, channelsLast: true, variant });
            assert.deepEqual(got.dims, [n, 1, 1, c], what);
            assertSameArray(got.data, want, what);
            const nchw = quantized(type, [n, c, plane, 1], r, 0.0419, zp);
            for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) nchw.data[(i * c + ch) * plane + p] = x.data[(i * plane + p) * c + ch];
            assertSameArray(got.data, cpu.qglobalAveragePool(nchw, { ...yq, variant }).data, `${what} vs NCHW`);
          }
    });
  }
});

describe('qx8-elementwise: exactly the float graph it replaces (DequantizeLinear -> float op -> QuantizeLinear)', () => {
  it('qadd/qsub/qmul equal cpu.dequantize -> cpu.add/sub/mul (clamp) -> cpu.quantize on every broadcast form', () => {
    const r = rng(64);
    for (const type of ['uint8', 'int8'] as const)
      for (const [aDims, bDims] of SHAPES)
        for (const op of ['add', 'sub', 'mul'] as const)
          for (const [xs, bs, ys] of SCALES)
            for (const [min, max] of [[-Infinity, Infinity], [0, Infinity]]) {
              const a = quantized(type, aDims, r, xs, type === 'uint8' ? 128 : 0), b = quantized(type, bDims, r, bs, type === 'uint8' ? 3 : -7);
              const yq = { scale: ys, zeroPoint: type === 'uint8' ? 60 : -2 };
              const got = cpu[`q${op}`](a, b, { ...yq, activation: { min, max } });
              assertSameArray(got.data, floatPath(op, a, b, yq, min, max), `${type} ${op} [${aDims}] [${bDims}] ${[xs, bs, ys]} [${min}, ${max}]`);
            }
  });

  it('qglobalAveragePool equals cpu.dequantize -> cpu.globalAveragePool -> cpu.quantize', () => {
    const r = rng(65);
    for (const type of ['uint8', 'int8'] as const)
      for (const plane of [1, 15, 16, 17, 49, 196, 3136]) {
        const x = quantized(type, [2, 3, plane, 1], r, 0.0731, type === 'uint8' ? 9 : 0);
        for (const yq of [{ scale: 0.0731, zeroPoint: 0 }, { scale: 0.01, zeroPoint: type === 'uint8' ? 128 : -100 }]) {
          const want = cpu.quantize(cpu.globalAveragePool(cpu.dequantize(x)), { type, ...yq }).data;
          assertSameArray(cpu.qglobalAveragePool(x, yq).data, want, `${type} plane ${plane} ${JSON.stringify(yq)}`);
        }
      }
  });

  it('qglobalAveragePool NHWC equals cpu.dequantize -> cpu.globalAveragePool (layout nhwc) -> cpu.quantize', () => {
    const r = rng(68);
    for (const type of ['uint8', 'int8'] as const)
      for (const c of NHWC_CHANNELS)
        for (const plane of [1, 17, 49, 3136]) {
          const x = quantized(type, [2, plane, 1, c], r, 0.0731, type === 'uint8' ? 9 : 0);
          const yq = { scale: 0.01, zeroPoint: type === 'uint8' ? 128 : -100 };
          const want = cpu.quantize(cpu.globalAveragePool(cpu.dequantize(x), { layout: 'nhwc' }), { type, ...yq }).data;
          assertSameArray(cpu.qglobalAveragePool(x, { ...yq, channelsLast: true }).data, want, `${type} [2, ${plane}, 1, ${c}]`);
        }
  });
});

describe('qx8-elementwise planned calls (planQBinaryCall, planLookupCall, planQGlobalAveragePoolCall)', () => {
  it('equal the one-shot calls on every form, run after run', () => {
    const r = rng(66);
    for (const type of ['uint8', 'int8'] as const) {
      for (const [aDims, bDims] of SHAPES)
        for (const op of ['add', 'sub', 'mul'] as const) {
          const a = quantized(type, aDims, r, 0.05, 3), b = quantized(type, bDims, r, 0.07, -1 + (type === 'uint8' ? 9 : 0));
          const options = { scale: 0.06, zeroPoint: type === 'uint8' ? 128 : 0, activation: 'relu' as const };
          const plan = planQBinaryCall(op, { type, dims: aDims, scale: a.scale, zeroPoint: a.zeroPoint }, { type, dims: bDims, scale: b.scale, zeroPoint: b.zeroPoint }, options);
          const want = cpu[`q${op}`](a, b, options);
          assert.deepEqual(plan.result.dims, want.dims);
          for (let run = 0; run < 2; run++) {
            const y = type === 'uint8' ? new Uint8Array(want.data.length) : new Int8Array(want.data.length);
            plan.run(a.data, b.data, y);
            assertSameArray(y, want.data, `${type} ${op} [${aDims}] [${bDims}] run ${run}`);
          }
        }
      const x = quantized(type, [2, 6, 7, 5], r, 0.04, type === 'uint8' ? 100 : -5);
      const table = bytes('uint8', 256, r) as Uint8Array;
      const lookup = planLookupCall(x, table, { scale: 0.1, zeroPoint: 3 });
      const y = new Uint8Array(x.data.length);
      lookup.run(x.data, y);
      assertSameArray(y, cpu.lookup(x, table).data, `${type} lookup`);
      for (const channelsLast of [false, true]) {
        const options = { scale: 0.02, zeroPoint: 7, type: 'uint8' as const, channelsLast };
        const pool = planQGlobalAveragePoolCall(x, options);
        const want = cpu.qglobalAveragePool(x, options);
        const p = new Uint8Array(want.data.length);
        pool.run(x.data, p);
        assert.deepEqual(pool.result.dims, want.dims);
        assertSameArray(p, want.data, `${type} pool channelsLast ${channelsLast}`);
      }
    }
  });

  it('check their arrays on every run', () => {
    const shape = { type: 'uint8' as const, dims: [1, 2, 2, 2], scale: 0.1, zeroPoint: 0 };
    const plan = planQBinaryCall('add', shape, shape, { scale: 0.2 });
    const x = new Uint8Array(8);
    assert.throws(() => plan.run(x, new Int8Array(8), new Uint8Array(8)), /^RangeError: b must be a Uint8Array of 8 values, as planned/);
    assert.throws(() => plan.run(x, x, new Uint8Array(7)), /^RangeError: y must be a Uint8Array of 8 values/);
    assert.throws(() => plan.run(x, new Uint8Array(8), x), /^RangeError: y must not overlap a/);
    assert.throws(() => planLookupCall(shape, new Uint8Array(8)), /^RangeError: table must hold 256 values/);
    assert.throws(() => planQGlobalAveragePoolCall({ ...shape, dims: [2, 2] }, { scale: 1 }), /^RangeError: x must have rank >= 3/);
  });
});

describe('qx8-elementwise: arguments are checked before native code runs', () => {
  const a = tensor('uint8', [1, 2, 2, 2], new Uint8Array(8), { scale: 0.1, zeroPoint: 3 });
  it('rejects a bad operand, broadcast, scale, zero point or output', () => {
    assert.throws(() => cpu.qadd(tensor('float32', [2]) as never, a, { scale: 1 }), /^TypeError: a /);
    assert.throws(() => cpu.qadd(a, tensor('int8', [1, 2, 2, 2], new Int8Array(8), { scale: 0.1 }), { scale: 1 }), /^TypeError: b must be uint8 like a/);
    assert.throws(() => cpu.qadd(a, tensor('uint8', [1, 2, 2, 2]), { scale: 1 }), /^TypeError: b\.scale is required/);
    assert.throws(() => cpu.qmul(a, tensor('uint8', [2, 1, 2, 1], new Uint8Array(4), { scale: 1 }), { scale: 1 }), /^RangeError: b dims \[2,1,2,1\] must equal/);
    assert.throws(() => cpu.qadd(a, a, { scale: 0 }), /^RangeError: options\.scale must be a finite positive number/);
    assert.throws(() => cpu.qadd(a, a, { scale: 1, zeroPoint: 256 }), /^RangeError: options\.zeroPoint/);
    assert.throws(() => cpu.qadd(a, a, { scale: 1, activation: { min: 2, max: 1 } }), /^RangeError: options\.activation/);
    assert.throws(() => cpu.qsub(a, a, { scale: 1, out: new Uint8Array(7) }), /^RangeError: options\.out must have 8 elements/);
    assert.throws(() => cpu.qsub(a, a, { scale: 1, out: a.data }), /^RangeError: options\.out must not overlap a\.data/);
    assert.throws(() => cpu.qadd(a, a, { scale: 1, variant: 'qx8-elementwise-nope' }), /unknown variant qx8-elementwise-nope/);
  });

  it('rejects a bad table, pool input or layout flag', () => {
    assert.throws(() => cpu.lookup(a, new Uint8Array(255)), /^RangeError: table must hold 256 values, got 255/);
    assert.throws(() => cpu.lookup(a, new Float32Array(256) as never), /^TypeError: table must be a Uint8Array or Int8Array/);
    assert.throws(() => cpu.qglobalAveragePool(tensor('uint8', [2, 3], new Uint8Array(6), { scale: 1 }), { scale: 1 }), /^RangeError: x must have rank >= 3/);
    assert.throws(() => cpu.qglobalAveragePool(tensor('uint8', [1, 2, 0, 3], new Uint8Array(0), { scale: 1 }), { scale: 1 }), /^RangeError: x dims \[1,2,0,3\] have an empty plane/);
    assert.throws(() => cpu.qglobalAveragePool(a, { scale: 1, channelsLast: 1 as never }), /^TypeError: options\.channelsLast must be a boolean/);
    assert.throws(() => cpu.qglobalAveragePool(a, { scale: 1, type: 'int32' as never }), /^RangeError: options\.type must be one of/);
  });
});
