/**
 * One benchmark case per kernel and shape: the sparq call and the matching
 * onnxruntime-node session on the same data. GEMM weights are constants on
 * both sides (sparq packs them once, onnxruntime prepacks its initializers),
 * and both write into preallocated outputs (sparq's `out` option,
 * onnxruntime's fetches), as an inference loop would.
 */
import { cpu, tensor, type PackedWeights, type Tensor } from '../src/index.js';
import { BENCH_GEMM_SHAPES, type GemmShape } from '../test/fixtures/shapes.js';
import type { KernelBench } from './bench-case.js';
import { sparseBenches } from './sparse.js';
import {
  dequantizeLinearGraph, matMulGraph, matMulIntegerGraph, ort, ortSession, qlinearMatMulGraph, quantizeLinearGraph,
} from './ort-models.js';

function randomInt8(n: number, lo: number, hi: number): Int8Array {
  return Int8Array.from({ length: n }, () => lo + Math.floor(Math.random() * (hi - lo + 1)));
}

function randomUint8(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256));
}

function sgemm(s: GemmShape): KernelBench {
  return {
    kernel: 'sgemm', shape: s.name, ops: 2 * s.m * s.n * s.k, unit: 'GFLOP/s', baseline: 'MatMul', family: 'f32-gemm',
    setup: async (threads, variant) => {
      const w = Float32Array.from({ length: s.k * s.n }, () => Math.random() - 0.5);
      const x = Float32Array.from({ length: s.m * s.k }, () => Math.random() - 0.5);
      const packed = cpu.packWeights(tensor('float32', [s.k, s.n], w));
      const a = tensor('float32', [s.m, s.k], x);
      const session = await ortSession(matMulGraph(s.m, s.k, s.n, w), threads);
      const feed = { X: new ort.Tensor('float32', x, [s.m, s.k]) };
      const fetches = { Y: new ort.Tensor('float32', new Float32Array(s.m * s.n), [s.m, s.n]) };
      const out = new Float32Array(s.m * s.n);
      return { sparq: () => cpu.gemm(a, packed, { out, variant }), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

/** qgemm with int32 output vs MatMulInteger, or fused uint8 requantize vs QLinearMatMul. */
function qgemm(s: GemmShape, weights: 'full' | '7bit', output: 'int32' | 'uint8'): KernelBench {
  const baseline = output === 'int32' ? 'MatMulInteger' : 'QLinearMatMul';
  return {
    kernel: `qgemm-${output} ${weights}`, shape: s.name, ops: 2 * s.m * s.n * s.k, unit: 'GOP/s', baseline, family: 'qu8s8-gemm',
    setup: async (threads, variant) => {
      const w = weights === 'full' ? randomInt8(s.k * s.n, -128, 127) : randomInt8(s.k * s.n, -64, 63);
      const x = randomUint8(s.m * s.k);
      const wScales = Float32Array.from({ length: s.n }, () => 0.01 + Math.random() * 0.01);
      const packed: PackedWeights = cpu.packWeights(tensor('int8', [s.k, s.n], w, { scale: wScales, axis: 1 }));
      const a: Tensor<'uint8'> = tensor('uint8', [s.m, s.k], x, { scale: 0.05, zeroPoint: 120 });
      const params = { xScale: 0.05, xZeroPoint: 120, wScales, yScale: 0.5, yZeroPoint: 110 };
      const graph = output === 'int32' ? matMulIntegerGraph(s.m, s.k, s.n, w, 120) : qlinearMatMulGraph(s.m, s.k, s.n, w, params);
      const session = await ortSession(graph, threads);
      const feed = { X: new ort.Tensor('uint8', x, [s.m, s.k]) };
      const out = output === 'int32' ? new Int32Array(s.m * s.n) : new Uint8Array(s.m * s.n);
      const fetches = { Y: new ort.Tensor(output, output === 'int32' ? new Int32Array(s.m * s.n) : new Uint8Array(s.m * s.n), [s.m, s.n]) };
      const options = output === 'int32' ? { out, variant } : ({ output, outScale: 0.5, outZeroPoint: 110, out, variant } as const);
      return { sparq: () => cpu.qgemm(a, packed, options), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

function quantize(size: number): KernelBench {
  return {
    kernel: 'quantize u8', shape: `${size}`, ops: size, unit: 'Gelem/s', baseline: 'QuantizeLinear', family: 'f32-qx8-quantize',
    setup: async (threads, variant) => {
      const x = Float32Array.from({ length: size }, () => (Math.random() - 0.5) * 20);
      const t = tensor('float32', [size], x);
      const session = await ortSession(quantizeLinearGraph(size, 0.07, 128), threads);
      const feed = { X: new ort.Tensor('float32', x, [size]) };
      const fetches = { Y: new ort.Tensor('uint8', new Uint8Array(size), [size]) };
      const out = new Uint8Array(size);
      return { sparq: () => cpu.quantize(t, { type: 'uint8', scale: 0.07, zeroPoint: 128, out, variant }), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

function dequantize(size: number): KernelBench {
  return {
    kernel: 'dequantize u8', shape: `${size}`, ops: size, unit: 'Gelem/s', baseline: 'DequantizeLinear', family: 'qx8-f32-dequantize',
    setup: async (threads, variant) => {
      const x = randomUint8(size);
      const t = tensor('uint8', [size], x, { scale: 0.07, zeroPoint: 128 });
      const session = await ortSession(dequantizeLinearGraph(size, 0.07, 128), threads);
      const feed = { X: new ort.Tensor('uint8', x, [size]) };
      const fetches = { Y: new ort.Tensor('float32', new Float32Array(size), [size]) };
      const out = new Float32Array(size);
      return { sparq: () => cpu.dequantize(t, { out, variant }), ort: () => session.run(feed, fetches), release: () => session.release() };
    },
  };
}

export function kernelBenches({ quick }: { quick: boolean }): KernelBench[] {
  const shapes = quick ? BENCH_GEMM_SHAPES.filter((s) => s.name !== '1024^3') : BENCH_GEMM_SHAPES;
  const sizes = quick ? [1 << 20] : [1 << 16, 1 << 20, 1 << 23];
  return [
    ...shapes.map(sgemm),
    ...shapes.map((s) => qgemm(s, 'full', 'int32')),
    ...shapes.map((s) => qgemm(s, '7bit', 'int32')),
    ...shapes.map((s) => qgemm(s, 'full', 'uint8')),
    ...shapes.map((s) => qgemm(s, '7bit', 'uint8')),
    ...sizes.map(quantize),
    ...sizes.map(dequantize),
    ...sparseBenches({ quick }),
  ];
}
