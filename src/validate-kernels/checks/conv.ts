/**
 * Convolutions: f32-conv2d (dense, strided, dilated, padded), f32-spconv2d
 * (sparse weights, 1- and 4-channel blocks), qu8s8-conv2d (uint8 x int8
 * blocks, exact int32), and depthwise f32-dwconv2d and qu8s8-dwconv2d
 * (NCHW) and their -nhwc families (channels last), against refConv2dSums,
 * refDwconv2d(Nhwc) and refQdwconv2dSums / refQdwconv2dNhwc.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { refConv2dSums } from '../../backends/reference/conv2d.js';
import { refDwconv2d } from '../../backends/reference/dwconv2d.js';
import { refDwconv2dNhwc } from '../../backends/reference/dwconv2d-nhwc.js';
import { refQdwconv2dNhwc, refQdwconv2dSums } from '../../backends/reference/qdwconv2d.js';
import { dwconv2dGeometry } from '../../ops/dwconv2d.js';
import { convGeometry } from '../../ops/im2col.js';
import { tensor } from '../../tensor.js';
import { dotTolerance, exact, within, type KernelCheck, type ValidateLevel } from '../check.js';
import { floats, ints, mulberry32, pick, type Random } from '../random.js';

type Pair = readonly [number, number];

/** One convolution's shape: x [n, c, h, w], weights [oc, c, kh, kw] (depthwise: [c, 1, kh, kw]) and the window. */
export interface ConvShape {
  n: number; c: number; h: number; w: number; oc: number; kh: number; kw: number;
  pads: readonly [number, number, number, number]; strides: Pair; dilations: Pair;
}

/** Random shapes whose kernel fits the padded input; strided ones (dilation 1) only when `strided`. */
function convShapes(r: Random, level: ValidateLevel, strided: boolean): ConvShape[] {
  const out: ConvShape[] = [];
  while (out.length < (level === 'full' ? 200 : 8)) {
    const kh = pick([1, 2, 3, 5], r), kw = pick([1, 3, 5], r);
    const stride = strided ? pick([1, 1, 2, 3], r) : 1;
    const dilation = stride === 1 ? pick([1, 1, 2], r) : 1;
    const pad = () => Math.floor(r() * Math.min(kh, kw));
    const s: ConvShape = {
      n: pick([1, 2], r), c: pick([1, 3, 4, 8, 17], r), h: pick([1, 4, 7, 12, 15], r), w: pick([1, 5, 8, 13, 16, 33], r),
      oc: pick([1, 4, 5, 8, 16, 17], r), kh, kw, pads: [pad(), pad(), pad(), pad()], strides: [stride, stride], dilations: [dilation, dilation],
    };
    if (s.h + s.pads[0] + s.pads[2] >= dilation * (kh - 1) + 1 && s.w + s.pads[1] + s.pads[3] >= dilation * (kw - 1) + 1) out.push(s);
  }
  return out;
}

export const window = (s: ConvShape) => ({ pads: s.pads, strides: s.strides, dilations: s.dilations });
const describeConv = (s: ConvShape) => `x [${s.n}, ${s.c}, ${s.h}, ${s.w}] w [${s.oc}, ${s.c}, ${s.kh}, ${s.kw}] pads [${s.pads}] strides [${s.strides}] dilations [${s.dilations}]`;

function sums(s: ConvShape, x: Float32Array | Uint8Array, xZeroPoint: number, w: Float32Array): Float64Array {
  const g = convGeometry([s.n, s.c, s.h, s.w], { kernelShape: [s.kh, s.kw], ...window(s) });
  return refConv2dSums({ ...g, channels: s.c, outChannels: s.oc }, x, xZeroPoint, w);
}

interface F32ConvCase { s: ConvShape; x: Float32Array; w: Float32Array; bias: Float32Array; blockRows: 0 | 1 | 4 }

