/**
 * MatMul and Gemm (float32), QLinearMatMul and MatMulInteger (uint8 x
 * int8/uint8). A constant [K, N] weight is laid out once: packed for the
 * dense GEMM, or, when its zeros make a sparse kernel faster (linear()'s
 * measured choice), as W^T [N, K] on that kernel, run as y^T = W^T x^T.
 */
import { cpu } from '../../backends/cpu/backend.js';
import type { Linear, LinearRunOptions } from '../../backends/cpu/linear.js';
import type { PackedWeights } from '../../backends/cpu/pack.js';
import { planGemm, type GemmPlan as GemmCallPlan } from '../../backends/cpu/gemm.js';
import { planQGemm, type QGemmOptions, type QGemmPlan } from '../../backends/cpu/qgemm.js';
import { ScratchArrays, sizeOf, tensor, type QuantParams, type Tensor } from '../../tensor.js';
import type { Allocate } from '../buffers.js';
import type { Value } from '../onnx/model.js';
import { asTensor, value } from '../value.js';
import { ModelError } from '../onnx/model.js';
import { fusedActivation, input, nodeRun, type NodeRun, type RunPolicy, type OpHandler, type PrepareContext } from './op.js';
import { PlanCache } from './plan-cache.js';
import { applyPostOp, fusedPostOp } from './post-op.js';
import { activationQuantReader, quantParam, quantParams } from './quant-params.js';

/** A [K, N] weight prepared for rows x W. */
interface PreparedWeight {
  k: number;
  n: number;
  label: string;
  /** [rows, K] -> [rows, N], the result's storage from `allocate`. */
  run(a: Tensor, allocate: Allocate): Tensor;
}

type OutType = 'float32' | 'int32' | 'uint8' | 'int8';
type Out = Float32Array | Int32Array | Uint8Array | Int8Array;

interface WeightSource {
  type: 'float32' | 'int8' | 'uint8';
  /** [K, N] row-major. */
  data: Float32Array | Int8Array | Uint8Array;
  k: number;
  n: number;
  /** Per tensor or per column (N values). */
  scales?: Float32Array;
  zeroPoints?: Int32Array;
}

/** A [rows, cols] weight as [cols, rows], on the native transpose (once, at session creation). */
function transposed<T extends Float32Array | Int8Array | Uint8Array>(data: T, rows: number, cols: number): T {
  const type = data instanceof Float32Array ? 'float32' : data instanceof Int8Array ? 'int8' : 'uint8';
  return cpu.transpose(tensor(type, [rows, cols], data as Float32Array)).data as T;
}

/**
 * Lays out `w` once. `dense` runs a row block against the packed weight into
 * `out` (of `outType`); `sparse` (the run options of linear()) is used when
 * linear() picks a sparse kernel, with `bias` held by the layer.
 */
