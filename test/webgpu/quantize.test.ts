import assert from 'node:assert/strict';

import { cpu, tensor, type QType } from '../../src/index.js';
import { assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

/** Floats at and around the rounding ties of `scale`, the saturation edges, and the special values. */
function edgeFloats(scale: number, r: () => number): Float32Array {
  const values: number[] = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3e38, -3e38];
  for (let k = -300; k <= 300; k++) for (const f of [0, 0.5]) for (const d of [-2e-7, 0, 2e-7]) values.push((k + f) * scale * (1 + d));
  for (let i = 0; i < 3000; i++) values.push((r() * 2 - 1) * 300 * scale);
  return Float32Array.from(values);
}

describe('webgpu quantize / dequantize / requantize', () => {
  after(releaseGpu);

  it('quantize equals the CPU bit for bit, per tensor and per axis, at ties, saturation and NaN', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(101);
    for (const type of ['uint8', 'int8'] as QType[]) {
      for (const scale of [0.1, 1 / 255, 3, 0.02347]) {
        const x = tensor('float32', [edgeFloats(scale, r).length], edgeFloats(scale, r));
        const zeroPoint = type === 'uint8' ? 128 : -3;
        const got = await gpu.quantize(x, { type, scale, zeroPoint });
        assertSameArray((await gpu.download(got)).data, cpu.quantize(x, { type, scale, zeroPoint }).data, `${type} scale ${scale}`);
        got.dispose();
      }
      const x = tensor('float32', [3, 5, 7], randomFloats(105, r, 4));
      const options = { type, scale: Float32Array.of(0.01, 0.03, 0.05, 0.1, 0.2), zeroPoint: Int32Array.of(0, 1, 2, 3, 4), axis: 1 };
      const got = await gpu.quantize(x, options);
      const back = await gpu.download(got);
      got.dispose();
      assertSameArray(back.data, cpu.quantize(x, options).data, `${type} per axis`);
      assert.equal(back.axis, 1);
    }
  });

  it('dequantize and requantize equal the CPU bit for bit', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(102);
    const q = tensor('int8', [4, 257], randomInts(Int8Array, 1028, -128, 127, r), { scale: Float32Array.of(0.5, 1e-3, 7, 1e-30), zeroPoint: Int32Array.of(0, -1, 5, 127), axis: 0 });
    const d = await gpu.dequantize(q);
    assertSameArray((await gpu.download(d)).data, cpu.dequantize(q).data, 'dequantize');
    d.dispose();
    const acc = tensor('int32', [2, 3, 50], randomInts(Int32Array, 300, -(2 ** 31), 2 ** 31 - 1, r), { scale: Float32Array.of(1e-4, 3e-6, 2e-9), axis: 1 });
    const bias = Int32Array.of(5, -7, 1 << 30);
    for (const options of [
      { type: 'uint8' as const, scale: 0.05, zeroPoint: 128, bias, activation: 'relu' as const },
      { type: 'int8' as const, scale: 0.2, zeroPoint: -5 },
      { type: 'float32' as const, bias, activation: { min: -1, max: 1e3 } },
    ]) {
      const got = await gpu.requantize(acc, options);
      assertSameArray((await gpu.download(got)).data, cpu.requantize(acc, options).data, `requantize ${options.type}`);
      got.dispose();
    }
  });

  it('chains quantize -> dequantize on the GPU and rejects bad arguments like the CPU', async function () {
    const gpu = await gpuOrSkip(this);
    const x = tensor('float32', [1000], randomFloats(1000, rng(103)));
    const q = await gpu.quantize(x, { type: 'uint8', scale: 0.01, zeroPoint: 100 });
    const back = await gpu.dequantize(q);
    assertSameArray((await gpu.download(back)).data, cpu.dequantize(cpu.quantize(x, { type: 'uint8', scale: 0.01, zeroPoint: 100 })).data, 'round trip');
    [q, back].forEach((t) => t.dispose());
    await assert.rejects(gpu.quantize(x, { type: 'uint8', scale: 0 }), /^RangeError: options\.scale must be a finite positive number/);
    await assert.rejects(gpu.quantize(x, { type: 'uint16' as never, scale: 1 }), /options\.type/);
    await assert.rejects(gpu.dequantize(tensor('uint8', [2])), /x\.scale/);
    await assert.rejects(gpu.requantize(tensor('int32', [2], undefined, { scale: 1 }), { type: 'uint8', scale: 1, bias: new Int32Array(3) }), /options\.bias/);
  });
});
