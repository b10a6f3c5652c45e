/**
 * The public API calls the fuzzer makes, each drawn valid with its oracle:
 * the reference backend's result (exact for integer outputs, a stated
 * tolerance for float ones) that the call must return while it stays valid.
 */
import { cpu, packSparseWeights, packWeights, SparseMatrix, tensor, type Tensor } from '../../../src/index.js';
import { refGemm } from '../../../src/backends/reference/gemm.js';
import { refQGemmInt32, refQGemmOutput } from '../../../src/backends/reference/qgemm.js';
import { refDequantize, refMinmax, refQuantize, refRequantize, type RefOutputStage } from '../../../src/backends/reference/quantize.js';
import { refSpmm, storedAsCsr } from '../../../src/backends/reference/spmm.js';
import { refQSpmmInt32, refQSpmmOutput } from '../../../src/backends/reference/qspmm.js';
import { refConv2dSums } from '../../../src/backends/reference/conv2d.js';
import { refSpmmNhwc } from '../../../src/backends/cpu/spmm-nhwc.js';
import { saturateRound } from '../../../src/ops/round.js';
import { axisView } from '../../../src/validate.js';
import type { Draw } from './draw.js';
import type { OutSlot } from './mutate.js';

/** A drawn call: the function, its valid arguments, and how to check what it returns. */
export interface Case {
  api: string;
  fn: (...args: never[]) => unknown;
  args: unknown[];
  /** The most arguments fn takes. */
  arity: number;
  /** A mismatch with the reference, or undefined when the result is right. */
  check(result: unknown): string | undefined;
  out?: OutSlot;
}

type QType = 'uint8' | 'int8';
type Range = { min: number; max: number };

/** Float results agree within this, relative to 1 + |expected| (sums of at most a few hundred products of values in [-2, 2]). */
const FLOAT_TOLERANCE = 1e-4;

function exact(actual: ArrayLike<number>, expected: ArrayLike<number>): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++)
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === 0 && expected[i] === 0)) return `[${i}] = ${actual[i]}, expected ${expected[i]}`;
  return undefined;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(a) !== Number.isNaN(e) || (a !== e && !(Math.abs(a - e) <= FLOAT_TOLERANCE * (1 + Math.abs(e)))))
      return `[${i}] = ${a}, expected ${e} (tolerance ${FLOAT_TOLERANCE} x (1 + |expected|))`;
  }
  return undefined;
}

/** The result tensor's dims and data, compared with `compare`. */
function tensorCheck(dims: number[], expected: ArrayLike<number>, compare: typeof exact) {
  return (result: unknown): string | undefined => {
    const t = result as Tensor;
    if (exact(t.dims, dims) !== undefined) return `dims [${t.dims}], expected [${dims}]`;
    return compare(t.data, expected);
  };
}

/** 'none', 'relu', a clamp, or nothing, with the float32 range it means. */
function drawActivation(d: Draw): { activation: unknown; range: Range } {
  switch (d.int(0, 3)) {
    case 0: return { activation: undefined, range: { min: -Infinity, max: Infinity } };
    case 1: return { activation: 'none', range: { min: -Infinity, max: Infinity } };
    case 2: return { activation: 'relu', range: { min: 0, max: Infinity } };
    default: {
      const min = Math.fround(d.float() * 2 - 1.5), max = Math.fround(min + d.float() * 3);
      return { activation: { min, max }, range: { min, max } };
    }
  }
}