function prepareWeight(w: WeightSource, policy: RunPolicy, bias: Float32Array | Int32Array | undefined, rowsHint: number, outType: OutType,
  dense: (packed: ReturnType<typeof cpu.packWeights>) => (a: Tensor, out: Out) => Tensor, sparse: LinearRunOptions): PreparedWeight {
  const { k, n } = w;
  const perColumn = w.scales !== undefined && w.scales.length > 1;
  const symmetric = !w.zeroPoints || w.zeroPoints.every((z) => z === 0);
  let packed: PackedWeights | undefined;
  if (policy.sparse && w.type !== 'uint8' && symmetric) {
    const quant: QuantParams = !w.scales ? {} : perColumn ? { scale: w.scales, zeroPoint: new Int32Array(w.scales.length), axis: 0 } : { scale: w.scales[0] };
    const layer: Linear = cpu.linear(tensor(w.type, [n, k], transposed(w.data as Float32Array | Int8Array, k, n), quant), { bias, columns: rowsHint });
    if (layer.kernel !== 'dense') {
      // The sparse kernels take x and give y channels-first ([K, M], [N, M]),
      // through buffers the layer keeps (runs are synchronous); one row
      // ([1, K]) is channels-first already.
      const scratch = new ScratchArrays();
      // int8 layers plan their one-row call per activation quantization (Linear.plan); float ones run it checked.
      const plans = new PlanCache<QGemmPlan | undefined>();
      const run = (a: Tensor, allocate: Allocate): Tensor => {
        const m = a.dims[0];
        if (m === 1) {
          const column = { ...a, dims: [k, 1] };
          const plan = plans.get(column.dims, () => layer.plan(column as Omit<Tensor<'uint8'>, 'data'>, sparse), [a.scale as number, a.zeroPoint as number]);
          if (plan === undefined) {
            const y = layer.run(column as Tensor<'float32'>, { ...sparse, out: allocate(outType, n) });
            return { ...y, dims: [1, n] } as Tensor;
          }
          const out = allocate(outType, n);
          plan.run(a.data as Uint8Array, out);
          return { ...plan.result, dims: [1, n], data: out } as Tensor;
        }
        const xt = cpu.transpose(a, { out: scratch.get(0, a.type, a.data.length) as Float32Array });
        const yt = layer.run(xt as Tensor<'float32'>, { ...sparse, out: scratch.get(1, outType, n * m) });
        return cpu.transpose(yt as Tensor<'float32'>, { out: allocate(outType, m * n) as Float32Array });
      };
      return { k, n, label: `${w.type === 'float32' ? 'spmm' : 'qspmm'}-${layer.kernel}`, run };
    }
    // Dense: linear() packed the [K, N] weight this path runs (its zero points are zero, as checked above).
    packed = layer.packed;
  }
  const quant: QuantParams = w.scales ? { scale: perColumn ? w.scales : w.scales[0], zeroPoint: perColumn ? w.zeroPoints : w.zeroPoints?.[0], axis: perColumn ? 1 : undefined } : {};
  packed ??= cpu.packWeights(tensor(w.type, [k, n], w.data, quant));
  const runDense = dense(packed);
  return { k, n, label: w.type === 'float32' ? 'gemm' : 'qgemm', run: (a, allocate) => runDense(a, allocate(outType, a.dims[0] * n)) };
}

/** A [..., M, K] input as [rows, K] rows and the output dims [..., M, N]. */
export function rowsOf(a: { dims: readonly number[] }, k: number, n: number): { rows: number; outDims: number[] } {
  const dims = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
  if (dims[dims.length - 1] !== k) throw new ModelError(`input [${a.dims}] has ${dims[dims.length - 1]} columns but the weight has K = ${k} rows`);
  const outDims = a.dims.length === 1 ? [n] : [...a.dims.slice(0, -1), n];
  return { rows: sizeOf(a.dims) / k, outDims };
}

function checkWeight2d(w: Value, what: string): [number, number] {
  if (w.dims.length !== 2) throw new ModelError(`${what} must be 2-D [K, N], got [${w.dims}]`);
  return [w.dims[0], w.dims[1]];
}

/** Broadcast batched A x B for a non-constant or batched B: one GEMM per batch. */
function batchedMatMul(a: Value, b: Value): Value {
  const ad = a.dims.length === 1 ? [1, a.dims[0]] : a.dims, bd = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const [m, k] = ad.slice(-2), [kb, n] = bd.slice(-2);
  if (k !== kb) throw new ModelError(`inputs [${a.dims}] and [${b.dims}] do not multiply (K ${k} vs ${kb})`);
  const ab = ad.slice(0, -2), bb = bd.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const pad = (d: number[]) => [...new Array(rank - d.length).fill(1), ...d];
  const [pa, pb] = [pad(ab), pad(bb)];
  const batch = pa.map((x, i) => {
    if (x !== pb[i] && x !== 1 && pb[i] !== 1) throw new ModelError(`batch dims [${ab}] and [${bb}] do not broadcast`);
    return Math.max(x, pb[i]);
  });
  const count = batch.reduce((p, q) => p * q, 1);
  const y = new Float32Array(count * m * n);
  const offset = (dims: number[], index: number) => {
    let off = 0, stride = 1;
    for (let i = rank - 1, rest = index; i >= 0; i--) {
      const coord = rest % batch[i];
      rest = Math.floor(rest / batch[i]);
      off += (dims[i] === 1 ? 0 : coord) * stride;
      stride *= dims[i];
    }
    return off;
  };
  const af = a.data as Float32Array, bf = b.data as Float32Array;
  for (let i = 0; i < count; i++) {
    const ao = offset(pa, i) * m * k, bo = offset(pb, i) * k * n;
    const w = cpu.packWeights(tensor('float32', [k, n], bf.subarray(bo, bo + k * n)));
    cpu.gemm(tensor('float32', [m, k], af.subarray(ao, ao + m * k)), w, { out: y.subarray(i * m * n, (i + 1) * m * n) });
  }
  const dims = [...batch, m, n];
  if (a.dims.length === 1) dims.splice(-2, 1);
  if (b.dims.length === 1) dims.splice(-1, 1);
  return value('float32', dims, y);
}