/** A float conv check: blockRows 0 packs dense weights, 1 or 4 sparse ones (with weights pruned to `density`). */
function f32Conv(family: 'f32-conv2d' | 'f32-spconv2d'): KernelCheck<F32ConvCase> {
  const sparse = family === 'f32-spconv2d';
  return {
    family,
    variantsOf: family,
    tolerance: '|err| <= 1e-5 (1 + |ref|) + 2 K * 2e-7 (K = C * KH * KW terms, x in [-2, 2], w in [-1, 1])',
    cases(seed, level) {
      const r = mulberry32(seed);
      return convShapes(r, level, !sparse).map((s) => {
        const density = sparse ? pick([0, 0.1, 0.5, 1], r) : 1;
        return {
          s, x: floats(s.n * s.c * s.h * s.w, r, 2), w: floats(s.oc * s.c * s.kh * s.kw, r).map((v) => (r() < density ? v : 0)),
          bias: floats(s.oc, r), blockRows: sparse ? pick([1, 4] as const, r) : 0,
        };
      });
    },
    describe: (c) => `${describeConv(c.s)}${c.blockRows ? ` ${c.blockRows}-channel blocks` : ''}`,
    run(c, variant) {
      const { s } = c;
      const w = cpu.packConvWeights(tensor('float32', [s.oc, s.c, s.kh, s.kw], c.w), c.blockRows ? { sparse: true, blockRows: c.blockRows } : {});
      return cpu.conv2d(tensor('float32', [s.n, s.c, s.h, s.w], c.x), w, { ...window(c.s), bias: c.bias, variant }).data;
    },
    reference(c) {
      const { s } = c;
      const y = sums(s, c.x, 0, c.w);
      const plane = y.length / (s.n * s.oc);
      return Float32Array.from(y, (v, i) => v + c.bias[Math.floor(i / plane) % s.oc]);
    },
    compare: (got, want, c) => within(got, want, dotTolerance(2 * c.s.c * c.s.kh * c.s.kw)),
  };
}

export const f32Conv2d = f32Conv('f32-conv2d');
export const f32SpConv2d = f32Conv('f32-spconv2d');

interface QConvCase { s: ConvShape; x: Uint8Array; xZeroPoint: number; w: Int8Array }

export const qu8s8Conv2d: KernelCheck<QConvCase> = {
  family: 'qu8s8-conv2d',
  variantsOf: 'qu8s8-conv2d',
  tolerance: 'exact (int32 sums)',
  cases(seed, level) {
    const r = mulberry32(seed);
    return convShapes(r, level, true).map((s) => {
      const density = pick([0.3, 1], r);
      const w = ints(Int8Array, s.oc * s.c * s.kh * s.kw, -128, 127, r).map((v) => (r() < density ? v : 0));
      return { s, x: ints(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r), xZeroPoint: pick([0, 77, 255], r), w };
    });
  },
  describe: (c) => `${describeConv(c.s)} xZeroPoint=${c.xZeroPoint}`,
  run(c, variant) {
    const { s } = c;
    const w = cpu.packConvWeights(tensor('int8', [s.oc, s.c, s.kh, s.kw], c.w, { scale: 0.003 }), { sparse: true, blockRows: 4 });
    return cpu.conv2d(tensor('uint8', [s.n, s.c, s.h, s.w], c.x, { scale: 0.02, zeroPoint: c.xZeroPoint }), w, { ...window(s), output: 'int32', variant }).data;
  },
  reference: (c) => Int32Array.from(sums(c.s, c.x, c.xZeroPoint, Float32Array.from(c.w))),
  compare: exact,
};

/** Depthwise shapes: oc = c (multiplier 1). */
function dwShapes(r: Random, level: ValidateLevel): ConvShape[] {
  return convShapes(r, level, true).map((s) => {
    const c = pick([1, 3, 8, 16, 17, 32], r);
    return { ...s, c, oc: c };
  });
}

const dwGeometry = (s: ConvShape) => dwconv2dGeometry([s.n, s.c, s.h, s.w], [s.c, 1, s.kh, s.kw], window(s));

interface DwCase { s: ConvShape; x: Float32Array; w: Float32Array; bias: Float32Array }

export const f32Dwconv2d: KernelCheck<DwCase> = {
  family: 'f32-dwconv2d',
  variantsOf: 'f32-dwconv2d',
  tolerance: '|err| <= 1e-5 (1 + |ref|) + 2 K * 2e-7 (K = KH * KW terms, x in [-2, 2], w in [-1, 1])',
  cases(seed, level) {
    const r = mulberry32(seed);
    return dwShapes(r, level).map((s) => ({ s, x: floats(s.n * s.c * s.h * s.w, r, 2), w: floats(s.c * s.kh * s.kw, r), bias: floats(s.c, r) }));
  },
  describe: (c) => `depthwise ${describeConv(c.s)}`,
  run: (c, variant) => cpu.dwconv2d(tensor('float32', [c.s.n, c.s.c, c.s.h, c.s.w], c.x), tensor('float32', [c.s.c, 1, c.s.kh, c.s.kw], c.w), { ...window(c.s), bias: c.bias, variant }).data,
  reference(c) {
    const g = dwGeometry(c.s);
    const y = new Float32Array(c.s.n * c.s.c * g.outH * g.outW);
    refDwconv2d(g, c.x, c.w, c.bias, -Infinity, Infinity, y);
    return y;
  },
  compare: (got, want, c) => within(got, want, dotTolerance(2 * c.s.kh * c.s.kw)),
};

