import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { tensor, webgpu, type ElementType } from '../../src/index.js';
import { assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';
import { gpuOrSkip, releaseGpu } from './gpu.js';

describe('webgpu device', () => {
  after(releaseGpu);

  it('reports the adapter, the optional features it got and its limits', async function () {
    const gpu = await gpuOrSkip(this);
    assert.ok(gpu.adapter.description.length > 0 || gpu.adapter.device.length > 0);
    assert.ok(gpu.adapter.limits.maxComputeWorkgroupsPerDimension >= 65535);
    for (const f of gpu.adapter.features) assert.ok(['shader-f16', 'subgroups', 'timestamp-query'].includes(f));
  });

  it('uploads and downloads every element type unchanged, odd byte sizes included', async function () {
    const gpu = await gpuOrSkip(this);
    const r = rng(81);
    for (const n of [1, 3, 4, 5, 1001]) {
      const cases: [ElementType, ArrayLike<number>][] = [
        ['float32', randomFloats(n, r)],
        ['int32', randomInts(Int32Array, n, -(2 ** 31), 2 ** 31 - 1, r)],
        ['uint8', randomInts(Uint8Array, n, 0, 255, r)],
        ['int8', randomInts(Int8Array, n, -128, 127, r)],
      ];
      for (const [type, data] of cases) {
        const t = gpu.upload(tensor(type, [n], data as never, { scale: 0.5, zeroPoint: 3 }));
        const back = await gpu.download(t);
        t.dispose();
        assert.equal(back.type, type);
        assert.deepEqual(back.dims, [n]);
        assert.equal(back.scale, 0.5);
        assertSameArray(back.data, data, `${type} x${n}`);
      }
    }
  });

  it('returns disposed buffers to the pool and refuses a disposed tensor', async function () {
    const gpu = await gpuOrSkip(this);
    await gpu.sync();
    const before = gpu.liveBuffers;
    const ts = Array.from({ length: 20 }, () => gpu.upload(tensor('float32', [256], new Float32Array(256))));
    assert.equal(gpu.liveBuffers, before + 20);
    ts.forEach((t) => t.dispose());
    await gpu.sync();
    assert.equal(gpu.liveBuffers, before);
    await assert.rejects(gpu.download(ts[0]), /t must not be disposed/);
  });

  it('times work on the GPU with timestamp queries where the adapter has them', async function () {
    const gpu = await gpuOrSkip(this);
    const a = tensor('float32', [128, 128], randomFloats(128 * 128, rng(82)));
    const { wall, gpu: onGpu } = await gpu.timeOnGpu(async () => {
      for (let i = 0; i < 3; i++) (await gpu.gemm(a, a)).dispose();
    });
    assert.ok(wall > 0);
    if (gpu.adapter.features.includes('timestamp-query')) assert.ok(onGpu !== null && onGpu > 0 && onGpu <= wall, `gpu ${onGpu} s, wall ${wall} s`);
    else assert.equal(onGpu, null);
  });

  it('rejects every call after the device is lost, naming the loss, and a new backend works', async function () {
    await gpuOrSkip(this);
    const lost = await webgpu();
    const x = lost.upload(tensor('float32', [2, 2], Float32Array.of(1, 2, 3, 4)));
    (lost as unknown as { gpu: { device: GPUDevice } }).gpu.device.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await assert.rejects(lost.gemm(x, x), /device was lost.*create a new backend with webgpu\(\)/);
    await assert.rejects(lost.download(x), /device was lost/);
    lost.destroy();
    const fresh = await webgpu();
    const y = await fresh.gemm(tensor('float32', [1, 1], Float32Array.of(3)), tensor('float32', [1, 1], Float32Array.of(2)));
    assert.deepEqual([...(await fresh.download(y)).data], [6]);
    fresh.destroy();
  });

  it('lets the process exit once destroyed', async function () {
    this.timeout(60000);
    await gpuOrSkip(this);
    const script = fileURLToPath(new URL('../fixtures/webgpu-exit.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 50000 });
    assert.equal(stdout.trim(), '1,2,3,4');
  });
});