/** An options object without the keys left undefined (absent, not undefined: both are valid, absent is the common case). */
function options(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Quantization of a [.., n, ..] weight: per tensor, or per `axis` (n values). */
function drawWeightQuant(d: Draw, type: QType, n: number, axis: number, symmetric: boolean) {
  const [lo, hi] = type === 'uint8' ? [0, 255] : [-128, 127];
  const perAxis = n > 0 && d.chance(0.4);
  const scales = Float32Array.from({ length: perAxis ? n : 1 }, () => d.scale());
  const zps = Int32Array.from({ length: scales.length }, () => (symmetric ? 0 : d.int(lo, hi)));
  const quant = perAxis ? { scale: scales, zeroPoint: symmetric && d.chance(0.5) ? undefined : zps, axis } : { scale: scales[0], zeroPoint: zps[0] };
  return { quant: options(quant), scales, zps };
}

/** A quantized product's output options and the reference output stage for per-channel weight scales. */
function drawOutputStage(d: Draw, aScale: number, bScales: Float32Array, channels: number) {
  const output = d.pick(['int32', 'uint8', 'int8', 'float32'] as const);
  const bias = d.chance(0.4) ? d.ints(Int32Array, channels, -5000, 5000) : undefined;
  const { activation, range } = output === 'int32' ? { activation: undefined, range: { min: -Infinity, max: Infinity } } : drawActivation(d);
  const outScale = output === 'uint8' || output === 'int8' ? d.scale() * 64 : undefined;
  const q = output === 'uint8' ? { min: 0, max: 255 } : { min: -128, max: 127 };
  const outZeroPoint = outScale === undefined ? undefined : d.int(q.min, q.max);
  const zp = outZeroPoint ?? 0;
  const mult = Float32Array.from(bScales, (s) => {
    const product = Math.fround(aScale * s);
    return outScale === undefined ? product : Math.fround(product / outScale);
  });
  const stage: RefOutputStage = {
    multipliers: mult, bias, zeroPoints: Int32Array.of(zp),
    outMin: outScale === undefined ? 0 : saturateRound(Math.fround(range.min / outScale), zp, q.min, q.max),
    outMax: outScale === undefined ? 0 : saturateRound(Math.fround(range.max / outScale), zp, q.min, q.max),
    fmin: output === 'float32' ? range.min : -Infinity, fmax: output === 'float32' ? range.max : Infinity,
  };
  const Out = { int32: Int32Array, uint8: Uint8Array, int8: Int8Array, float32: Float32Array }[output];
  return { opts: options({ output, bias, activation, outScale, outZeroPoint }), stage, Out };
}

function gemmCase(d: Draw): Case {
  const [m, k, n] = [d.dim(), d.dim(), d.dim()];
  const a = d.floats(m * k), b = d.floats(k * n);
  const bias = d.chance(0.4) ? d.floats(n) : undefined;
  const { activation, range } = drawActivation(d);
  const out = d.chance(0.3) ? new Float32Array(m * n) : undefined;
  const bt = tensor('float32', [k, n], b.slice());
  const weights = d.chance(0.5) ? packWeights(bt) : bt;
  const expected = refGemm({ m, n, k, a, b, bias, min: range.min, max: range.max });
  const args = [tensor('float32', [m, k], a.slice()), weights, options({ bias: bias?.slice(), activation, out })];
  return {
    api: 'gemm', arity: 3, fn: cpu.gemm, args, check: tensorCheck([m, n], expected, close),
    out: { options: 2, type: Float32Array, length: m * n, reads: [(args[0] as Tensor).data, bt.data] },
  };
}

function qgemmCase(d: Draw): Case {
  const [m, k, n] = [d.dim(), d.dim(), d.dim()];
  const bType = d.pick(['int8', 'uint8'] as const);
  const a = d.ints(Uint8Array, m * k, 0, 255);
  const b = bType === 'int8' ? d.ints(Int8Array, k * n, -128, 127) : d.ints(Uint8Array, k * n, 0, 255);
  const aScale = d.scale(), aZp = d.int(0, 255);
  const { quant, scales, zps } = drawWeightQuant(d, bType, n, 1, false);
  const bt = tensor(bType, [k, n], b.slice() as Int8Array, quant);
  const weights = d.chance(0.5) ? packWeights(bt) : bt;
  const { opts, stage, Out } = drawOutputStage(d, aScale, scales, n);
  const at = tensor('uint8', [m, k], a.slice(), { scale: aScale, zeroPoint: aZp });
  const acc = refQGemmInt32({ m, n, k, a, aZeroPoint: aZp, b, bZeroPoints: zps });
  const expected = new Out(m * n);
  refQGemmOutput(acc, n, expected, stage);
  if (d.chance(0.3)) opts.out = new Out(m * n);
  return {
    api: 'qgemm', arity: 3, fn: cpu.qgemm, args: [at, weights, opts], check: tensorCheck([m, n], expected, exact),
    out: { options: 2, type: Out, length: m * n, reads: [at.data, bt.data] },
  };
}

/** dims of rank 0..4 with small sizes. */
function drawDims(d: Draw): number[] {
  return Array.from({ length: d.int(0, 4) }, () => d.dim(5));
}

/** Per-tensor or per-axis parameters over `dims`, as quantize takes them (numbers, Float32Array or plain arrays). */
function drawQuantParams(d: Draw, dims: number[], type: QType) {
  const [lo, hi] = type === 'uint8' ? [0, 255] : [-128, 127];
  if (dims.length === 0 || d.chance(0.5)) {
    const scale = d.scale() * 4, zeroPoint = d.chance(0.2) ? undefined : d.int(lo, hi);
    return { params: options({ scale, zeroPoint }), scales: Float32Array.of(scale), zps: Int32Array.of(zeroPoint ?? 0), axis: undefined };
  }
  const axis = d.int(0, dims.length - 1), count = dims[axis];
  const scales = Float32Array.from({ length: count }, () => d.scale() * 4);
  const zps = Int32Array.from({ length: count }, () => d.int(lo, hi));
  const asArray = d.chance(0.3);
  const signedAxis = d.chance(0.3) ? axis - dims.length : axis;
  return {
    params: { scale: asArray ? Array.from(scales) : scales.slice(), zeroPoint: asArray ? Array.from(zps) : zps.slice(), axis: signedAxis },
    scales, zps, axis,
  };
}

function quantizeCase(d: Draw): Case {
  const dims = drawDims(d), size = dims.reduce((a, b) => a * b, 1);
  const type = d.pick(['uint8', 'int8'] as const);
  const x = Float32Array.from(d.floats(size), (v) => v * d.pick([1, 100, 1e6]));
  const { params, scales, zps, axis } = drawQuantParams(d, dims, type);
  const Out = type === 'uint8' ? Uint8Array : Int8Array;
  const expected = new Out(size);
  refQuantize(x, expected, axisView(dims, axis), scales, zps);
  const xt = tensor('float32', dims, x.slice());
  const opts: Record<string, unknown> = { type, ...params };
  if (d.chance(0.3)) opts.out = new Out(size);
  return { api: 'quantize', arity: 2, fn: cpu.quantize, args: [xt, opts], check: tensorCheck(dims, expected, exact), out: { options: 1, type: Out, length: size, reads: [xt.data] } };
}

function dequantizeCase(d: Draw): Case {
  const dims = drawDims(d), size = dims.reduce((a, b) => a * b, 1);
  const type = d.pick(['uint8', 'int8'] as const);
  const x = type === 'uint8' ? d.ints(Uint8Array, size, 0, 255) : d.ints(Int8Array, size, -128, 127);
  const { params, scales, zps, axis } = drawQuantParams(d, dims, type);
  const perAxis = axis === undefined ? {} : { scale: scales.slice(), zeroPoint: zps.slice(), axis: params.axis };
  const xt = { type, dims, data: x.slice(), ...(axis === undefined ? params : perAxis) };
  const expected = new Float32Array(size);
  refDequantize(x, expected, axisView(dims, axis), scales, zps);
  const opts = d.chance(0.3) ? { out: new Float32Array(size) } : d.chance(0.5) ? {} : undefined;
  return {
    api: 'dequantize', arity: 2, fn: cpu.dequantize, args: opts === undefined ? [xt] : [xt, opts], check: tensorCheck(dims, expected, exact),
    out: { options: 1, type: Float32Array, length: size, reads: [xt.data] },
  };
}

function requantizeCase(d: Draw): Case {
  const dims = drawDims(d), size = dims.reduce((a, b) => a * b, 1);
  const acc = Int32Array.from({ length: size }, () => d.pick([d.int(-3000, 3000), d.int(-(2 ** 31), 2 ** 31 - 1)]));
  const perAxis = dims.length > 0 && d.chance(0.4);
  const axis = perAxis ? d.int(0, dims.length - 1) : undefined;
  const accScales = Float32Array.from({ length: perAxis ? dims[axis!] : 1 }, () => d.scale() * 0.01);
  const accT = { type: 'int32', dims, data: acc.slice(), ...(perAxis ? { scale: accScales.slice(), axis } : { scale: accScales[0] }) };
  const type = d.pick(['uint8', 'int8', 'float32'] as const);
  const view = axisView(dims, axis);
  const bias = d.chance(0.4) ? d.ints(Int32Array, d.chance(0.5) ? 1 : view.channels, -(2 ** 31), 2 ** 31 - 1) : undefined;
  const { activation, range } = drawActivation(d);
  const q = type === 'uint8' ? { min: 0, max: 255 } : { min: -128, max: 127 };
  const scale = type === 'float32' ? undefined : d.scale();
  const zeroPoint = scale === undefined ? undefined : d.int(q.min, q.max);
  const zp = zeroPoint ?? 0;
  const Out = type === 'uint8' ? Uint8Array : type === 'int8' ? Int8Array : Float32Array;
  const expected = new Out(size);
  refRequantize(acc, expected, view, {
    multipliers: scale === undefined ? accScales : Float32Array.from(accScales, (s) => Math.fround(s / scale)),
    bias, zeroPoints: Int32Array.of(zp),
    outMin: scale === undefined ? 0 : saturateRound(Math.fround(range.min / scale), zp, q.min, q.max),
    outMax: scale === undefined ? 0 : saturateRound(Math.fround(range.max / scale), zp, q.min, q.max),
    fmin: range.min, fmax: range.max,
  });
  const opts = options({ type, scale, zeroPoint, bias: bias?.slice(), activation, out: d.chance(0.3) ? new Out(size) : undefined });
  return {
    api: 'requantize', arity: 2, fn: cpu.requantize, args: [accT, opts], check: tensorCheck(dims, expected, exact),
    out: { options: 1, type: Out, length: size, reads: [accT.data] },
  };
}

function minmaxCase(d: Draw): Case {
  const dims = drawDims(d), size = dims.reduce((a, b) => a * b, 1);
  const x = Float32Array.from(d.floats(size), (v) => (d.chance(0.05) ? d.pick([NaN, Infinity, -Infinity]) : v));
  const axis = dims.length > 0 && d.chance(0.5) ? d.int(0, dims.length - 1) : undefined;
  const expected = refMinmax(x, axisView(dims, axis));
  const args = [tensor('float32', dims, x.slice()), ...(axis === undefined && d.chance(0.5) ? [] : [options({ axis })])];
  return {
    api: 'minmax', arity: 2, fn: cpu.minmax, args,
    check: (r) => {
      const { min, max } = r as { min: Float32Array; max: Float32Array };
      return exact(min, expected.min) ?? exact(max, expected.max);
    },
  };
}

/** A sparse float32 or int8 [rows, cols] matrix in a format the kernels run, from a drawn dense one. */
function drawSparse<T extends 'float32' | 'int8'>(d: Draw, type: T, rows: number, cols: number, formats: ('csr' | 'bsr' | 'nm')[], blockShapes: [number, number][], nmGroup?: number) {
  const data = type === 'float32' ? d.floats(rows * cols) : d.ints(Int8Array, rows * cols, -128, 127);
  const usable = formats.filter((f) => (f === 'nm' ? cols % (nmGroup ?? 4) === 0 : f !== 'bsr' || blockShapes.some(([r, c]) => rows % r === 0 && cols % c === 0)));
  const format = usable.length > 0 ? d.pick(usable) : 'csr';
  const blockShape = d.pick(blockShapes.filter(([r, c]) => rows % r === 0 && cols % c === 0).concat(format === 'bsr' ? [] : [[1, 1]]));
  const m = nmGroup ?? 4, n = d.int(1, m);
  return { data, opts: format === 'bsr' ? { format, blockShape } : format === 'nm' ? { format, n, m } : { format } };
}

function spmmCase(d: Draw): Case {
  const rows = d.pick([d.dim(), 4 * d.dim(2), 8]), k = d.pick([d.dim(), 4 * d.dim(2)]), m = d.dim();
  const { data, opts } = drawSparse(d, 'float32', rows, k, ['csr', 'bsr', 'nm'], [[4, 1], [8, 1]], d.pick([2, 4]));
  const w = SparseMatrix.fromDense(tensor('float32', [rows, k], data as Float32Array), opts as never);
  const x = d.floats(k * m);
  const bias = d.chance(0.4) ? d.floats(rows) : undefined;
  const { activation, range } = drawActivation(d);
  const csr = storedAsCsr(w as SparseMatrix<'float32'>);
  const expected = refSpmm(rows, m, csr.indptr, csr.indices, csr.values, x, bias, range.min, range.max);
  const xt = tensor('float32', [k, m], x.slice());
  const o = options({ bias: bias?.slice(), activation, out: d.chance(0.3) ? new Float32Array(rows * m) : undefined });
  return {
    api: 'spmm', arity: 3, fn: cpu.spmm, args: [w, xt, o], check: tensorCheck([rows, m], expected, close),
    out: { options: 2, type: Float32Array, length: rows * m, reads: [xt.data, w.values] },
  };
}

function qspmmCase(d: Draw): Case {
  const rows = d.dim(), k = 4 * d.dim(3), m = d.dim();
  const { data, opts } = drawSparse(d, 'int8', rows, k, ['csr', 'bsr', 'nm'], [[1, 4]]);
  const { quant, scales } = drawWeightQuant(d, 'int8', rows, 0, true);
  const dense = tensor('int8', [rows, k], data as Int8Array, quant);
  const sparse = SparseMatrix.fromDense(dense, opts as never);
  const weights = d.chance(0.5) ? packSparseWeights(sparse as SparseMatrix<'int8'>) : sparse;
  const x = d.ints(Uint8Array, k * m, 0, 255);
  const xScale = d.scale(), xZp = d.int(0, 255);
  const xt = tensor('uint8', [k, m], x.slice(), { scale: xScale, zeroPoint: xZp });
  const { opts: o, stage, Out } = drawOutputStage(d, xScale, scales, rows);
  const expected = new Out(rows * m);
  refQSpmmOutput(refQSpmmInt32(rows, k, m, sparse.toDense().data as Int8Array, x, xZp), m, expected, stage);
  if (d.chance(0.3)) o.out = new Out(rows * m);
  return {
    api: 'qspmm', arity: 3, fn: cpu.qspmm, args: [weights, xt, o], check: tensorCheck([rows, m], expected, exact),
    out: { options: 2, type: Out, length: rows * m, reads: [xt.data, sparse.values] },
  };
}

/** fromDense then toDense: the stored values are the dense ones, kept or dropped as the format says. */
function sparseRoundTripCase(d: Draw): Case {
  const type = d.pick(['float32', 'int8'] as const);
  const rows = d.pick([d.dim(), 4]), cols = d.pick([d.dim(), 4, 8]);
  const { data, opts } = drawSparse(d, type, rows, cols, ['csr', 'bsr', 'nm'], [[1, 4], [4, 1], [2, 2], [1, 1]], d.pick([2, 4]));
  const threshold = opts.format !== 'nm' && d.chance(0.3) ? d.float() : undefined;
  const dense = tensor(type, [rows, cols], data as Float32Array);
  const kept = Float32Array.from(data, (v) => (Math.abs(v) > Math.fround(threshold ?? 0) ? v : 0));
  const args = [dense, options({ ...opts, threshold })];
  return {
    api: 'SparseMatrix.fromDense', arity: 2, fn: (t: never, o: never) => SparseMatrix.fromDense(t, o).toDense(), args,
    check: (r) => {
      const t = r as Tensor;
      if (opts.format !== 'nm') return tensorCheck([rows, cols], kept, exact)(r);
      // nm keeps at most n of every m: each value it keeps is the dense one.
      for (let i = 0; i < t.data.length; i++) if (t.data[i] !== 0 && t.data[i] !== data[i]) return `[${i}] = ${t.data[i]}, dense has ${data[i]}`;
      return undefined;
    },
  };
}

/** fromCsr on arrays drawn valid; toDense gives the matrix back. */
function fromCsrCase(d: Draw): Case {
  const rows = d.dim(), cols = d.dim();
  const dense = d.floats(rows * cols);
  const indptr = new Int32Array(rows + 1), indices: number[] = [], values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (dense[r * cols + c] !== 0) (indices.push(c), values.push(dense[r * cols + c]));
    indptr[r + 1] = indices.length;
  }
  return {
    api: 'SparseMatrix.fromCsr', arity: 5, fn: (...a: never[]) => (SparseMatrix.fromCsr as (...x: unknown[]) => SparseMatrix)(...a).toDense(),
    args: [[rows, cols], indptr, Int32Array.from(indices), Float32Array.from(values)],
    check: tensorCheck([rows, cols], dense, exact),
  };
}