/** Rows the dense/sparse choice assumes: the batch of a classifier head. */
const TYPICAL_ROWS = 1;

/** What a fused clamp is to the kernels: none, or a range. */
type Activation = 'none' | { min: number; max: number };

/** A MatMul with a constant 2-D float32 B, as the kernels take it; undefined for the batched case (B at run time, or not 2-D). */
export interface MatMulPlan {
  k: number;
  n: number;
  /** B [K, N] row-major. */
  weight: Float32Array;
  bias?: Float32Array;
  activation: Activation;
}

export function matMulPlan(ctx: PrepareContext): MatMulPlan | undefined {
  const wConst = ctx.constants[1];
  if (!wConst || wConst.dims.length !== 2 || wConst.type !== 'float32') return undefined;
  const [k, n] = checkWeight2d(wConst, 'B');
  return { k, n, weight: wConst.data as Float32Array, bias: biasFrom(ctx.constants[2], n), activation: fusedActivation(ctx.attributes) ?? 'none' };
}

const matMul: OpHandler = (ctx) => {
  const plan = matMulPlan(ctx);
  if (!plan) return nodeRun('gemm-batched', (inputs) => [batchedMatMul(input(inputs, 0, ['float32']), input(inputs, 1, ['float32']))]);
  const { k, n, bias, activation } = plan;
  const w = prepareWeight({ type: 'float32', data: plan.weight, k, n }, ctx.policy, bias, TYPICAL_ROWS, 'float32',
    (packed) => plannedGemm(packed, { bias, activation }), { activation });
  return rowKernel(w, (inputs) => input(inputs, 0, ['float32']), {});
};

/** A fused bias (passes/fuse-bias.ts puts it on MatMul as a third input). */
function biasFrom(v: Value | undefined, n: number): Float32Array | undefined {
  if (v === undefined) return undefined;
  const b = asTensor(v, ['float32'], 'bias').data;
  if (b.length !== n) throw new ModelError(`bias has ${b.length} values for N = ${n}`);
  return b;
}

/** The kernel that runs `w` on the rows of input 0, keeping its leading dims. */
function rowKernel(w: PreparedWeight, a: (inputs: readonly (Value | undefined)[]) => Value, quant: QuantParams | ((inputs: readonly (Value | undefined)[]) => QuantParams)): NodeRun {
  return nodeRun(w.label, (inputs, allocate) => {
    const x = a(inputs);
    const { rows, outDims } = rowsOf(x, w.k, w.n);
    const q = typeof quant === 'function' ? quant(inputs) : quant;
    // x is a value of the session (its data matches its dims): viewed as rows without tensor()'s checks.
    const y = w.run({ type: x.type, dims: [rows, w.k], data: x.data, ...q } as Tensor, allocate);
    return [{ type: y.type, dims: outDims, data: y.data } as Value];
  });
}

/** A Gemm as the kernels take it: B laid out [K, N] with alpha folded in, C as a fused bias where it broadcasts along rows. */
export interface GemmPlan {
  transA: boolean;
  k: number;
  n: number;
  weight: Float32Array;
  bias?: Float32Array;
  /** C of another shape, added after the product (then `fuse` is 'none' and `activation` applies after it). */
  general?: Value;
  beta: number;
  activation: Activation;
  /** The activation the product itself applies. */
  fuse: Activation;
}

