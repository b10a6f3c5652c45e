/**
 * GPU faults: a device lost with work pending, buffers over the device's
 * limits, and a buffer the device cannot allocate. Each must end in an error
 * from the call concerned (never a hang: every wait is raced against a
 * timeout that fails the test), and only a lost device may leave the backend
 * unusable.
 */
import assert from 'node:assert/strict';

import { InferenceSession, LimitError, setLimits, tensor, webgpu } from '../../src/index.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { randomFloats, rng } from '../helpers.js';
import { deviceOf, gpuOrSkip, outcome, poolUpTo, releaseGpu } from './gpu.js';

const LOST = /the GPU device was lost \(destroyed: .*\); create a new backend with webgpu\(\)/;

/** y = relu(x * w), 256 x 256 weights: a model whose run keeps the GPU busy for a moment. */
function matmulModel(): Uint8Array {
  const w = { name: 'w', type: 'float' as const, dims: [256, 256], data: randomFloats(256 * 256, rng(7)) };
  return encodeOnnxModel({
    nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] }, { opType: 'Relu', inputs: ['h'], outputs: ['y'] }],
    initializers: [w],
    inputs: [{ name: 'x', type: 'float', dims: [64, 256] }],
    outputs: [{ name: 'y', type: 'float', dims: [64, 256] }],
  });
}

