import assert from 'node:assert/strict';

import { tensor } from '../../src/index.js';
import { randomFloats, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

/** Process memory the soak may add after its warm-up round (pool classes, pipelines, allocator slack). */
const RSS_BOUND = 64 * 2 ** 20;

describe('webgpu soak', () => {
  after(releaseGpu);

  it('runs thousands of dispatches with pooled buffers and no growth in buffers or process memory', async function () {
    this.timeout(300000);
    const gpu = await gpuOrSkip(this);
    const r = rng(95);
    const w = gpu.upload(tensor('float32', [32, 32], randomFloats(1024, r)));
    const x = tensor('float32', [16, 32], randomFloats(512, r));
    const round = async () => {
      for (let i = 0; i < 500; i++) {
        const h = await gpu.gemm(x, w, { activation: 'relu' });
        const y = await gpu.gemm(h, w);
        h.dispose();
        if (i % 100 === 99) await gpu.download(y);
        y.dispose();
      }
      await gpu.sync();
    };
    await round();
    const buffers = gpu.liveBuffers, rss = process.memoryUsage().rss;
    for (let i = 0; i < 3; i++) await round();
    assert.equal(gpu.liveBuffers, buffers, 'buffers held after the same work again');
    const grown = process.memoryUsage().rss - rss;
    assert.ok(grown < RSS_BOUND, `process memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB over 3000 dispatches`);
    w.dispose();
  });
});
