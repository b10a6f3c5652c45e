/**
 * qgemm on the GPU, bit for bit cpu.qgemm: kernels/qu8s8-gemm/qu8s8-gemm-wgsl.wgsl
 * computes the int32 accumulators (one dot4I8Packed per 4 K values, or
 * plain i32 multiply-adds on the unpacked bytes; zero points and bias folded
 * in), and uint8/int8/float32 results take a second
 * dispatch of qs32-qx8-requantize-wgsl in the same submit. The output stage
 * is not fused: it is O(M*N) against the GEMM's O(M*N*K), and the requantize
 * kernel is the one place that reproduces the CPU's float32 rounding in
 * integer arithmetic. Arguments are checked by the plans the CPU runs too
 * (src/ops/), in the CPU's order, so errors are the same.
 */
import { checkGemmWeights, packedGemmWeights, type GemmWeightsSource } from '../../ops/weights.js';
import { planQuantizedProduct, type MultiplierSource, type QuantizedOutputOptions } from '../../ops/quantized-output.js';
import { tensor, type Tensor } from '../../tensor.js';
import { checkMade, checkObject, checkOneOf, fail, markMade, typeFail } from '../../validate.js';
import type { GpuContext } from './context.js';
import type { GpuTensor } from './gpu-tensor.js';
import { gpuInput, releaseTemporaries } from './inputs.js';
import { fromAccumulators } from './quantize.js';

/**
 * The kernel's inner product: 'packed' runs dot4I8Packed (a DP4A-style
 * instruction where the driver has one, Dawn's emulation otherwise),
 * 'unpacked' plain i32 multiply-adds on the bytes. Results are identical.
 */
export type GpuQGemmVariant = 'packed' | 'unpacked';
const VARIANTS = ['packed', 'unpacked'] as const;

export type GpuQGemmOptions = QuantizedOutputOptions & {
  /** Force one inner product (tests, benchmarks); default: the one backend.qgemmVariant() measured faster. */
  variant?: GpuQGemmVariant;
};

/** Output tile of one workgroup at the kernel's default overrides. */
const [TILE_M, TILE_N] = [32, 32];

/**
 * int8/uint8 weights [K, N] packed once on the GPU for qgemm: int8 B' (uint8
 * shifted by 128), transposed to [N][ceil(K/4)] words of 4 consecutive K
 * values, with the column sums and shifted zero points the kernel's
 * zero-point correction needs. Create with backend.packWeights(b); dispose()
 * gives the GPU memory back.
 */
export class GpuPackedWeights implements MultiplierSource {
  readonly type: 'int8' | 'uint8';
  readonly k: number;
  readonly n: number;
  /** Per-tensor (1 value) or per-column (n values) scales. */
  readonly scales: Float32Array;
  /** Per-tensor or per-column zero points, in the weights' own type. */
  readonly zeroPoints: Int32Array;
  /** @internal B' words, [n][ceil(k / 4)] u32 (as bytes). */
  readonly words: GpuTensor<'int8'>;
  /** @internal b_zp' per column (int8 domain), on the GPU and here. */
  readonly shiftedZeroPoints: GpuTensor<'int32'>;
  /** @internal */
  readonly hostShiftedZeroPoints: Int32Array;
  /** @internal sum_k B'[k, n] modulo 2^32. */
  readonly columnSums: Int32Array;
  /** @internal The last output-stage multipliers qgemm computed for these weights. */
  multiplierMemo?: { aScale: number; outScale: number | undefined; values: Float32Array };

  /** @internal Use backend.packWeights(). */
  constructor(gpu: GpuContext, packed: GemmWeightsSource) {
    const source = packed.source as Tensor<'int8' | 'uint8'>;
    const [k, n] = source.dims;
    const shift = source.type === 'uint8' ? 128 : 0;
    const kw = Math.ceil(k / 4);
    const bytes = new Int8Array(n * kw * 4);
    const sums = new Int32Array(n);
    for (let p = 0; p < k; p++)
      for (let j = 0; j < n; j++) {
        const v = source.data[p * n + j] - shift;
        bytes[j * kw * 4 + p] = v;
        sums[j] += v;
      }
    const zb = Int32Array.from({ length: n }, (_, j) => packed.zeroPoints[packed.zeroPoints.length === 1 ? 0 : j] - shift);
    this.type = source.type;
    this.k = k;
    this.n = n;
    this.scales = packed.scales;
    this.zeroPoints = packed.zeroPoints;
    this.columnSums = sums;
    this.hostShiftedZeroPoints = zb;
    this.words = gpu.upload(tensor('int8', [n, kw * 4], bytes));
    this.shiftedZeroPoints = gpu.upload(tensor('int32', [n], zb));
    markMade(this, GpuPackedWeights);
  }

  get disposed(): boolean {
    return this.words.disposed;
  }

  /** Gives the GPU buffers back; the weights must not be used afterwards. */
  dispose(): void {
    this.words.dispose();
    this.shiftedZeroPoints.dispose();
  }
}

/**
 * Packs quantized weights for the GPU, checked as cpu.packWeights / cpu.qgemm
 * check them; weights the CPU packed are taken by their checked source.
 */