export function gemmPlan(ctx: PrepareContext): GemmPlan {
  const attrs = ctx.attributes;
  const alpha = attrs.float('alpha', 1), beta = attrs.float('beta', 1);
  const transA = attrs.int('transA', 0) !== 0, transB = attrs.int('transB', 0) !== 0;
  const activation = fusedActivation(attrs) ?? 'none';
  const [, bConst, cConst] = ctx.constants;
  if (!bConst) throw new ModelError('B must be a constant (weights of an exported model)');
  const [b0, b1] = checkWeight2d(bConst, 'B');
  const [k, n] = transB ? [b1, b0] : [b0, b1];
  let weight = transB ? transposed(bConst.data as Float32Array, b0, b1) : (bConst.data as Float32Array);
  if (alpha !== 1) weight = weight.map((v) => v * alpha);
  // C broadcast along rows ([N], [1, N] or a scalar) is a bias, fused; other shapes are added after.
  let bias: Float32Array | undefined;
  const hasC = (ctx.node.inputs[2] ?? '') !== '';
  if (hasC) {
    if (!cConst) throw new ModelError('C must be a constant');
    const c = cConst.data as Float32Array;
    if (c.length === n && (cConst.dims.length === 1 || (cConst.dims.length === 2 && cConst.dims[0] === 1))) bias = c.map((v) => v * beta);
    else if (c.length === 1) bias = new Float32Array(n).fill(c[0] * beta);
  }
  const general = hasC && bias === undefined ? cConst : undefined;
  return { transA, k, n, weight, bias, general, beta, activation, fuse: general === undefined ? activation : 'none' };
}

/** Gemm's A: 2-D with K columns (after transA). */
export function checkGemmA(a: { dims: readonly number[] }, k: number): void {
  if (a.dims.length !== 2) throw new ModelError(`A must be 2-D, got [${a.dims}]`);
  if (a.dims[1] !== k) throw new ModelError(`A has ${a.dims[1]} columns but B has K = ${k}`);
}

const gemmOp: OpHandler = (ctx) => {
  const { transA, k, n, weight, bias, general, beta, activation, fuse } = gemmPlan(ctx);
  // A fused HardSwish / HardSigmoid (passes/fuse-post-op.ts) runs on the product's rows after it.
  const post = fusedPostOp(ctx.attributes);
  const w = prepareWeight({ type: 'float32', data: weight, k, n }, ctx.policy, bias, TYPICAL_ROWS, 'float32',
    (packed) => plannedGemm(packed, { bias, activation: fuse }), { activation: fuse });
  return nodeRun(w.label, (inputs, allocate) => {
    let a = input(inputs, 0, ['float32']);
    if (a.dims.length !== 2) throw new ModelError(`A must be 2-D, got [${a.dims}]`);
    if (transA) a = value('float32', [a.dims[1], a.dims[0]], cpu.transpose(asTensor(a, ['float32'], 'A')).data);
    checkGemmA(a, k);
    const [m] = a.dims;
    const y = w.run(asTensor(a, ['float32'], 'A'), allocate).data as Float32Array;
    if (general) addGeneralC(y, general, m, n, beta, activation);
    if (post) applyPostOp(post, value('float32', [m, n], y), undefined);
    return [value('float32', [m, n], y)];
  });
};

/** y += beta * C for C of [M, N] or [M, 1] (broadcast along columns), then the fused clamp. */
function addGeneralC(y: Float32Array, c: Value, m: number, n: number, beta: number, activation: 'none' | { min: number; max: number }): void {
  const cd = c.data as Float32Array;
  const [cm, cn] = c.dims.length === 2 ? c.dims : [1, c.dims[0] ?? 1];
  if ((cm !== 1 && cm !== m) || (cn !== 1 && cn !== n)) throw new ModelError(`C [${c.dims}] does not broadcast to [${m}, ${n}]`);
  const [lo, hi] = activation === 'none' ? [-Infinity, Infinity] : [activation.min, activation.max];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      const v = y[i * n + j] + beta * cd[(cm === 1 ? 0 : i) * cn + (cn === 1 ? 0 : j)];
      y[i * n + j] = Math.min(hi, Math.max(lo, v));
    }
}

/** A QLinearMatMul's constant b [K, N] and output stage, as qgemm takes them. */
export interface QLinearMatMulPlan {
  k: number;
  n: number;
  type: 'int8' | 'uint8';
  weight: Int8Array | Uint8Array;
  scales: Float32Array;
  zeroPoints: Int32Array;
  bias?: Int32Array;
  options: { output: 'uint8' | 'int8'; outScale: number; outZeroPoint: number; activation: Activation };
}

/** QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp) with b constant [K, N]. */
export function qlinearMatMulPlan(ctx: PrepareContext): QLinearMatMulPlan {
  const c = ctx.constants;
  const bConst = c[3];
  if (!bConst) throw new ModelError('b must be a constant');
  const [k, n] = checkWeight2d(bConst, 'b');
  const bq = quantParams(c[4], c[5], bConst, 1, 'b');
  const yScale = quantParam(c[6], 'y_scale').scale;
  const output = c[7]?.type === 'int8' ? 'int8' : 'uint8';
  const options = { output, outScale: yScale, outZeroPoint: c[7] ? Number(c[7].data[0]) : 0, activation: fusedActivation(ctx.attributes) ?? 'none' } as const;
  const bias = c[8] ? asTensor(c[8], ['int32'], 'bias').data : undefined;
  return { k, n, type: bConst.type as 'int8' | 'uint8', weight: bConst.data as Int8Array, scales: bq.scales, zeroPoints: bq.zeroPoints, bias, options };
}

const qlinearMatMul: OpHandler = (ctx) => {
  const { k, n, type, weight, scales, zeroPoints, bias, options } = qlinearMatMulPlan(ctx);
  const w = prepareWeight({ type, data: weight, k, n, scales, zeroPoints }, ctx.policy, bias, TYPICAL_ROWS, options.output,
    (packed) => plannedQGemm(packed, { ...options, bias }), options);
  const aQuantOf = activationQuantReader('a');
  return rowKernel(w, (inputs) => input(inputs, 0, ['uint8']), (inputs) => aQuantOf(inputs[1], inputs[2], input(inputs, 0)));
};

/**
 * gemm against `packed` with fixed `options`, planned once per activation
 * shape (planGemm), so a run checks only its two arrays: at batch 1 the
 * argument checks and the options the addon reads cost more than the product.
 */
function plannedGemm(packed: PackedWeights, options: { bias?: Float32Array; activation: Activation }): (a: Tensor, out: Out) => Tensor {
  const plans = new PlanCache<GemmCallPlan>();
  return (a, out) => {
    const plan = plans.get(a.dims, () => planGemm(a as Omit<Tensor<'float32'>, 'data'>, packed, options));
    plan.run(a.data as Float32Array, out as Float32Array);
    return { type: 'float32', dims: [...plan.dims], data: out } as Tensor;
  };
}

/** qgemm against `packed` with fixed `options`, planned once per activation shape and quantization (as plannedGemm). */
function plannedQGemm(packed: PackedWeights, options: QGemmOptions): (a: Tensor, out: Out) => Tensor {
  const plans = new PlanCache<QGemmPlan>();
  return (a, out) => {
    const plan = plans.get(a.dims, () => planQGemm(a as Omit<Tensor<'uint8'>, 'data'>, packed, options), [a.scale as number, a.zeroPoint as number]);
    plan.run(a.data as Uint8Array, out);
    return { ...plan.result, data: out } as Tensor;
  };
}

/** MatMulInteger(A, B, a_zp, b_zp) -> int32, B constant [K, N]. */
const matMulInteger: OpHandler = (ctx) => {
  const [, bConst, , bZero] = ctx.constants;
  if (!bConst) throw new ModelError('B must be a constant');
  const [k, n] = checkWeight2d(bConst, 'B');
  const zeroPoints = bZero ? Int32Array.from(bZero.data as Int8Array) : new Int32Array(1);
  if (zeroPoints.length !== 1 && zeroPoints.length !== n) throw new ModelError(`b_zero_point has ${zeroPoints.length} values for N = ${n}`);
  // Scales only carry the per-column zero points; int32 output ignores them.
  const scales = new Float32Array(zeroPoints.length).fill(1);
  const w = prepareWeight({ type: bConst.type as 'int8' | 'uint8', data: bConst.data as Int8Array, k, n, scales, zeroPoints }, { sparse: false }, undefined, TYPICAL_ROWS, 'int32',
    (packed) => plannedQGemm(packed, {}), {});
  return rowKernel(w, (inputs) => input(inputs, 0, ['uint8']), (inputs) => ({ scale: 1, zeroPoint: inputs[2] ? Number(inputs[2].data[0]) : 0 }));
};

export const MATMUL_OPS: Record<string, OpHandler> = { MatMul: matMul, Gemm: gemmOp, QLinearMatMul: qlinearMatMul, MatMulInteger: matMulInteger };
