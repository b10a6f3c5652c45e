// Overlapping calls on one WebGPU backend (issue 18). A submit (every 64
// dispatches, or a download) once gave back every buffer returned so far,
// uniforms and bias buffers of dispatches still waiting to be encoded among
// them: a later call bound a destroyed buffer ("used in submit while
// destroyed") or one another call had refilled. Two sessions' concurrent
// runs, or a Promise.all of kernel calls, were enough. And a session
// released while its runs are in flight: they complete or reject saying so
// (not "b was disposed", or "node A: node A: ..." from one shared error).
import assert from 'node:assert/strict';

import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { tensor, type WebGpuBackend } from '../../src/index.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { InferenceSession } from '../../src/runtime/session.js';
import { assertSameArray, randomFloats, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

describe('webgpu overlapping calls', () => {
  after(releaseGpu);

  it('give every kernel call its own uniforms and bias while others download (200 at once = serial results)', async function () {
    this.timeout(120_000);
    const gpu = await gpuOrSkip(this);
    const r = rng(181);
    const [k, n] = [24, 12];
    const w = gpu.upload(tensor('float32', [k, n], randomFloats(k * n, r)));
    const inputs = Array.from({ length: 200 }, (_, i) => tensor('float32', [1 + (i % 5), k], randomFloats((1 + (i % 5)) * k, r)));
    const biases = inputs.map(() => randomFloats(n, r));
    const once = async (i: number) => {
      const y = await gpu.gemm(inputs[i], w, { bias: biases[i], activation: 'relu' });
      const q = await gpu.quantize(y, { type: 'uint8', scale: 0.01 + i / 1000, zeroPoint: i % 7 });
      y.dispose();
      const out = await gpu.download(q);
      q.dispose();
      return out.data;
    };
    const serial: Uint8Array[] = [];
    for (let i = 0; i < inputs.length; i++) serial.push((await once(i)) as Uint8Array);
    await gpu.sync();
    const live = gpu.liveBuffers;
    const overlapping = await Promise.all(inputs.map((_, i) => once(i)));
    overlapping.forEach((got, i) => assertSameArray(got, serial[i], `call ${i}`));
    await gpu.sync();
    assert.equal(gpu.liveBuffers, live, 'every buffer back in the pool');
    w.dispose();
  });

  it('runs one session concurrently with the serial results, and another session beside it', async function () {
    this.timeout(300_000);
    const gpu = await gpuOrSkip(this);
    const bytes = encodeOnnxModel(cifarCnn());
    const [a, b] = [await InferenceSession.create(bytes, { backend: 'webgpu', gpu }), await InferenceSession.create(bytes, { backend: 'webgpu', gpu })];
    const feeds = [1, 2, 3, 1, 2, 3, 1, 2].map((batch, i) => ({ input: { type: 'float32', dims: [batch, 3, 32, 32], data: randomImages(batch, [3, 32, 32], 200 + i) } }));
    const serial: Float32Array[] = [];
    for (const f of feeds) serial.push((await a.run(f)).logits.data as Float32Array);
    const runs = await Promise.all([...feeds.map((f) => a.run(f)), ...feeds.map((f) => b.run(f))]);
    runs.forEach((out, i) => assertSameArray(out.logits.data as Float32Array, serial[i % feeds.length], `run ${i}`));
    await Promise.all([a.release(), b.release()]);
  });

  it('completes or rejects clearly the runs a release overtakes, on a shared backend and on its own, and keeps no buffer', async function () {
    this.timeout(300_000);
    const gpu = await gpuOrSkip(this);
    const bytes = encodeOnnxModel(cifarCnn());
    const feeds = [1, 2, 3, 1, 2, 3].map((batch, i) => ({ input: { type: 'float32', dims: [batch, 3, 32, 32], data: randomImages(batch, [3, 32, 32], 400 + i) } }));
    const reference = await InferenceSession.create(bytes, { backend: 'webgpu', gpu });
    const serial: Float32Array[] = [];
    for (const f of feeds) serial.push((await reference.run(f)).logits.data as Float32Array);
    await reference.release();
    await gpu.sync();
    const live = gpu.liveBuffers;
    // Released at once (before any run encoded its first dispatch), or after the runs got going.
    for (const [shared, ticks] of [[gpu, 0], [gpu, 2], [undefined, 0], [undefined, 2]] as [WebGpuBackend | undefined, number][]) {
      const session = await InferenceSession.create(bytes, { backend: 'webgpu', gpu: shared });
      const runs = feeds.map((f) => session.run(f));
      for (let i = 0; i < ticks; i++) await new Promise((resolve) => setImmediate(resolve));
      await session.release();
      const settled = await Promise.allSettled(runs);
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') assertSameArray(s.value.logits.data as Float32Array, serial[i], `run ${i} completed`);
        else assert.equal((s.reason as Error).message, 'the session was released while the run was in flight', `run ${i}`);
      });
      await gpu.sync();
      assert.equal(gpu.liveBuffers, live, `buffers kept (${shared ? 'shared' : 'own'} backend, ${ticks} ticks)`);
    }
  });
});