export function gpuPackWeights(gpu: GpuContext, b: unknown): GpuPackedWeights {
  const packed = packedGemmWeights.find('b', b);
  // The message of cpu.qgemm's check of packed weights.
  if (packed?.source.type === 'float32') typeFail('b', 'must be packed int8/uint8 weights, got float32');
  return new GpuPackedWeights(gpu, packed ?? checkGemmWeights('b', b, ['int8', 'uint8']));
}

/** The measured choice per backend, kept for its lifetime. */
const chosenVariants = new WeakMap<GpuContext, Promise<GpuQGemmVariant>>();

/**
 * The variant qgemm runs without options.variant: on first use, both are
 * timed on a representative shape and the faster one is remembered for the
 * backend's lifetime. A failed measurement (lost device) is not remembered.
 */
export function gpuQgemmVariant(gpu: GpuContext): Promise<GpuQGemmVariant> {
  let choice = chosenVariants.get(gpu);
  if (choice === undefined) {
    choice = measureVariants(gpu);
    chosenVariants.set(gpu, choice);
    choice.catch(() => chosenVariants.delete(gpu));
  }
  return choice;
}

/**
 * 64x256x256 int32 qgemm (a layer-sized GEMM that still runs in
 * milliseconds on a software adapter): the best of 3 runs of each variant,
 * interleaved so drift hits both alike, after a first round that compiles
 * the pipelines and is not counted. GPU timestamps where the adapter has
 * them, else wall time. Every round runs under timeOnGpu, so a call that is
 * itself being timed does not count any of this work as its GPU time.
 */
async function measureVariants(gpu: GpuContext): Promise<GpuQGemmVariant> {
  const [m, k, n] = [64, 256, 256];
  const a = gpu.upload(tensor('uint8', [m, k], Uint8Array.from({ length: m * k }, (_, i) => (i * 37) & 255)));
  const b = gpuPackWeights(gpu, tensor('int8', [k, n], Int8Array.from({ length: k * n }, (_, i) => (i * 91) & 255)));
  try {
    const run = async (variant: GpuQGemmVariant) => (await gpuQgemm(gpu, a, b, { variant })).dispose();
    const best = { packed: Infinity, unpacked: Infinity };
    for (let round = 0; round < 4; round++)
      for (const variant of VARIANTS) {
        const { wall, gpu: onGpu } = await gpu.timeOnGpu(() => run(variant));
        if (round > 0) best[variant] = Math.min(best[variant], onGpu ?? wall);
      }
    return best.unpacked < best.packed ? 'unpacked' : 'packed';
  } finally {
    a.dispose();
    b.dispose();
  }
}

export async function gpuQgemm(gpu: GpuContext, aIn: unknown, bIn: unknown, options: GpuQGemmOptions = {}): Promise<GpuTensor> {
  // The first call measures before it takes its arguments: an input disposed
  // meanwhile is then reported, never read after its buffer was reused.
  const chosen = typeof options === 'object' && options !== null && options.variant === undefined ? await gpuQgemmVariant(gpu) : null;
  const a = gpuInput(gpu, 'a', aIn, ['uint8'], 2);
  let temporaryB: GpuPackedWeights | null = null;
  try {
    checkObject('options', options);
    let b: GpuPackedWeights;
    if (bIn instanceof GpuPackedWeights) {
      checkMade('b', bIn, GpuPackedWeights, 'backend.packWeights()');
      if (bIn.disposed) typeFail('b', 'was disposed');
      b = bIn;
    } else {
      b = temporaryB = gpuPackWeights(gpu, bIn);
    }
    const [m, k] = a.tensor.dims;
    if (k !== b.k) fail('b', `has K = ${b.k} rows but a has K = ${k} columns`);
    const n = b.n;
    const plan = planQuantizedProduct('a', a.tensor, b, options, n, 1);
    const variant = chosen ?? checkOneOf('options.variant', options.variant, VARIANTS);
    const acc = gpu.empty('int32', [m, n], plan.output === 'int32' ? plan.quant : undefined);
    if (m > 0 && n > 0) {
      const { aZeroPoint, bias } = plan;
      const za = aZeroPoint - 128;
      const kza = Math.imul(k, za);
      const colTerm = Int32Array.from(b.columnSums, (s, j) =>
        ((bias?.[j] ?? 0) - Math.imul(za, s) + Math.imul(kza, b.hostShiftedZeroPoints[j])) | 0);
      const limit = gpu.adapter.limits.maxComputeWorkgroupsPerDimension;
      await gpu.enqueue({
        family: 'qu8s8-gemm',
        stem: 'qu8s8-gemm-wgsl',
        overrides: { PACKED_DOT: variant === 'packed' ? 1 : 0 },
        buffers: [a.tensor.buffer, b.words.buffer, gpu.constants(colTerm), b.shiftedZeroPoints.buffer, acc.buffer],
        uniforms: [['u32', m], ['u32', n], ['u32', k], ['u32', Math.ceil(k / 4)]],
        workgroups: [Math.min(Math.ceil(n / TILE_N), limit), Math.min(Math.ceil(m / TILE_M), limit)],
      });
    }
    // Per column: the [M, N] result viewed as [M, channels = N, inner = 1].
    return await fromAccumulators(gpu, acc, plan, { channels: n, inner: 1 });
  } finally {
    releaseTemporaries(a);
    temporaryB?.dispose();
  }
}
