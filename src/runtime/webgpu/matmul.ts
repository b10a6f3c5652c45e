/**
 * Gemm, MatMul (constant 2-D B) and QLinearMatMul (constant a_scale/a_zp) on
 * the GPU's gemm/qgemm, B uploaded once, bias and the fused clamp in the
 * epilogue, a fused HardSwish / HardSigmoid after it (post-op.ts); the
 * plans (B laid out, C as bias) are ops/matmul.ts's, so both
 * backends read the node alike. Gemm with transA or a C that is not a bias,
 * and batched MatMul, run on the CPU. Weights are always dense here (the CPU
 * may pick a sparse kernel for pruned ones).
 */
import type { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { tensor } from '../../tensor.js';
import { checkGemmA, gemmPlan, matMulPlan, qlinearMatMulPlan, rowsOf } from '../ops/matmul.js';
import { quantParams } from '../ops/quant-params.js';
import { gpuInput0, shaped, type GpuOpHandler } from './node-run.js';
import { withPostOp } from './post-op.js';

export const gpuGemm: GpuOpHandler = (ctx, gpu) => {
  const plan = gemmPlan(ctx);
  if (plan.transA || plan.general) return undefined;
  const { k, n, bias, fuse } = plan;
  const weights = gpu.upload(tensor('float32', [k, n], plan.weight));
  return withPostOp({
    label: 'gpu:gemm',
    run: ([xIn]) => {
      const x = gpuInput0(xIn, ['float32']);
      checkGemmA(x, k);
      return gpu.gemm(shaped(x, x.dims) as GpuTensor<'float32'>, weights, { bias, activation: fuse });
    },
    dispose: () => weights.dispose(),
  }, ctx.attributes, gpu);
};

export const gpuMatMul: GpuOpHandler = (ctx, gpu) => {
  const plan = matMulPlan(ctx);
  if (!plan) return undefined;
  const { k, n, bias, activation } = plan;
  const weights = gpu.upload(tensor('float32', [k, n], plan.weight));
  return {
    label: 'gpu:gemm',
    run: async ([xIn]) => {
      const x = gpuInput0(xIn, ['float32']);
      const { rows, outDims } = rowsOf(x, k, n);
      const y = await gpu.gemm(shaped(x, [rows, k]) as GpuTensor<'float32'>, weights, { bias, activation });
      return y.view(outDims);
    },
    dispose: () => weights.dispose(),
  };
};

export const gpuQLinearMatMul: GpuOpHandler = (ctx, gpu) => {
  const c = ctx.constants;
  if (!c[1] || ((ctx.node.inputs[2] ?? '') !== '' && !c[2])) return undefined;
  const plan = qlinearMatMulPlan(ctx);
  let aq: ReturnType<typeof quantParams>;
  try {
    // Per run on the CPU: a bad a_scale is reported there, when the node runs.
    aq = quantParams(c[1], c[2], c[3]!, undefined, 'a');
  } catch {
    return undefined;
  }
  const { k, n, scales, zeroPoints } = plan;
  const perColumn = scales.length > 1;
  const packed = gpu.packWeights(tensor(plan.type, [k, n], plan.weight,
    perColumn ? { scale: scales, zeroPoint: zeroPoints, axis: 1 } : { scale: scales[0], zeroPoint: zeroPoints[0] }));
  const options = { ...plan.options, bias: plan.bias };
  const aQuant = { scale: aq.scales[0], zeroPoint: aq.zeroPoints[0] };
  return {
    label: 'gpu:qgemm',
    run: async ([xIn]) => {
      const x = gpuInput0(xIn, ['uint8']);
      const { rows, outDims } = rowsOf(x, k, n);
      const y = await gpu.qgemm(shaped(x, [rows, k], aQuant) as GpuTensor<'uint8'>, packed, options);
      return y.view(outDims);
    },
    dispose: () => packed.dispose(),
  };
};