function conv2dCase(d: Draw): Case {
  const [batch, channels, outChannels] = [d.dim(2), d.int(1, 3), d.int(1, 3)];
  const [height, width, kernelH, kernelW] = [d.int(1, 6), d.int(1, 6), d.int(1, 3), d.int(1, 3)];
  const sparse = d.chance(0.3);
  const strided = !sparse && d.chance(0.3);
  const [strideH, strideW] = strided ? [d.int(1, 3), d.int(1, 3)] : [1, 1];
  const [dilationH, dilationW] = strided ? [1, 1] : [d.int(1, 2), d.int(1, 2)];
  const pads = [d.int(0, 2), d.int(0, 2), d.int(0, 2), d.int(0, 2)] as const;
  const outH = Math.floor((height + pads[0] + pads[2] - dilationH * (kernelH - 1) - 1) / strideH) + 1;
  const outW = Math.floor((width + pads[1] + pads[3] - dilationW * (kernelW - 1) - 1) / strideW) + 1;
  if (outH < 1 || outW < 1) return gemmCase(d);
  const x = d.floats(batch * channels * height * width), w = d.floats(outChannels * channels * kernelH * kernelW);
  const bias = d.chance(0.4) ? d.floats(outChannels) : undefined;
  const { activation, range } = drawActivation(d);
  const g = { batch, channels, outChannels, height, width, kernelH, kernelW, dilationH, dilationW, padTop: pads[0], padLeft: pads[1], outH, outW, strideH, strideW };
  const sums = refConv2dSums(g, x, 0, w);
  const plane = outH * outW;
  const expected = Float32Array.from(sums, (s, i) => Math.min(Math.max(s + (bias ? bias[Math.floor(i / plane) % outChannels] : 0), range.min), range.max));
  const packed = cpu.packConvWeights(tensor('float32', [outChannels, channels, kernelH, kernelW], w.slice()), { sparse });
  const xt = tensor('float32', [batch, channels, height, width], x.slice());
  const o = options({ pads: [...pads], dilations: [dilationH, dilationW], strides: strided ? [strideH, strideW] : undefined, bias: bias?.slice(), activation });
  const dims = [batch, outChannels, outH, outW];
  return { api: 'conv2d', arity: 3, fn: cpu.conv2d, args: [xt, packed, o], check: tensorCheck(dims, expected, close), out: { options: 2, type: Float32Array, length: expected.length, reads: [xt.data] } };
}

