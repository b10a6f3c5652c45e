/**
 * The conv binding's own checks (binding/conv2d.cc), called directly: the
 * TypeScript layer validates first and chooses the kernel family, but a
 * wrong call from JS must still get a TypeError/RangeError, never a crash.
 * Valid option objects with one field corrupted at a time reach every check.
 * A conv2d call here is planConv2d (every field but the arrays) then
 * runConv2dPlan (the arrays), as the TypeScript layer calls them.
 */
import assert from 'node:assert/strict';

import { packConvWeights } from '../../src/backends/cpu/conv2d.js';
import { native, type Async, type NativeConv2dPlanOptions, type NativePackConvOptions } from '../../src/native.js';
import { tensor } from '../../src/index.js';

/** Calls `call` with `fields` over `valid`. */
function corrupt<T extends object>(call: (options: T) => unknown, valid: T, fields: Partial<Record<keyof T, unknown>>): unknown {
  return call({ ...valid, ...fields });
}

const isJsError = (e: unknown) => e instanceof TypeError || e instanceof RangeError;

describe('conv binding (binding/conv2d.cc) checks every field', () => {
  const addon = native()!;
  // [4, 3, 3, 3] weights.
  const values = Float32Array.from({ length: 108 }, (_, i) => ((i % 7) - 3) / 2);
  const rowSums = [0, 1, 2, 3].map((o) => values.subarray(o * 27, (o + 1) * 27).reduce((sum, v) => sum + Math.abs(v), 0));
  const pack: NativePackConvOptions = { w: values, outChannels: 4, taps: 27, kernelH: 3, kernelW: 3, sparse: false, blockRows: 1, maxRowAbsSum: Math.max(...rowSums), int8Blocks: false };
  const dense = packConvWeights(tensor('float32', [4, 3, 3, 3], values)).handle!;
  const sparse = packConvWeights(tensor('float32', [4, 3, 3, 3], values), { sparse: true }).handle!;
  // int8 blocks (qu8s8-conv2d's format), and int8 weights too large for the float kernels' 2^24 bound.
  const int8Blocks = packConvWeights(tensor('int8', [4, 3, 3, 3], Int8Array.from(values, (v) => 2 * v), { scale: 1 }), { sparse: true, blockRows: 4 }).handle!;
  const big = packConvWeights(tensor('int8', [1, 64, 3, 3], new Int8Array(576).fill(127), { scale: 1 })).handle!;
  const pointwise = packConvWeights(tensor('float32', [1, 1, 1, 1], Float32Array.of(1))).handle!;

  /** A plan's fields with the arrays and async of its run. */
  type Conv2dCall = NativeConv2dPlanOptions & { x: Float32Array | Uint8Array; y: Float32Array | Int32Array | Uint8Array | Int8Array; async: Async };
  const float: Conv2dCall = {
    family: 'f32-conv2d', variant: null, weights: dense, xType: 'float32', x: new Float32Array(192), xZeroPoint: 0,
    batch: 1, channels: 3, height: 8, width: 8, kernelH: 3, kernelW: 3, dilationH: 1, dilationW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
    output: 'float32', y: new Float32Array(144), bias: null, min: -Infinity, max: Infinity,
    intBias: null, multipliers: null, zeroPoint: 0, outMin: 0, outMax: 0,
    poolKernelH: 0, poolKernelW: 0, poolStrideH: 1, poolStrideW: 1, async: false,
  };
  const quantized: Conv2dCall = {
    ...float, family: 'qu8s8-conv2d', weights: int8Blocks, xType: 'uint8', x: new Uint8Array(192), xZeroPoint: 7,
    output: 'uint8', y: new Uint8Array(144), min: 0, max: 0, intBias: new Int32Array(4), multipliers: new Float32Array(4).fill(0.01), zeroPoint: 3, outMin: 0, outMax: 255,
  };
  const conv2d = ({ x, y, async, ...plan }: Conv2dCall) => addon.runConv2dPlan(addon.planConv2d(plan), x, y, async);
  const packConvWeightsNative = (options: NativePackConvOptions) => addon.packConvWeights(options);

  it('runs the valid calls the cases below corrupt', () => {
    assert.equal(conv2d(float), undefined);
    assert.equal(conv2d({ ...float, family: 'f32-spconv2d', weights: sparse }), undefined);
    assert.equal(conv2d(quantized), undefined);
    assert.equal(conv2d({ ...quantized, family: 'f32-spconv2d', output: 'int32', y: new Int32Array(144), multipliers: null }), undefined);
    assert.equal(conv2d({ ...float, strideH: 2, strideW: 2, y: new Float32Array(36) }), undefined);
    assert.equal(conv2d({ ...quantized, strideH: 2, strideW: 2, y: new Uint8Array(36) }), undefined);
    assert.equal(conv2d({ ...float, poolKernelH: 2, poolKernelW: 2, poolStrideH: 2, poolStrideW: 2, y: new Float32Array(36) }), undefined);
    packConvWeightsNative(pack);
    packConvWeightsNative({ ...pack, sparse: true, blockRows: 4 });
    packConvWeightsNative({ ...pack, w: values.map((v) => 2 * v), maxRowAbsSum: 2 * pack.maxRowAbsSum, sparse: true, blockRows: 4, int8Blocks: true });
  });

  const packCases: [string, Partial<NativePackConvOptions> | null, RegExp][] = [
    ['no options object', null, /^TypeError: options must be an object/],
    ['a w that is not a Float32Array', { w: new Int32Array(108) as never }, /^TypeError: w must be a Float32Array/],
    ['a w shorter than outChannels x taps', { w: new Float32Array(100) }, /^RangeError: w has 100 elements, needs at least 108/],
    ['a non-number outChannels', { outChannels: '4' as never }, /^TypeError: outChannels must be a number/],
    ['a fractional taps', { taps: 2.5 }, /^RangeError: taps must be an integer/],
    ['zero output channels', { outChannels: 0 }, /^RangeError: outChannels and taps must be >= 1/],
    ['a non-boolean sparse', { sparse: 1 as never }, /^TypeError: sparse must be a boolean/],
    ['blockRows 2', { blockRows: 2 }, /^RangeError: blockRows must be 1 or 4/],
    ['a missing maxRowAbsSum', { maxRowAbsSum: undefined as never }, /^TypeError: maxRowAbsSum must be a number/],
    ['a maxRowAbsSum below a channel\'s sum', { maxRowAbsSum: Math.max(...rowSums) - 0.5 }, /^RangeError: maxRowAbsSum is below output channel \d+'s sum of \|w\|/],
    ['a zero kernelW', { kernelW: 0 }, /^RangeError: kernelH x kernelW must divide taps/],
    ['a kernel that does not divide taps', { kernelH: 2 }, /^RangeError: kernelH x kernelW must divide taps/],
    ['int8Blocks on dense weights', { int8Blocks: true }, /^RangeError: int8Blocks needs sparse weights in blocks of 4 rows/],
    ['int8Blocks on weights that are not integers', { int8Blocks: true, sparse: true, blockRows: 4 }, /^RangeError: int8Blocks needs integer weights in \[-128, 127\]/],
    ['a non-boolean int8Blocks', { int8Blocks: 1 as never }, /^TypeError: int8Blocks must be a boolean/],
  ];
  for (const [what, fields, error] of packCases)
    it(`packConvWeights rejects ${what}`, () => assert.throws(() => (fields === null ? (addon.packConvWeights as (o: unknown) => unknown)(5) : corrupt(packConvWeightsNative, pack, fields)), error));

  const convCases: [string, Conv2dCall, Partial<Conv2dCall> | null, RegExp][] = [
    ['no options object', float, null, /^TypeError: options must be an object/],
    ['weights that are not a handle', float, { weights: {} as never }, /^TypeError: weights must be a handle from packConvWeights/],
    ['a negative batch', float, { batch: -1 }, /^RangeError: batch must be in \[0, 4294967295\]/],
    ['a non-number padRight', float, { padRight: null as never }, /^TypeError: padRight must be a number/],
    ['a zero dilation', float, { dilationW: 0 }, /^RangeError: kernel, dilations and strides must be >= 1/],
    ['a zero stride', float, { strideH: 0 }, /^RangeError: kernel, dilations and strides must be >= 1/],
    ['a stride with a dilation', float, { strideH: 2, dilationW: 2 }, /^RangeError: strides above 1 need dilations 1/],
    ['a stride with a dilation on the sparse family', float, { family: 'f32-spconv2d', weights: sparse, strideW: 2, dilationH: 2 }, /^RangeError: strides above 1 need dilations 1/],
    ['a kernel other than the packed one', float, { channels: 1, kernelH: 3, kernelW: 9 }, /^RangeError: kernelH and kernelW must be the packed weights'/],
    ['channels that do not match the taps', float, { channels: 2 }, /^RangeError: channels x kernelH x kernelW must equal the weights' taps/],
    ['a kernel larger than the padded input', float, { height: 1 }, /^RangeError: the dilated kernel is larger than the padded input/],
    ['a padded image of 2^31 values or more', float, { height: 2 ** 16, width: 2 ** 15 }, /^RangeError: one padded image must hold fewer than 2\^31 values/],
    // 2^32 x 2^32 padded positions: the plane's size wraps to 0 in 64 bits.
    ['pads whose padded plane overflows', float,
      { weights: pointwise, channels: 1, kernelH: 1, kernelW: 1, height: 1, width: 1, x: new Float32Array(1), padTop: 2 ** 32 - 1, padLeft: 2 ** 32 - 1, y: new Float32Array(0) },
      /^RangeError: one padded image is too large/],
    ['a pool with a zero stride', float, { poolKernelH: 2, poolKernelW: 2, poolStrideW: 0 }, /^RangeError: pool kernel and strides must be >= 1/],
    ['a pool larger than the output', float, { poolKernelH: 9, poolKernelW: 9 }, /^RangeError: the pool window is larger than the convolution's output/],
    ['a non-boolean async', float, { async: 0 as never }, /^TypeError: async must be a boolean/],
    ['an x of the wrong type', float, { x: new Int32Array(192) as never }, /^TypeError: x must be a Float32Array/],
    ['an x too short', float, { x: new Float32Array(10) }, /^RangeError: x has 10 elements/],
    ['an x zero point out of range', quantized, { xZeroPoint: 256 }, /^RangeError: xZeroPoint must be in \[0, 255\]/],
    ['an unknown output', float, { output: 'float16' as never }, /^RangeError: output must be float32, int32, uint8 or int8/],
    ['integer output of float x', float, { output: 'int32', y: new Int32Array(144) }, /^TypeError: xType must be uint8 for integer output/],
    ['an unknown xType', float, { xType: 'int8' as never }, /^RangeError: xType must be float32 or uint8/],
    ['a uint8 x for a float32 plan', float, { x: new Uint8Array(192) as never }, /^TypeError: x must be a Float32Array/],
    ['an unknown family', float, { family: 'f32-gemm' as never }, /^RangeError: family must be f32-conv2d, f32-spconv2d or qu8s8-conv2d/],
    ['a non-string family', float, { family: 1 as never }, /^TypeError: family must be a string/],
    ['f32-conv2d on sparse weights', float, { weights: sparse }, /^RangeError: family f32-conv2d needs dense weights/],
    ['f32-spconv2d on dense weights', float, { family: 'f32-spconv2d' }, /^RangeError: family f32-spconv2d needs sparse weights/],
    ['qu8s8-conv2d on float x', float, { family: 'qu8s8-conv2d', weights: int8Blocks }, /^RangeError: family qu8s8-conv2d needs uint8 x and weights packed with its int8 blocks/],
    ['qu8s8-conv2d without int8 blocks', quantized, { weights: sparse }, /^RangeError: family qu8s8-conv2d needs uint8 x/],
    ['integer sums the float kernels cannot hold exactly', quantized,
      { family: 'f32-conv2d', weights: big, channels: 64, xType: 'uint8', x: new Uint8Array(64 * 64), xZeroPoint: 0, output: 'int32', y: new Int32Array(36), intBias: null, multipliers: null },
      /^RangeError: integer output on the float kernels needs maxRowAbsSum x max \|x - xZeroPoint\| < 2\^24/],
    ['a y of the wrong type', quantized, { y: new Int8Array(144) as never }, /^TypeError: y must be a Uint8Array/],
    ['a y too short', float, { y: new Float32Array(10) }, /^RangeError: y has 10 elements/],
    ['a bias too short', float, { bias: new Float32Array(3) }, /^RangeError: bias has 3 elements/],
    ['a non-number min', float, { min: '0' as never }, /^TypeError: min must be a number/],
    ['an intBias of the wrong type', quantized, { intBias: new Float32Array(4) as never }, /^TypeError: intBias must be a Int32Array/],
    ['uint8 output without multipliers', quantized, { multipliers: null }, /^TypeError: multipliers are required for uint8\/int8 output/],
    ['a zero point out of the output range', quantized, { output: 'int8', y: new Int8Array(144), zeroPoint: 200 }, /^RangeError: zeroPoint must be in \[-128, 127\]/],
    ['an outMax below outMin', quantized, { outMin: 10, outMax: 9 }, /^RangeError: outMax must be in \[10, 255\]/],
    ['an unknown variant', float, { variant: 'f32-conv2d-nope' }, /^RangeError: unknown variant f32-conv2d-nope/],
    ['a variant of another family', quantized, { variant: addon.f32Conv2dVariants[0].name }, new RegExp(`^RangeError: unknown variant ${addon.f32Conv2dVariants[0].name} `)],
    ['a non-string variant', float, { variant: 3 as never }, /^TypeError: variant must be a string/],
  ];
  for (const [what, valid, fields, error] of convCases)
    it(`conv2d rejects ${what}`, () => assert.throws(() => (fields === null ? (addon.planConv2d as (o: unknown) => unknown)([]) : corrupt(conv2d, valid, fields)), error));

  it('runConv2dPlan rejects a handle that is not a plan, and a plan whose weights were disposed', () => {
    const { x, y, async: _async, ...plan } = float;
    assert.throws(() => addon.runConv2dPlan(dense, x, y, false), /^TypeError: plan must be a handle from planConv2d/);
    assert.throws(() => addon.runConv2dPlan(addon.planConv2d(plan), x, y, 1 as never), /^TypeError: async must be a boolean/);
    const own = packConvWeights(tensor('float32', [4, 3, 3, 3], values));
    const planned = addon.planConv2d({ ...plan, weights: own.handle! });
    assert.equal(addon.runConv2dPlan(planned, x, y, false), undefined);
    own.dispose();
    assert.throws(() => addon.runConv2dPlan(planned, x, y, false), /^TypeError: the plan's weights were disposed/);
  });

  it('answers garbage in any one field with a JS error, never a crash (sync and async)', async () => {
    // Wrong types and sizes, and arrays long enough for any field but of the wrong kind, and a handle of another kind.
    const garbage: unknown[] = [
      undefined, null, 0, -1, 1.5, 2 ** 60, NaN, Infinity, 'x', true, {}, [], new Float32Array(1), new Uint8Array(0), new Int32Array(4),
      new Int32Array(4096), new Uint8Array(4096).fill(255), new Int8Array(4096), new Float64Array(4096), addon.packF32Weights({ b: new Float32Array(1), k: 1, n: 1, ldb: 1 }),
    ];
    const show = (g: unknown) => (typeof g === 'object' && g !== null ? Object.prototype.toString.call(g) : String(g));
    const pending: Promise<unknown>[] = [];
    const rejected = new Map<string, number>();
    for (const [name, valid, call] of [['conv2d', float, conv2d], ['conv2d', quantized, conv2d], ['packConvWeights', pack, packConvWeightsNative]] as [string, object, (o: object) => unknown][])
      for (const field of Object.keys(valid))
        for (const async of 'async' in valid ? [false, true] : [false])
          for (const g of garbage) {
            const key = `${name}.${field}`;
            rejected.set(key, rejected.get(key) ?? 0);
            try {
              const r = corrupt(call, valid, { async, [field]: g });
              if (r instanceof Promise) pending.push(r.catch((e) => assert.ok(isJsError(e), `${key}: ${e}`)));
            } catch (e) {
              assert.ok(isJsError(e), `${key} = ${show(g)}: ${(e as Error).message}`);
              rejected.set(key, rejected.get(key)! + 1);
            }
          }
    await Promise.all(pending);
    for (const [key, count] of rejected) assert.ok(count > 0, `no corrupted ${key} was rejected`);
    assert.equal(rejected.size, Object.keys(float).length + Object.keys(pack).length);
  });
});
