/**
 * Dense products on the CPU: sgemm against onnxruntime's MatMul, qgemm
 * (uint8 x int8) with int32 output against MatMulInteger and with the fused
 * uint8 requantize against QLinearMatMul. Weights are constants on both
 * sides (sparq packs them once, onnxruntime prepacks its initializers), and
 * both write into preallocated outputs, as an inference loop would.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { mulberry32 } from '../../random.js';
import { tensor } from '../../tensor.js';
import { matMulGraph, matMulIntegerGraph, ortSession, qlinearMatMulGraph } from '../ort-graphs.js';
import type { GemmShape } from '../shapes.js';
import { anyUint8, centered, dispatchedVariant, filled, int8In, releasing, type KernelCase } from './kernel-case.js';

export function sgemmCase(s: GemmShape): KernelCase {
  return {
    group: 'gemm', kernel: 'sgemm', family: 'f32-gemm', backend: 'cpu', shape: s.name, sparsity: 0, ops: 2 * s.m * s.n * s.k, unit: 'GFLOP/s', baseline: 'MatMul',
    async setup({ threads, ort, variant }) {
      const random = mulberry32(s.m * 31 + s.k);
      const w = filled(new Float32Array(s.k * s.n), random, centered);
      const x = filled(new Float32Array(s.m * s.k), random, centered);
      const packed = cpu.packWeights(tensor('float32', [s.k, s.n], w));
      const a = tensor('float32', [s.m, s.k], x);
      const out = new Float32Array(s.m * s.n);
      const session = ort && (await ortSession(ort, matMulGraph(s.m, s.k, s.n, w), threads));
      const feed = ort && { X: new ort.Tensor('float32', x, [s.m, s.k]) };
      const fetches = ort && { Y: new ort.Tensor('float32', new Float32Array(s.m * s.n), [s.m, s.n]) };
      return {
        sparq: () => cpu.gemm(a, packed, { out, variant }),
        ort: session && (() => session.run(feed!, fetches!)),
        variant: variant ?? dispatchedVariant('f32-gemm'),
        release: releasing(session, packed),
      };
    },
  };
}

/** qgemm on full-range int8 weights or 7-bit ones (the range AVX2's fastest variant takes), int32 out or requantized to uint8. */
export function qgemmCase(s: GemmShape, weights: 'full' | '7bit', output: 'int32' | 'uint8'): KernelCase {
  return {
    group: 'qgemm', kernel: `qgemm-${output} ${weights}`, family: 'qu8s8-gemm', backend: 'cpu', shape: s.name, sparsity: 0, ops: 2 * s.m * s.n * s.k, unit: 'GOP/s',
    baseline: output === 'int32' ? 'MatMulInteger' : 'QLinearMatMul',
    async setup({ threads, ort, variant }) {
      const random = mulberry32(s.m * 37 + s.k);
      const w = filled(new Int8Array(s.k * s.n), random, weights === 'full' ? int8In(-128, 127) : int8In(-64, 63));
      const x = filled(new Uint8Array(s.m * s.k), random, anyUint8);
      const wScales = filled(new Float32Array(s.n), random, (r) => 0.01 + r * 0.01);
      const packed = cpu.packWeights(tensor('int8', [s.k, s.n], w, { scale: wScales, axis: 1 }));
      const a = tensor('uint8', [s.m, s.k], x, { scale: 0.05, zeroPoint: 120 });
      const out = output === 'int32' ? new Int32Array(s.m * s.n) : new Uint8Array(s.m * s.n);
      const options = output === 'int32' ? { out, variant } : ({ output, outScale: 0.5, outZeroPoint: 110, out, variant } as const);
      const params = { xScale: 0.05, xZeroPoint: 120, wScales, yScale: 0.5, yZeroPoint: 110 };
      const graph = output === 'int32' ? matMulIntegerGraph(s.m, s.k, s.n, w, 120) : qlinearMatMulGraph(s.m, s.k, s.n, w, params);
      const session = ort && (await ortSession(ort, graph, threads));
      const feed = ort && { X: new ort.Tensor('uint8', x, [s.m, s.k]) };
      const fetches = ort && { Y: new ort.Tensor(output, output === 'int32' ? new Int32Array(s.m * s.n) : new Uint8Array(s.m * s.n), [s.m, s.n]) };
      return {
        sparq: () => cpu.qgemm(a, packed, options),
        ort: session && (() => session.run(feed!, fetches!)),
        variant: variant ?? dispatchedVariant('qu8s8-gemm', (v) => packed.narrow || !v.needsNarrow),
        release: releasing(session, packed),
      };
    },
  };
}