/** planSpmmNhwc, then one run of the plan: activations [P, K] (pixels x channels), the result [P, N] into `out`. */
function spmmNhwcPlanCase(d: Draw): Case {
  const rows = d.pick([d.dim(), 4 * d.dim(2), 8]), k = d.pick([d.dim(), 4 * d.dim(2)]), pixels = d.dim();
  const { data, opts } = drawSparse(d, 'float32', rows, k, ['csr', 'bsr', 'nm'], [[4, 1], [8, 1]], d.pick([2, 4]));
  const w = SparseMatrix.fromDense(tensor('float32', [rows, k], data as Float32Array), opts as never) as SparseMatrix<'float32'>;
  const x = d.floats(pixels * k);
  const bias = d.chance(0.4) ? d.floats(rows) : undefined;
  const { activation, range } = drawActivation(d);
  const expected = refSpmmNhwc(rows, pixels, storedAsCsr(w), x, bias, range.min, range.max);
  const xData = x.slice();
  const run = (...a: unknown[]) => {
    const [weights, shape, o, xs, out] = a as [SparseMatrix<'float32'>, Omit<Tensor<'float32'>, 'data'>, object, Float32Array, Float32Array];
    cpu.planSpmmNhwc(weights, shape, o).run(xs, out);
    return out;
  };
  return {
    api: 'planSpmmNhwc', arity: 5, fn: run, args: [w, { type: 'float32', dims: [pixels, k] }, options({ bias: bias?.slice(), activation }), xData, new Float32Array(pixels * rows)],
    check: (r) => close(r as Float32Array, expected),
  };
}