interface QDwCase { s: ConvShape; x: Uint8Array; xZeroPoint: number; w: Int8Array }

export const qu8s8Dwconv2d: KernelCheck<QDwCase> = {
  family: 'qu8s8-dwconv2d',
  variantsOf: 'qu8s8-dwconv2d',
  tolerance: 'exact (int32 sums)',
  cases(seed, level) {
    const r = mulberry32(seed);
    return dwShapes(r, level).map((s) => ({ s, x: ints(Uint8Array, s.n * s.c * s.h * s.w, 0, 255, r), xZeroPoint: pick([0, 128, 255], r), w: ints(Int8Array, s.c * s.kh * s.kw, -128, 127, r) }));
  },
  describe: (c) => `depthwise ${describeConv(c.s)} xZeroPoint=${c.xZeroPoint}`,
  run: (c, variant) => cpu.qdwconv2d(tensor('uint8', [c.s.n, c.s.c, c.s.h, c.s.w], c.x, { scale: 0.05, zeroPoint: c.xZeroPoint }),
    tensor('int8', [c.s.c, 1, c.s.kh, c.s.kw], c.w, { scale: 0.01 }), { ...window(c.s), output: 'int32', variant }).data,
  reference: (c) => refQdwconv2dSums(dwGeometry(c.s), c.x, c.xZeroPoint, c.w),
  compare: exact,
};

const outputSize = (s: ConvShape) => {
  const g = dwGeometry(s);
  return s.n * s.c * g.outH * g.outW;
};

/** f32-dwconv2d's cases on channels-last images: x [n, h, w, c], y [n, outH, outW, c]. */
export const f32Dwconv2dNhwc: KernelCheck<DwCase> = {
  ...f32Dwconv2d,
  family: 'f32-dwconv2d-nhwc',
  variantsOf: 'f32-dwconv2d-nhwc',
  describe: (c) => `depthwise NHWC ${describeConv(c.s)}`,
  run: (c, variant) => cpu.dwconv2dNhwc(tensor('float32', [c.s.n, c.s.h, c.s.w, c.s.c], c.x), tensor('float32', [c.s.c, 1, c.s.kh, c.s.kw], c.w), { ...window(c.s), bias: c.bias, variant }).data,
  reference(c) {
    const y = new Float32Array(outputSize(c.s));
    refDwconv2dNhwc(dwGeometry(c.s), c.x, c.w, c.bias, -Infinity, Infinity, y);
    return y;
  },
};

/** qu8s8-dwconv2d's cases on channels-last images (the planned call, int32 out). */
export const qu8s8Dwconv2dNhwc: KernelCheck<QDwCase> = {
  ...qu8s8Dwconv2d,
  family: 'qu8s8-dwconv2d-nhwc',
  variantsOf: 'qu8s8-dwconv2d-nhwc',
  describe: (c) => `depthwise NHWC ${describeConv(c.s)} xZeroPoint=${c.xZeroPoint}`,
  run(c, variant) {
    const x = tensor('uint8', [c.s.n, c.s.h, c.s.w, c.s.c], c.x, { scale: 0.05, zeroPoint: c.xZeroPoint });
    const plan = cpu.planQdwconv2dNhwc(x, tensor('int8', [c.s.c, 1, c.s.kh, c.s.kw], c.w, { scale: 0.01 }), { ...window(c.s), output: 'int32', variant });
    const y = new Int32Array(outputSize(c.s));
    plan.run(c.x, y);
    return y;
  },
  reference(c) {
    const y = new Int32Array(outputSize(c.s));
    refQdwconv2dNhwc(dwGeometry(c.s), c.x, c.xZeroPoint, c.w, y, { multipliers: Float32Array.of(1), zeroPoints: Int32Array.of(0), outMin: 0, outMax: 0, fmin: -Infinity, fmax: Infinity });
    return y;
  },
};
