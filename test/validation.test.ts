/**
 * One test per validation rule: every public function rejects bad input with
 * a TypeError or RangeError naming the argument, before any native code runs.
 */
import assert from 'node:assert/strict';

import { cpu, tensor } from '../src/index.js';
import { native, type NativeAddon } from '../src/native.js';

const f32 = (dims: number[]) => tensor('float32', dims);
const u8 = (dims: number[], q = {}) => tensor('uint8', dims, undefined, q);
const i8w = (k: number, n: number) => tensor('int8', [k, n], undefined, { scale: 0.1 });

function throwsNamed(fn: () => unknown, type: typeof TypeError | typeof RangeError, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, message);
    return true;
  });
}

describe('validation', () => {
  describe('tensors', () => {
    it('rejects a non-object tensor', () => throwsNamed(() => cpu.gemm(null as never, f32([1, 1])), TypeError, /^a must be an object/));
    it('rejects a tensor of the wrong type', () =>
      throwsNamed(() => cpu.gemm(u8([1, 1]) as never, f32([1, 1])), TypeError, /^a must be a tensor of type 'float32'/));
    it('rejects data of the wrong typed-array kind', () =>
      throwsNamed(() => cpu.gemm({ type: 'float32', dims: [1, 2], data: new Float64Array(2) } as never, f32([2, 1])), TypeError, /^a\.data must be a Float32Array/));
    it('rejects data shorter than the dims', () =>
      throwsNamed(() => cpu.gemm({ type: 'float32', dims: [2, 2], data: new Float32Array(3) }, f32([2, 1])), RangeError, /^a\.data has 3 elements but dims \[2, 2\] need 4/));
    it('rejects data longer than the dims', () =>
      throwsNamed(() => cpu.gemm({ type: 'float32', dims: [1, 2], data: new Float32Array(3) }, f32([2, 1])), RangeError, /^a\.data has 3 elements/));
    it('rejects non-integer dims', () =>
      throwsNamed(() => cpu.gemm({ type: 'float32', dims: [1.5, 2], data: new Float32Array(3) }, f32([2, 1])), RangeError, /^a\.dims\[0\] must be a non-negative integer/));
    it('rejects negative dims', () =>
      throwsNamed(() => cpu.gemm({ type: 'float32', dims: [-1, 2], data: new Float32Array(0) }, f32([2, 1])), RangeError, /^a\.dims\[0\] must be a non-negative integer/));
    it('rejects dims that are not numbers', () =>
      throwsNamed(() => cpu.gemm({ type: 'float32', dims: ['2', 2], data: new Float32Array(4) } as never, f32([2, 1])), TypeError, /^a\.dims\[0\] must be a number/));
    it('rejects the wrong rank', () => throwsNamed(() => cpu.gemm(f32([2]), f32([2, 1])), RangeError, /^a\.dims must have 2 dimensions, got 1/));
  });

  describe('gemm', () => {
    it('rejects mismatched K', () => throwsNamed(() => cpu.gemm(f32([2, 3]), f32([4, 5])), RangeError, /^b has K = 4 rows but a has K = 3 columns/));
    it('rejects a bias of the wrong type', () =>
      throwsNamed(() => cpu.gemm(f32([1, 2]), f32([2, 3]), { bias: [1, 2, 3] as never }), TypeError, /^options\.bias must be a Float32Array/));
    it('rejects a bias of the wrong length', () =>
      throwsNamed(() => cpu.gemm(f32([1, 2]), f32([2, 3]), { bias: new Float32Array(2) }), RangeError, /^options\.bias must have N = 3 values/));
    it('rejects an unknown activation', () =>
      throwsNamed(() => cpu.gemm(f32([1, 2]), f32([2, 3]), { activation: 'gelu' as never }), TypeError, /^options\.activation must be 'none', 'relu' or \{ min, max \}/));
    it('rejects a clamp with min > max', () =>
      throwsNamed(() => cpu.gemm(f32([1, 2]), f32([2, 3]), { activation: { min: 2, max: 1 } }), RangeError, /^options\.activation min \(2\) must be <= max \(1\)/));
    it('rejects options that are not an object', () => throwsNamed(() => cpu.gemm(f32([1, 2]), f32([2, 3]), 5 as never), TypeError, /^options must be an object/));
    it('rejects an unknown variant', () =>
      throwsNamed(() => cpu.gemm(f32([1, 2]), f32([2, 3]), { variant: 'f32-gemm-99x99-magic' }), RangeError, /unknown variant f32-gemm-99x99-magic/));
    it('rejects int8 weights', () => throwsNamed(() => cpu.gemm(f32([1, 2]), cpu.packWeights(i8w(2, 3))), TypeError, /^b must be packed float32 weights/));
    it('rejects an out array of the wrong type', () =>
      throwsNamed(() => cpu.gemm(f32([1, 2]), f32([2, 3]), { out: new Int32Array(3) as never }), TypeError, /^options\.out must be a Float32Array/));
    it('rejects an out array of the wrong size', () =>
      throwsNamed(() => cpu.gemm(f32([1, 2]), f32([2, 3]), { out: new Float32Array(4) }), RangeError, /^options\.out must have 3 elements, got 4/));
    it('rejects bad input asynchronously with a rejected promise', async () => {
      await assert.rejects(cpu.gemmAsync(f32([2, 3]), f32([4, 5])), /^RangeError: b has K = 4/);
    });
  });

  describe('qgemm', () => {
    it('rejects float activations', () => throwsNamed(() => cpu.qgemm(f32([1, 2]) as never, i8w(2, 3)), TypeError, /^a must be a tensor of type 'uint8'/));
    it('rejects float weights', () => throwsNamed(() => cpu.qgemm(u8([1, 2]), f32([2, 3]) as never), TypeError, /^b must be a tensor of type 'int8' or 'uint8'/));
    it('rejects an activation zero point out of range', () =>
      throwsNamed(() => cpu.qgemm({ ...u8([1, 2]), zeroPoint: 256 }, i8w(2, 3)), RangeError, /^a\.zeroPoint must be an integer in \[0, 255\], got 256/));
    it('rejects per-axis activations', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2], { axis: 0 }), i8w(2, 3)), TypeError, /^a\.axis must be undefined/));
    it('rejects an unknown output', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2]), i8w(2, 3), { output: 'int16' as never }), RangeError, /^options\.output must be one of 'int32', 'uint8', 'int8', 'float32'/));
    it('requires a.scale for quantized output', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2]), i8w(2, 3), { output: 'uint8', outScale: 1 }), TypeError, /^a\.scale is required for 'uint8' output/));
    it('requires outScale for quantized output', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2], { scale: 1 }), i8w(2, 3), { output: 'uint8' }), TypeError, /^options\.outScale is required/));
    it('rejects a zero scale', () =>
      throwsNamed(() => cpu.qgemm({ ...u8([1, 2]), scale: 0 }, i8w(2, 3), { output: 'float32' }), RangeError, /^a\.scale must be a finite positive number, got 0/));
    it('rejects a NaN output scale', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2], { scale: 1 }), i8w(2, 3), { output: 'int8', outScale: NaN }), RangeError, /^options\.outScale must be a finite positive number, got NaN/));
    it('rejects an output zero point out of the output range', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2], { scale: 1 }), i8w(2, 3), { output: 'int8', outScale: 1, outZeroPoint: 200 }), RangeError, /^options\.outZeroPoint must be an integer in \[-128, 127\]/));
    it('rejects a bias that is not Int32Array', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2]), i8w(2, 3), { bias: new Float32Array(3) as never }), TypeError, /^options\.bias must be an Int32Array/));
    it('rejects an out array that does not match the output type', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2], { scale: 1 }), i8w(2, 3), { output: 'int8', outScale: 1, out: new Uint8Array(3) as never }), TypeError, /^options\.out must be an Int8Array/));
    it('rejects an activation on int32 output', () =>
      throwsNamed(() => cpu.qgemm(u8([1, 2]), i8w(2, 3), { activation: 'relu' }), TypeError, /^options\.activation is not applied to 'int32' output/));
    it('rejects weight scales per axis other than the columns', () =>
      throwsNamed(() => cpu.packWeights(tensor('int8', [2, 3], undefined, { scale: Float32Array.of(1, 1), axis: 0 })), TypeError, /^b\.axis must be 1/));
    it('rejects a weight zero point out of range', () =>
      throwsNamed(() => cpu.packWeights({ ...tensor('int8', [2, 3]), scale: 1, zeroPoint: -129 }), RangeError, /^b\.zeroPoint must be an integer in \[-128, 127\]/));
    it('rejects weight scales of the wrong count', () =>
      throwsNamed(() => cpu.packWeights({ ...tensor('int8', [2, 3]), scale: Float32Array.of(1, 1), axis: 1 }), RangeError, /^b\.scale must have dims\[axis\] = 3 values, got 2/));
  });

  describe('quantize, dequantize, requantize', () => {
    it('rejects an unknown target type', () =>
      throwsNamed(() => cpu.quantize(f32([4]), { type: 'uint4' as never, scale: 1 }), RangeError, /^options\.type must be one of 'uint8', 'int8'/));
    it('rejects a negative scale', () =>
      throwsNamed(() => cpu.quantize(f32([4]), { type: 'uint8', scale: -1 }), RangeError, /^options\.scale must be a finite positive number, got -1/));
    it('rejects an infinite scale', () =>
      throwsNamed(() => cpu.quantize(f32([4]), { type: 'uint8', scale: Infinity }), RangeError, /^options\.scale must be a finite positive number/));
    it('rejects a scale that underflows float32 to 0', () =>
      throwsNamed(() => cpu.quantize(f32([4]), { type: 'uint8', scale: 1e-50 }), RangeError, /^options\.scale must be a finite positive number/));
    it('rejects a non-integer zero point', () =>
      throwsNamed(() => cpu.quantize(f32([4]), { type: 'int8', scale: 1, zeroPoint: 0.5 }), RangeError, /^options\.zeroPoint must be an integer in \[-128, 127\], got 0.5/));
    it('rejects an axis out of range', () =>
      throwsNamed(() => cpu.quantize(f32([2, 3]), { type: 'int8', scale: [1, 1], axis: 2 }), RangeError, /^options\.axis must be an integer in \[-2, 1\], got 2/));
    it('requires an axis for per-axis scales', () =>
      throwsNamed(() => cpu.quantize(f32([2, 3]), { type: 'int8', scale: [1, 1] }), TypeError, /^options\.axis is required when scale is per axis/));
    it('rejects per-axis zero points of the wrong count', () =>
      throwsNamed(() => cpu.quantize(f32([2, 3]), { type: 'uint8', scale: [1, 1], zeroPoint: [1], axis: 0 }), RangeError, /^options\.zeroPoint must have dims\[axis\] = 2 values, got 1/));
    it('dequantize requires the tensor scale', () => throwsNamed(() => cpu.dequantize(tensor('uint8', [3])), TypeError, /^x\.scale is required/));
    it('requantize rejects accumulators with a zero point', () =>
      throwsNamed(() => cpu.requantize(tensor('int32', [3], undefined, { scale: 1, zeroPoint: 1 }), { type: 'uint8', scale: 1 }), RangeError, /^acc\.zeroPoint must be 0/));
    it('requantize rejects a bias of the wrong length', () =>
      throwsNamed(() => cpu.requantize(tensor('int32', [3], undefined, { scale: 1 }), { type: 'uint8', scale: 1, bias: new Int32Array(2) }), RangeError, /^options\.bias must have 1 or 1 values, got 2/));
    it('minmax rejects a bad axis', () => throwsNamed(() => cpu.minmax(f32([2]), { axis: 1.5 }), RangeError, /^options\.axis must be an integer/));
    it('chooseQuantParams rejects min > max', () => throwsNamed(() => cpu.chooseQuantParams(2, 1, { type: 'uint8' }), RangeError, /^min must be <= max/));
    it('chooseQuantParams rejects NaN', () => throwsNamed(() => cpu.chooseQuantParams(NaN, 1, { type: 'uint8' }), TypeError, /^min must be a number/));
  });

  describe('im2col', () => {
    const x = (dims: number[]) => tensor('float32', dims);
    it('requires a 4-D input', () => throwsNamed(() => cpu.im2col(x([1, 2, 3]), { kernelShape: [1, 1] }), RangeError, /^x\.dims must have 4 dimensions/));
    it('requires kernelShape', () => throwsNamed(() => cpu.im2col(x([1, 1, 3, 3]), {} as never), TypeError, /^options\.kernelShape is required/));
    it('rejects a zero stride', () =>
      throwsNamed(() => cpu.im2col(x([1, 1, 3, 3]), { kernelShape: [1, 1], strides: [0, 1] }), RangeError, /^options\.strides\[0\] must be an integer in \[1/));
    it('rejects a group that does not divide the channels', () =>
      throwsNamed(() => cpu.im2col(x([1, 3, 3, 3]), { kernelShape: [1, 1], group: 2 }), RangeError, /^options\.group must divide the 3 input channels/));
    it('rejects a kernel larger than the padded input', () =>
      throwsNamed(() => cpu.im2col(x([1, 1, 3, 3]), { kernelShape: [5, 1], pads: [0, 0, 1, 0] }), RangeError, /^options\.kernelShape \(dilated 5x1\) is larger than the padded input 4x3/));
    it('rejects a pad value out of the uint8 range', () =>
      throwsNamed(() => cpu.im2col(tensor('uint8', [1, 1, 3, 3]), { kernelShape: [1, 1], padValue: 300 }), RangeError, /^options\.padValue must be an integer in \[0, 255\]/));
  });

  describe('settings', () => {
    it('setThreads rejects 0', () => throwsNamed(() => cpu.setThreads(0), RangeError, /^threads must be an integer in \[1, 256\]/));
    it('setIsaLimit rejects unknown limits', () => throwsNamed(() => cpu.setIsaLimit('sse' as never), RangeError, /^limit must be one of 'scalar', 'avx2', 'avx512', 'avx512vnni', 'neon', 'neondot', 'none'/));
  });

  it('the addon itself rejects garbage with JS errors, never a crash', () => {
    const addon = native()!;
    const garbage: unknown[] = [undefined, null, 0, -1, 1.5, 2 ** 60, NaN, 'x', {}, [], new Float32Array(1), new Uint8Array(0)];
    let calls = 0;
    for (const [name, fn] of Object.entries(addon)) {
      if (typeof fn !== 'function' || ['cpuInfo', 'getThreads'].includes(name)) continue;
      for (const g of garbage) {
        for (let position = 0; position < 19; position++) {
          const args = Array.from({ length: 19 }, () => 0 as unknown);
          args[position] = g;
          try {
            const r = (fn as (...a: unknown[]) => unknown)(...args);
            if (r instanceof Promise) r.catch(() => {});
          } catch (e) {
            assert.ok(e instanceof TypeError || e instanceof RangeError, `${name}: ${(e as Error).message}`);
          }
          calls++;
        }
      }
    }
    assert.ok(calls > 1000);
    addon.setThreads(2);
    addon.setIsaLimit('none');
  });

  // A valid call of every addon function that takes an options object (fresh arrays per call).
  function validCalls(addon: NativeAddon): Record<string, () => Record<string, unknown>> {
    const f32w = addon.packF32Weights({ b: new Float32Array(6), k: 2, n: 3, ldb: 3 });
    const q8w = addon.packQ8Weights({ b: new Int8Array(6), k: 2, n: 3, ldb: 3, zeroPoints: null });
    const q8s = addon.packQ8Sparse({ rows: 2, k: 4, indptr: Int32Array.of(0, 1, 2), groups: Int32Array.of(0, 0), words: Int32Array.of(1, 1) });
    const layout = { outer: 1, channels: 2, inner: 3 };
    const qOutput = (c: Uint8Array, ldc: number, channels: number) =>
      ({ output: 'uint8', c, ldc, bias: new Int32Array(channels), multiplier: Float32Array.of(0.5), outZeroPoint: 1, outMin: 0, outMax: 255, fmin: -Infinity, fmax: Infinity });
    const dense = () => ({ k: 4, m: 2, ldx: 2, ldy: 2, min: -Infinity, max: Infinity });
    return {
      packF32Weights: () => ({ b: new Float32Array(7), k: 2, n: 3, ldb: 4 }),
      packQ8Weights: () => ({ b: new Uint8Array(7), k: 2, n: 3, ldb: 4, zeroPoints: Uint8Array.of(1, 2, 3) }),
      packQ8Sparse: () => ({ rows: 2, k: 5, indptr: Int32Array.of(0, 1, 3), groups: Int32Array.of(1, 0, 1), words: Int32Array.of(1, -1, 7) }),
      f32Gemm: () => ({ variant: null, weights: f32w, a: new Float32Array(4), m: 2, lda: 2, c: new Float32Array(6), ldc: 3, bias: new Float32Array(3), min: -1, max: 1, async: false }),
      qu8s8Gemm: () => ({ variant: null, weights: q8w, a: new Uint8Array(4), m: 2, lda: 2, aZeroPoint: 3, ...qOutput(new Uint8Array(6), 3, 3), async: false }),
      qu8s8Spmm: () => ({ variant: null, weights: q8s, x: new Uint8Array(8), m: 2, ldx: 2, aZeroPoint: 3, ...qOutput(new Uint8Array(4), 2, 2), async: false }),
      quantize: () => ({ variant: null, x: new Float32Array(6), y: new Uint8Array(6), ...layout, scales: Float32Array.of(1, 2), zeroPoints: Int32Array.of(0, 1), async: false }),
      dequantize: () => ({ variant: null, x: new Int8Array(6), y: new Float32Array(6), ...layout, scales: Float32Array.of(1, 2), zeroPoints: Int32Array.of(0, 1), async: false }),
      requantize: () => ({
        variant: null, acc: new Int32Array(6), y: new Uint8Array(6), ...layout, multipliers: Float32Array.of(1, 2), bias: Int32Array.of(0, 1),
        zeroPoints: Int32Array.of(0, 1), outMin: 0, outMax: 255, fmin: -Infinity, fmax: Infinity, async: false,
      }),
      minmax: () => ({ variant: null, x: new Float32Array(6), ...layout, min: new Float32Array(2), max: new Float32Array(2), async: false }),
      // [8, 4] x [4, 2] in bsr [4, 1]: block rows 0 and 1 hold one block each, at columns 0 and 3.
      f32Spmm: () => ({
        variant: null, rows: 8, blockRows: 4, indptr: Int32Array.of(0, 1, 2), indices: Int32Array.of(0, 3), values: new Float32Array(8),
        x: new Float32Array(8), y: new Float32Array(16), bias: new Float32Array(8), ...dense(), async: false,
      }),
      // [2, 4] x [4, 2] in 2:4.
      f32SpmmNm: () => ({
        variant: null, rows: 2, n: 2, groupSize: 4, positions: Uint8Array.of(0, 1, 2, 3), values: new Float32Array(4),
        x: new Float32Array(8), y: new Float32Array(4), bias: new Float32Array(2), ...dense(), async: false,
      }),
      transpose: () => ({ variant: null, src: new Float32Array(6), dst: new Float32Array(6), rows: 2, cols: 3, async: false }),
      im2col: () => ({
        variant: null, x: new Float32Array(2 * 4 * 4), col: new Float32Array(2 * 3 * 3 * 4), batch: 1, groups: 2, channelsPerGroup: 1,
        height: 4, width: 4, kernelH: 2, kernelW: 2, strideH: 2, strideW: 1, dilationH: 1, dilationW: 2, padTop: 1, padLeft: 1,
        outH: 3, outW: 3, padValue: 0, async: false,
      }),
      maxPool: () => ({
        variant: null, x: new Float32Array(2 * 4 * 4), y: new Float32Array(2 * 2 * 2), planes: 2, height: 4, width: 4, kernelH: 2,
        kernelW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 2, outW: 2, async: false,
      }),
    };
  }

  it('the addon reaches every check of an options call: each field corrupted in a valid call gives a JS error, never a crash', async () => {
    const addon = native()!;
    // Besides wrong types and sizes, arrays long enough but of bad content: row pointers that decrease,
    // indices and zero points out of range, N:M positions past the group.
    const garbage: unknown[] = [
      undefined, null, 0, -1, 1.5, 2 ** 60, NaN, 'x', {}, [], new Float32Array(1), new Uint8Array(0), new Int32Array(64),
      Int32Array.of(0, 9, 1), Int32Array.of(-1, 300), new Int32Array(64).fill(-1), new Uint8Array(64).fill(255), new Float32Array(64), new Int8Array(64),
      addon.packF32Weights({ b: new Float32Array(1), k: 1, n: 1, ldb: 1 }),
    ];
    const show = (g: unknown) => (typeof g === 'object' && g !== null ? Object.prototype.toString.call(g) : String(g));
    const pending: Promise<unknown>[] = [];
    for (const [name, valid] of Object.entries(validCalls(addon))) {
      const fn = (addon as unknown as Record<string, (options: unknown) => unknown>)[name];
      fn(valid());
      const asyncRun = fn({ ...valid(), async: true });
      if (asyncRun instanceof Promise) pending.push(asyncRun);
      for (const g of garbage) assert.throws(() => fn(g), TypeError, `${name}(${show(g)})`);
      for (const field of Object.keys(valid())) {
        let rejected = 0;
        for (const async of [false, true])
          for (const g of garbage) {
            try {
              const r = fn({ ...valid(), async, [field]: g });
              if (r instanceof Promise) pending.push(r.catch((e) => assert.ok(e instanceof TypeError || e instanceof RangeError, `${name}.${field}: ${e}`)));
            } catch (e) {
              assert.ok(e instanceof TypeError || e instanceof RangeError, `${name}.${field} = ${show(g)}: ${(e as Error).message}`);
              rejected++;
            }
          }
        assert.ok(rejected > 0, `${name}: no corrupted ${field} was rejected`);
      }
    }
    await Promise.all(pending);
  });
});

