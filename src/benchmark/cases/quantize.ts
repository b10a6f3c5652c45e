/** float32 -> uint8 quantize and uint8 -> float32 dequantize of flat tensors, against onnxruntime's QuantizeLinear / DequantizeLinear. */
import { cpu } from '../../backends/cpu/backend.js';
import { mulberry32 } from '../../random.js';
import { tensor } from '../../tensor.js';
import { dequantizeLinearGraph, ortSession, quantizeLinearGraph } from '../ort-graphs.js';
import { anyUint8, dispatchedVariant, filled, releasing, type KernelCase } from './kernel-case.js';

const SCALE = 0.07, ZERO_POINT = 128;

export function quantizeCase(size: number): KernelCase {
  return {
    group: 'quantize', kernel: 'quantize u8', family: 'f32-qx8-quantize', backend: 'cpu', shape: `${size}`, sparsity: 0, ops: size, unit: 'Gelem/s', baseline: 'QuantizeLinear',
    async setup({ threads, ort, variant }) {
      const x = filled(new Float32Array(size), mulberry32(size), (r) => (r - 0.5) * 20);
      const t = tensor('float32', [size], x);
      const out = new Uint8Array(size);
      const session = ort && (await ortSession(ort, quantizeLinearGraph(size, SCALE, ZERO_POINT), threads));
      const feed = ort && { X: new ort.Tensor('float32', x, [size]) };
      const fetches = ort && { Y: new ort.Tensor('uint8', new Uint8Array(size), [size]) };
      return {
        sparq: () => cpu.quantize(t, { type: 'uint8', scale: SCALE, zeroPoint: ZERO_POINT, out, variant }),
        ort: session && (() => session.run(feed!, fetches!)),
        variant: variant ?? dispatchedVariant('f32-qx8-quantize'),
        release: releasing(session),
      };
    },
  };
}

export function dequantizeCase(size: number): KernelCase {
  return {
    group: 'dequantize', kernel: 'dequantize u8', family: 'qx8-f32-dequantize', backend: 'cpu', shape: `${size}`, sparsity: 0, ops: size, unit: 'Gelem/s', baseline: 'DequantizeLinear',
    async setup({ threads, ort, variant }) {
      const x = filled(new Uint8Array(size), mulberry32(size + 1), anyUint8);
      const t = tensor('uint8', [size], x, { scale: SCALE, zeroPoint: ZERO_POINT });
      const out = new Float32Array(size);
      const session = ort && (await ortSession(ort, dequantizeLinearGraph(size, SCALE, ZERO_POINT), threads));
      const feed = ort && { X: new ort.Tensor('uint8', x, [size]) };
      const fetches = ort && { Y: new ort.Tensor('float32', new Float32Array(size), [size]) };
      return {
        sparq: () => cpu.dequantize(t, { out, variant }),
        ort: session && (() => session.run(feed!, fetches!)),
        variant: variant ?? dispatchedVariant('qx8-f32-dequantize'),
        release: releasing(session),
      };
    },
  };
}
