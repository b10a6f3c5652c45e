import assert from 'node:assert/strict';

import { refIm2col } from '../../src/backends/reference/im2col.js';
import { convGeometry } from '../../src/ops/im2col.js';
import { cpu, tensor } from '../../src/index.js';
import { assertSameArray, nativeVariants, randomFloats, randomInts, rng } from '../helpers.js';

describe('im2col', () => {
  for (const variant of nativeVariants('x32-im2col'))
    it(`${variant}: equals the reference for kernels, strides, dilations, asymmetric pads and groups`, () => {
      const r = rng(41);
      let cases = 0;
      for (const [n, c, h, w] of [[1, 1, 5, 5], [2, 3, 7, 6], [1, 16, 9, 11], [3, 4, 4, 4]])
        for (const [kh, kw] of [[1, 1], [3, 3], [5, 2]])
          for (const stride of [1, 2])
            for (const dilation of [1, 2])
              for (const pads of [[0, 0, 0, 0], [1, 1, 1, 1], [2, 0, 1, 2]] as const)
                for (const group of c % 2 === 0 ? [1, 2] : [1]) {
                  const options = { kernelShape: [kh, kw] as const, strides: [stride, stride] as const, dilations: [dilation, 1] as const, pads, group };
                  let g;
                  try {
                    g = convGeometry([n, c, h, w], options);
                  } catch {
                    continue; // kernel larger than the padded input
                  }
                  const x = randomFloats(n * c * h * w, r);
                  const got = cpu.im2col(tensor('float32', [n, c, h, w], x), { ...options, variant });
                  const want = new Float32Array(got.data.length);
                  refIm2col(x, want, g, 0);
                  assertSameArray(got.data, want, `f32 ${JSON.stringify([n, c, h, w, options])}`);
                  const xq = randomInts(Uint8Array, n * c * h * w, 0, 255, r);
                  const gotq = cpu.im2col(tensor('uint8', [n, c, h, w], xq, { scale: 0.1, zeroPoint: 77 }), { ...options, variant });
                  const wantq = new Uint8Array(gotq.data.length);
                  refIm2col(xq, wantq, g, 77);
                  assertSameArray(gotq.data, wantq, `u8 ${JSON.stringify([n, c, h, w, options])}`);
                  cases++;
                }
      assert.ok(cases > 150, `only ${cases} cases ran`);
    });

  it('turns a convolution into a GEMM', async () => {
    // 1 image, 2 channels 3x3, one 2x2 filter summing both channels, stride 1, no padding.
    const x = tensor('float32', [1, 2, 3, 3], Float32Array.from({ length: 18 }, (_, i) => i));
    const storage = new Float32Array(32);
    const col = await cpu.im2colAsync(x, { kernelShape: [2, 2], out: storage });
    assert.deepEqual(col.dims, [1, 4, 8]);
    assert.equal(col.data, storage);
    const out = cpu.gemm(tensor('float32', [4, 8], col.data as Float32Array), tensor('float32', [8, 1], new Float32Array(8).fill(1)));
    // Output pixel (0,0) sums x[0][0..1][0..1] and x[1][0..1][0..1] = (0+1+3+4) + (9+10+12+13).
    assert.deepEqual(Array.from(out.data), [52, 60, 76, 84]);
  });
});
