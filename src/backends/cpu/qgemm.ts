/**
 * qgemm: uint8 activations x int8 (or uint8) weights with exact int32
 * accumulation, returning the raw int32 sums or, fused, the requantized
 * uint8/int8 tensor (ONNX QLinearMatMul) or the dequantized float32 one.
 */
import { refQGemmInt32, refQGemmOutput } from '../reference/qgemm.js';
import { planQuantizedProduct, type QuantizedOutputOptions } from '../../ops/quantized-output.js';
import { runAsync, runSync, type CpuCall } from './call.js';
import { native, type NativeAddon } from '../../native.js';
import { TYPED_ARRAY_OF, type ElementType, type QuantParams, type Tensor } from '../../tensor.js';
import { checkDisjoint, checkNoOverlap, checkObject, checkResultSize, checkTensor, checkTensorShape, fail, outputTensor, type Reads } from '../../validate.js';
import { asPacked } from './gemm.js';
import type { PackedWeights } from './pack.js';

export interface QGemmOptions extends QuantizedOutputOptions {
  /** Force one kernel variant by name (tests, benchmarks); default: the best exact one. */
  variant?: string;
  /** Write the [M, N] result here (typed array of the output type; must not overlap the inputs). */
  out?: Int32Array | Uint8Array | Int8Array | Float32Array;
}

export type QGemmWeights = Tensor<'int8' | 'uint8'> | PackedWeights;

type Out = Int32Array | Uint8Array | Int8Array | Float32Array;

/** A validated qgemm call with its operand arrays left open, its result not yet made. */
interface QGemmSetup {
  type: ElementType;
  dims: [number, number];
  quant: QuantParams | undefined;
  /** The arrays besides a the call reads (weights, bias), which out must not overlap. */
  reads: Reads;
  /** Null for empty weights (see CpuCall.native). */
  native: ((addon: NativeAddon, a: Uint8Array, out: Out, async: boolean) => Promise<void> | undefined) | null;
  reference(a: Uint8Array, out: Out): void;
}

/**
 * Validates a call for a (named `aName`, already checked: type and dims) and
 * returns it with its operand arrays left open.
 */
function qgemmSetup(aName: string, a: Omit<Tensor<'uint8'>, 'data'>, bIn: QGemmWeights, options: QGemmOptions = {}): QGemmSetup {
  checkObject('options', options);
  const [m, k] = a.dims;
  const b = asPacked('b', bIn, ['int8', 'uint8'], k);
  const n = b.n;
  const { aZeroPoint, bias, variant, output, mult, outZeroPoint, outMin, outMax, fmin, fmax, quant } = planQuantizedProduct(aName, a, b, options, n, 1);
  const handle = b.handle;
  return {
    type: output,
    dims: [m, n],
    quant,
    reads: { b: b.source.data, 'options.bias': bias },
    native: handle && ((addon, aData, out, async) =>
      addon.qu8s8Gemm({
        variant, weights: handle, a: aData, m, lda: k, aZeroPoint,
        output, c: out, ldc: n, bias: bias ?? null, multiplier: mult, outZeroPoint, outMin, outMax, fmin, fmax, async,
      })),
    reference: (aData, out) => {
      const acc = refQGemmInt32({ m, n, k, a: aData, aZeroPoint, b: b.source.data as Uint8Array | Int8Array, bZeroPoints: b.zeroPoints });
      refQGemmOutput(acc, n, out, { multipliers: mult ?? Float32Array.of(1), bias, zeroPoints: Int32Array.of(outZeroPoint), outMin, outMax, fmin, fmax });
    },
  };
}

/**
 * @internal A qgemm call; `aName` names the activations in errors (linear()
 * runs its x, transposed, through here).
 */