describe('webgpu faults', () => {
  after(releaseGpu);

  it('a lost device rejects every pending call, download, sync and session run, naming the loss; later calls fail fast; a new backend works', async function () {
    await gpuOrSkip(this);
    const gpu = await webgpu();
    const session = await InferenceSession.create(matmulModel(), { backend: 'webgpu', gpu });
    const a = tensor('float32', [256, 256], randomFloats(256 * 256, rng(1)));
    const x = gpu.upload(a);
    const ready = await gpu.gemm(x, x);
    // Pending at the loss: a run, a download waiting on its copy, a sync, a kernel chained behind them on a pipeline never compiled here.
    const run = session.run({ x: tensor('float32', [64, 256], randomFloats(64 * 256, rng(2))) });
    const download = gpu.download(ready);
    const sync = gpu.sync();
    const transpose = gpu.transpose(ready).then((t) => gpu.download(t));
    deviceOf(gpu).destroy();
    const outcomes = Object.entries({ run, download, sync, transpose }).map(([what, p]) => [what, outcome(p)] as const);
    for (const [what, pending] of outcomes) {
      const result = await pending;
      assert.ok(result instanceof Error, `${what}: ${String(result)}`);
      assert.match(result.message, LOST, what);
    }
    assert.match(gpu.lost ?? '', /^destroyed: /);
    assert.throws(() => gpu.upload(a), LOST);
    await assert.rejects(gpu.gemm(a, a), LOST);
    await assert.rejects(session.run({ x: tensor('float32', [64, 256], new Float32Array(64 * 256)) }), LOST);
    await session.release();
    gpu.destroy();

    const fresh = await webgpu();
    try {
      assert.equal(fresh.lost, null);
      const y = await fresh.gemm(tensor('float32', [1, 2], Float32Array.of(1, 2)), tensor('float32', [2, 1], Float32Array.of(3, 4)));
      assert.deepEqual([...(await fresh.download(y)).data], [11]);
    } finally {
      fresh.destroy();
    }
  });

  it('destroying a backend rejects its pending downloads and syncs, saying so', async function () {
    await gpuOrSkip(this);
    const gpu = await webgpu();
    const y = await gpu.gemm(tensor('float32', [256, 256], randomFloats(256 * 256, rng(5))), tensor('float32', [256, 256], randomFloats(256 * 256, rng(6))));
    const pending = [gpu.download(y), gpu.sync()].map((p) => outcome(p));
    gpu.destroy();
    for (const result of await Promise.all(pending)) {
      assert.ok(result instanceof Error, String(result));
      assert.match(result.message, /this backend was destroyed/);
    }
  });

  it('refuses a tensor larger than one buffer the adapter binds, before allocating, and stays usable', async function () {
    const gpu = await gpuOrSkip(this);
    await gpu.sync();
    const before = gpu.liveBuffers;
    const max = gpu.adapter.limits.maxStorageBufferBindingSize;
    assert.throws(() => gpu.empty('float32', [Math.floor(max / 4) + 1]), (e: Error) => e instanceof RangeError && /binds at most \d+ bytes per buffer/.test(e.message));
    // Just at the limit is allocated.
    gpu.empty('float32', [Math.floor(max / 4)]).dispose();
    // A kernel whose result would be over it: [rows, 1] x [1, cols] with rows * cols * 4 just over.
    const cols = 4097, rows = Math.ceil(max / 4 / cols);
    await assert.rejects(gpu.gemm(tensor('float32', [rows, 1], new Float32Array(rows)), tensor('float32', [1, cols], new Float32Array(cols))), RangeError);
    await gpu.sync();
    assert.equal(gpu.liveBuffers, before);
    const y = await gpu.gemm(tensor('float32', [1, 1], Float32Array.of(3)), tensor('float32', [1, 1], Float32Array.of(2)));
    assert.deepEqual([...(await gpu.download(y)).data], [6]);
    y.dispose();
  });

  it('refuses a GPU tensor over maxTensorBytes (setLimits) before allocating it', async function () {
    const gpu = await gpuOrSkip(this);
    const saved = setLimits({ maxTensorBytes: 1024 });
    try {
      gpu.empty('float32', [256]).dispose();
      assert.throws(() => gpu.empty('float32', [257]), (e: Error) => e instanceof LimitError && e.limit === 'maxTensorBytes' && e.value === 1028);
      await assert.rejects(gpu.gemm(tensor('float32', [16, 1], new Float32Array(16)), tensor('float32', [1, 17], new Float32Array(17))), LimitError);
    } finally {
      setLimits(saved);
    }
  });

  it("a 'webgpu' session's options.limits hold the GPU tensors its runs make", async function () {
    const gpu = await gpuOrSkip(this);
    // [64, 1] x [1, 256]: a 64 KiB result of a 256-byte feed and 1 KiB of weights.
    const bytes = encodeOnnxModel({
      nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: [{ name: 'w', type: 'float', dims: [1, 256], data: randomFloats(256, rng(3)) }],
      inputs: [{ name: 'x', type: 'float', dims: [64, 1] }],
      outputs: [{ name: 'y', type: 'float', dims: [64, 256] }],
    });
    const x = { x: tensor('float32', [64, 1], randomFloats(64, rng(4))) };
    const fits = await InferenceSession.create(bytes, { backend: 'webgpu', gpu, limits: { maxTensorBytes: 2 ** 16 } });
    const over = await InferenceSession.create(bytes, { backend: 'webgpu', gpu, limits: { maxTensorBytes: 2 ** 16 - 1 } });
    try {
      assert.equal((await fits.run(x)).y.data.length, 64 * 256);
      await assert.rejects(over.run(x), (e: Error) => e instanceof LimitError && e.value === 2 ** 16 && /GPU tensor \[64,256\]/.test(e.message));
    } finally {
      await Promise.all([fits.release(), over.release()]);
    }
  });

  it('a buffer the device cannot allocate fails the calls that use it with an out-of-memory error, and later calls run', async function () {
    await gpuOrSkip(this);
    const gpu = await webgpu();
    try {
      // lavapipe binds 128 MiB per buffer, which it always has memory for. A
      // pool that hands out buffers of 2^32 - 1 bytes (as large as Dawn
      // allows) makes Vulkan answer VK_ERROR_OUT_OF_DEVICE_MEMORY: a real
      // allocation failure, through the path any out-of-memory takes.
      poolUpTo(gpu, 2 ** 32 - 1);
      const huge = gpu.empty('float32', [2 ** 30 - 1]);
      const out = /out of GPU memory: a 4294967295-byte buffer could not be allocated \(.*OUT_OF_DEVICE_MEMORY.*\)/;
      const kernel = await outcome(gpu.activate(huge, 'relu'));
      assert.ok(kernel instanceof Error && out.test(kernel.message), String(kernel));
      const download = await outcome(gpu.download(gpu.empty('uint8', [2 ** 32 - 4])));
      assert.ok(download instanceof Error && out.test(download.message), String(download));
      // The failed calls encoded nothing: the next ones, in the same batch, run.
      const y = await gpu.gemm(tensor('float32', [1, 1], Float32Array.of(3)), tensor('float32', [1, 1], Float32Array.of(2)));
      assert.deepEqual([...(await gpu.download(y)).data], [6]);
      assert.equal(gpu.lost, null);
    } finally {
      gpu.destroy();
    }
  });
});