/** linear() of a float32 [N, K] weight on the kernel it picks or is told, then run() on x [K, M]. */
function linearCase(d: Draw): Case {
  const [n, k, m] = [d.dim(), d.dim(), d.dim()];
  const w = d.floats(n * k), x = d.floats(k * m);
  const bias = d.chance(0.4) ? d.floats(n) : undefined;
  const { activation, range } = drawActivation(d);
  const expected = new Float32Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = bias ? bias[i] : 0;
      for (let p = 0; p < k; p++) s += w[i * k + p] * x[p * m + j];
      expected[i * m + j] = Math.min(Math.max(s, range.min), range.max);
    }
  const run = (...a: unknown[]) => {
    const [weight, o, input, runOptions] = a as [never, never, never, never];
    return cpu.linear(weight, o).run(input, runOptions);
  };
  const args = [tensor('float32', [n, k], w.slice()), options({ bias: bias?.slice(), kernel: d.pick([undefined, 'auto', 'dense', ...(n * k > 0 ? ['csr'] : [])]) }), tensor('float32', [k, m], x.slice()), options({ activation })];
  return { api: 'linear', arity: 4, fn: run, args, check: tensorCheck([n, m], expected, close) };
}

function tensorCase(d: Draw): Case {
  const type = d.pick(['float32', 'uint8', 'int8', 'int32'] as const);
  const dims = drawDims(d), size = dims.reduce((a, b) => a * b, 1);
  const Ctor = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array, int32: Int32Array }[type];
  const data = d.chance(0.7) ? new Ctor(size).fill(3) : undefined;
  const quant = type === 'uint8' || type === 'int8' ? drawQuantParams(d, dims, type).params : undefined;
  const args = [type, dims, data, ...(quant ? [quant] : [])];
  return { api: 'tensor', arity: 4, fn: tensor as never, args, check: tensorCheck(dims, data ?? new Ctor(size), exact) };
}

/** The drawn calls, by API name (the async forms are drawn from the same cases). */
export const TARGETS: Record<string, (d: Draw) => Case> = {
  gemm: gemmCase,
  qgemm: qgemmCase,
  quantize: quantizeCase,
  dequantize: dequantizeCase,
  requantize: requantizeCase,
  minmax: minmaxCase,
  spmm: spmmCase,
  qspmm: qspmmCase,
  'SparseMatrix.fromDense': sparseRoundTripCase,
  'SparseMatrix.fromCsr': fromCsrCase,
  conv2d: conv2dCase,
  planSpmmNhwc: spmmNhwcPlanCase,
  linear: linearCase,
  tensor: tensorCase,
};

/** The Async form of each kernel call, run on the libuv pool (its result must be the sync one's). */
export const ASYNC_FORMS: Record<string, (...args: never[]) => Promise<unknown>> = {
  gemm: cpu.gemmAsync, qgemm: cpu.qgemmAsync, quantize: cpu.quantizeAsync, dequantize: cpu.dequantizeAsync,
  requantize: cpu.requantizeAsync, minmax: cpu.minmaxAsync, spmm: cpu.spmmAsync, qspmm: cpu.qspmmAsync, conv2d: cpu.conv2dAsync,
};


