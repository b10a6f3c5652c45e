/**
 * A GPU tensor of 2 GiB comes back. Its own file: it takes about 45 s and
 * 6.5 GiB of memory on lavapipe (the buffer, the readback buffer and the
 * result), more than the other WebGPU tests together.
 */
import assert from 'node:assert/strict';

import { webgpu } from '../../src/index.js';
import { gpuOrSkip, outcome, poolUpTo, releaseGpu } from './gpu.js';

describe('webgpu large download', () => {
  after(releaseGpu);

  it('downloads a tensor of 2 GiB (one copy that large never completed on lavapipe: the download hung)', async function () {
    this.timeout(180000);
    await gpuOrSkip(this);
    const gpu = await webgpu();
    try {
      poolUpTo(gpu, 2 ** 31);
      const download = gpu.download(gpu.empty('uint8', [2 ** 31]));
      assert.equal(await outcome(download, 120000), 'resolved');
      assert.equal((await download).data.length, 2 ** 31);
    } finally {
      gpu.destroy();
    }
  });
});