export function qgemmCall(aIn: Tensor<'uint8'>, b: QGemmWeights, options: QGemmOptions = {}, aName = 'a'): CpuCall<Tensor> {
  const a = checkTensor(aName, aIn, ['uint8'], 2);
  const setup = qgemmSetup(aName, a, b, options);
  const result = outputTensor(options.out, { [`${aName}.data`]: a.data, ...setup.reads }, setup.type, setup.dims, setup.quant);
  const out = result.data as Out;
  const run = setup.native;
  return {
    result,
    empty: out.length === 0,
    native: run && ((addon, async) => run(addon, a.data, out, async)),
    reference: () => setup.reference(a.data, out),
  };
}

/** A qgemm call validated once for activations of one shape and quantization: run() checks only the arrays. */
export interface QGemmPlan {
  /** The result's dims, type and quantization (as qgemm's result tensor). */
  readonly result: Omit<Tensor, 'data'>;
  run(a: Uint8Array, out: Out): void;
}

/**
 * Validates a qgemm call for activations like `a` (dims and quantization;
 * no data needed) once, for many runs; the addon reads its options once too
 * (planQu8s8Gemm). The output stage (bias, multipliers) is read now.
 * @throws TypeError/RangeError naming the bad argument, as qgemm does.
 */
export function planQGemm(a: Omit<Tensor<'uint8'>, 'data'>, bIn: QGemmWeights, options: QGemmOptions = {}): QGemmPlan {
  checkTensorShape('a', a, ['uint8'], 2);
  checkObject('options', options);
  const [m, k] = a.dims;
  const b = asPacked('b', bIn, ['int8', 'uint8'], k);
  const n = b.n;
  const { aZeroPoint, bias, variant, output, mult, outZeroPoint, outMin, outMax, fmin, fmax, quant } = planQuantizedProduct('a', a, b, options, n, 1);
  const dims: [number, number] = [m, n];
  checkResultSize(dims);
  const size = m * n;
  const type = TYPED_ARRAY_OF[output] as new (n: number) => Out;
  const handle = b.handle;
  const addon = handle && size > 0 ? native() : null;
  const plan = addon && addon.planQu8s8Gemm({
    variant, weights: handle!, m, lda: k, aZeroPoint, output, ldc: n, bias: bias ?? null, multiplier: mult, outZeroPoint, outMin, outMax, fmin, fmax,
  });
  const stage = { multipliers: mult ? Float32Array.from(mult) : Float32Array.of(1), bias: bias && Int32Array.from(bias), zeroPoints: Int32Array.of(outZeroPoint), outMin, outMax, fmin, fmax };
  return {
    result: { type: output, dims, ...quant },
    run(aData, out) {
      if (!(aData instanceof Uint8Array) || aData.length !== m * k) fail('a', `must be a Uint8Array of ${m * k} values, as planned`);
      if (!(out instanceof type) || out.length !== size) fail('out', `must be ${type.name.replace('Array', '')} with ${size} values`);
      checkDisjoint('out', out, 'a', aData);
      if (plan) return addon!.runPlan(plan, aData, out);
      if (size === 0) return;
      checkNoOverlap('out', out, { b: b.source.data });
      const acc = refQGemmInt32({ m, n, k, a: aData, aZeroPoint, b: b.source.data as Uint8Array | Int8Array, bZeroPoints: b.zeroPoints });
      refQGemmOutput(acc, n, out, stage);
    },
  };
}

/**
 * Quantized GEMM on the calling thread.
 * @param a uint8 [M, K] with `zeroPoint` (default 0) and, unless output is 'int32', `scale`
 * @param b int8/uint8 [K, N] with per-tensor or per-column (axis 1) scale and zero point, or packWeights() of it
 * @throws TypeError/RangeError naming the bad argument.
 */
export function qgemm(a: Tensor<'uint8'>, b: QGemmWeights, options?: QGemmOptions): Tensor {
  return runSync(qgemmCall(a, b, options));
}

/** qgemm on a worker thread; inputs must not change until the promise settles. */
export async function qgemmAsync(a: Tensor<'uint8'>, b: QGemmWeights, options?: QGemmOptions): Promise<Tensor> {
  return runAsync(qgemmCall(a, b, options));
}

