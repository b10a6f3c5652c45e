/**
 * Pruning masks on weight arrays: magnitude (threshold, per layer, global),
 * N:M along the input channels in the group order sparq's N:M kernels take,
 * blocks in the layouts its sparse conv kernels store (blockDensity), edge
 * blocks, norms, ties, masks kept on trainer params, and bad arguments.
 */
import assert from 'node:assert/strict';

import { cpu } from '../../src/backends/cpu/backend.js';
import { blockDensity } from '../../src/backends/cpu/conv2d.js';
import { param } from '../../src/compress/train/layer.js';
import {
  applyMask, blockMask, globalBlockMasks, globalMagnitudeMasks, magnitudeMask, maskParam, nmMask, paramWeight, thresholdMask, type WeightArray,
} from '../../src/compress/prune/index.js';
import { tensor } from '../../src/tensor.js';
import { pruneBlocks } from '../fixtures/cifar-cnn.js';
import { randomFloats, rng } from '../helpers.js';

function weight(dims: number[], seed = 1, scale = 1): WeightArray {
  return { dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), rng(seed), scale) };
}

const zeros = (mask: Uint8Array) => mask.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);

/** max |w| pruned <= min |w| kept, over all the weights together. */
function assertSmallestPruned(weights: WeightArray[], masks: Uint8Array[]): void {
  let pruned = 0, kept = Infinity;
  weights.forEach((w, l) => w.data.forEach((v, i) => (masks[l][i] ? (kept = Math.min(kept, Math.abs(v))) : (pruned = Math.max(pruned, Math.abs(v))))));
  assert.ok(pruned <= kept, `largest pruned |w| ${pruned} > smallest kept ${kept}`);
}

/** Conv weights [OC, C, KH, KW] as the channels-last operator's W [OC, KH*KW*C] (conv/nhwc.ts nhwcRows: c fastest). */
function nhwcRows(w: Float32Array, [oc, c, kh, kw]: number[]): Float32Array {
  const taps = kh * kw, rows = new Float32Array(w.length);
  for (let o = 0; o < oc; o++) for (let ch = 0; ch < c; ch++) for (let t = 0; t < taps; t++) rows[o * taps * c + t * c + ch] = w[(o * c + ch) * taps + t];
  return rows;
}

const rejects = (error: typeof TypeError | typeof RangeError, message: RegExp) => (e: unknown) => e instanceof error && message.test((e as Error).message);

describe('compress: pruning masks', () => {
  it('thresholdMask prunes |w| < threshold and keeps the rest', () => {
    const w = { dims: [2, 3], data: Float32Array.of(0.1, -0.5, 0.3, -0.2999, 0, 2) };
    assert.deepEqual([...thresholdMask(w, 0.3)], [0, 1, 1, 0, 0, 1]);
    assert.deepEqual([...thresholdMask(w, 0)], [1, 1, 1, 1, 1, 1]);
  });

  it('magnitudeMask prunes exactly round(sparsity x size) of the smallest |w| of a layer, ties to the earlier weight', () => {
    const w = weight([8, 6, 3, 3]);
    for (const s of [0, 0.3, 0.7, 0.95]) {
      const mask = magnitudeMask(w, s);
      assert.equal(zeros(mask), Math.round(s * w.data.length), `sparsity ${s}`);
      assertSmallestPruned([w], [mask]);
    }
    assert.deepEqual([...magnitudeMask({ dims: [2, 2], data: Float32Array.of(1, -1, 1, -1) }, 0.5)], [0, 0, 1, 1]);
  });

  it('globalMagnitudeMasks puts one threshold across layers of different scales', () => {
    const small = weight([16, 8], 2, 0.1), large = weight([4, 8, 3, 3], 3, 1);
    const masks = globalMagnitudeMasks([small, large], 0.5);
    assert.equal(zeros(masks[0]) + zeros(masks[1]), Math.round(0.5 * (small.data.length + large.data.length)));
    assertSmallestPruned([small, large], masks);
    assert.equal(zeros(masks[0]), small.data.length, 'every weight of the small-scale layer falls under the threshold');
    // Per layer, the same sparsity prunes half of each.
    assert.equal(zeros(magnitudeMask(small, 0.5)), small.data.length / 2);
  });

  it('globalMagnitudeMasks with maxLayerSparsity caps each layer and raises the threshold for the others', () => {
    const small = weight([16, 8], 2, 0.1), large = weight([4, 8, 3, 3], 3, 1), mid = weight([8, 8], 5, 0.5);
    const weights = [small, large, mid], total = small.data.length + large.data.length + mid.data.length;
    const masks = globalMagnitudeMasks(weights, 0.5, { maxLayerSparsity: 0.75 });
    assert.equal(masks.reduce((a, m) => a + zeros(m), 0), Math.round(0.5 * total));
    assert.equal(zeros(masks[0]), Math.round(0.75 * small.data.length), 'the small-scale layer stops at the cap');
    assert.deepEqual([...masks[0]], [...magnitudeMask(small, 0.75)], 'its own smallest weights');
    assertSmallestPruned([large, mid], [masks[1], masks[2]]);
    // A cap no layer reaches changes nothing; a cap of 1 is plain global magnitude.
    assert.deepEqual(globalMagnitudeMasks([large, mid], 0.5, { maxLayerSparsity: 0.99 }), globalMagnitudeMasks([large, mid], 0.5));
    assert.deepEqual(globalBlockMasks(weights, 0.5, { maxLayerSparsity: 1 }), globalBlockMasks(weights, 0.5));
    // Blocks: the capped layer is pruned in whole blocks to the cap.
    const blocks = globalBlockMasks(weights, 0.5, { maxLayerSparsity: 0.75 });
    assert.equal(zeros(blocks[0]), Math.round(0.75 * small.data.length));
    assert.ok(Math.abs(blocks.reduce((a, m) => a + zeros(m), 0) - Math.round(0.5 * total)) < 4);
  });

  it('nmMask keeps the n largest of every m consecutive input channels at each output channel and kernel position', () => {
    for (const [n, m] of [[2, 4], [1, 4], [3, 8]]) {
      const dims = [6, 16, 3, 2], w = weight(dims, 4);
      const mask = nmMask(w, { n, m });
      const taps = 6;
      for (let o = 0; o < 6; o++)
        for (let t = 0; t < taps; t++)
          for (let c0 = 0; c0 < 16; c0 += m) {
            const at = Array.from({ length: m }, (_, j) => (o * 16 + c0 + j) * taps + t);
            assert.equal(at.filter((i) => mask[i]).length, n, `${n}:${m} group (${o}, ${c0}, ${t})`);
            const keptMin = Math.min(...at.filter((i) => mask[i]).map((i) => Math.abs(w.data[i])));
            assert.ok(at.filter((i) => !mask[i]).every((i) => Math.abs(w.data[i]) <= keptMin));
          }
    }
    assert.deepEqual([...nmMask({ dims: [1, 4], data: Float32Array.of(1, 1, -1, 1) })], [1, 1, 0, 0], 'ties keep the lower channels');
  });

  it('nmMask groups a dense weight along its input axis, [out, in] or [in, out]', () => {
    const w = weight([5, 8], 5);
    const mask = nmMask(w);
    // The same weight stored [in, out]: the transposed mask.
    const t = Float32Array.from({ length: 40 }, (_, i) => w.data[(i % 5) * 8 + Math.floor(i / 5)]);
    const maskT = nmMask({ dims: [8, 5], data: t, inputMajor: true });
    for (let o = 0; o < 5; o++) for (let c = 0; c < 8; c++) assert.equal(maskT[c * 5 + o], mask[o * 8 + c]);
  });

  it('nmMask masks run on sparq\'s 2:4 kernels: the dense layer\'s W [N, K] and a conv\'s channels-last W [OC, KH*KW*C]', () => {
    const x = tensor('float32', [72, 3], randomFloats(216, rng(9)));
    const cases: [string, WeightArray, (d: Float32Array) => Float32Array][] = [
      ['dense [16, 72]', weight([16, 72], 6), (d) => d],
      ['conv [16, 8, 3, 3]', weight([16, 8, 3, 3], 7), (d) => nhwcRows(d, [16, 8, 3, 3])],
    ];
    for (const [what, w, rows] of cases) {
      const pruned = tensor('float32', [16, 72], rows(applyMask(w.data, nmMask(w))));
      // linear() refuses a forced 'nm2:4' for weights whose groups hold more than 2 nonzeros.
      const sparse = cpu.linear(pruned, { kernel: 'nm2:4' }), dense = cpu.linear(pruned, { kernel: 'dense' });
      const [ys, yd] = [sparse.run(x).data as Float32Array, dense.run(x).data as Float32Array];
      yd.forEach((v, i) => assert.ok(Math.abs(ys[i] - v) <= 1e-5 * (1 + Math.abs(v)), `${what}: [${i}] ${ys[i]} vs ${v}`));
      sparse.dispose();
      dense.dispose();
    }
  });

  it('blockMask prunes whole [4 x 1] blocks (4 output channels at one input channel and tap) as the float sparse kernels store them', () => {
    const dims = [8, 5, 3, 3], w = weight(dims, 8);
    const mask = blockMask(w, 0.6);
    const size = w.data.length, per = size / 8;
    for (let o0 = 0; o0 < 8; o0 += 4)
      for (let i = 0; i < per; i++)
        for (let o = o0 + 1; o < o0 + 4; o++) assert.equal(mask[o * per + i], mask[o0 * per + i], `block (${o0}, ${i})`);
    assert.ok(zeros(mask) <= Math.round(0.6 * size) && zeros(mask) > Math.round(0.6 * size) - 4, `${zeros(mask)} zeros`);
    assert.equal(blockDensity(applyMask(w.data, mask), 8, 4), (size - zeros(mask)) / size);
  });

  it('blockMask \'int8\' prunes [4 x 4] output x input channel blocks at one tap, qu8s8-conv2d\'s, as the CIFAR fixture\'s pruneBlocks does', () => {
    const dims = [8, 8, 3, 3], w = weight(dims, 10);
    const mask = blockMask(w, 0.5, { block: 'int8' });
    const pruned = applyMask(w.data, mask);
    assert.equal(blockDensity(pruned, 8, 4, 4, 9), 0.5);
    assert.deepEqual(pruned, pruneBlocks(w.data, 8, 4, 0.5, 9));
  });

  it('blockMask prunes edge blocks as blocks of their own, scored as if full size', () => {
    // [6, 3] in [4 x 4] blocks: rows 0-3 (12 weights of |1|) and rows 4-5 (6 of |1.2|).
    const data = Float32Array.from({ length: 18 }, (_, i) => (i < 12 ? 1 : -1.2));
    const mask = blockMask({ dims: [6, 3, 1, 1], data }, 0.67, { block: [4, 4] });
    // The full block has the lower per-weight norm: pruned first, though its plain L2 norm (3.5) is above the edge block's (2.9).
    assert.deepEqual([...mask], [...new Array(12).fill(0), ...new Array(6).fill(1)]);
    // A target below the full block's 12 weights: the edge block still fits.
    assert.deepEqual([...blockMask({ dims: [6, 3, 1, 1], data }, 0.34, { block: [4, 4] })], [...new Array(12).fill(1), ...new Array(6).fill(0)]);
  });

  it('blockMask scores blocks by L2 (default) or L1, and globalBlockMasks across layers', () => {
    // Block 0 holds one large weight, block 1 four middling ones: L2 2 vs 1.8, L1 2 vs 3.6.
    const w = { dims: [8, 1], data: Float32Array.of(2, 0, 0, 0, 0.9, 0.9, -0.9, 0.9) };
    assert.deepEqual([...blockMask(w, 0.5)], [1, 1, 1, 1, 0, 0, 0, 0]);
    assert.deepEqual([...blockMask(w, 0.5, { norm: 'l1' })], [0, 0, 0, 0, 1, 1, 1, 1]);
    const other = { dims: [4, 2], data: new Float32Array(8).fill(0.5) };
    const masks = globalBlockMasks([w, other], 0.5);
    assert.deepEqual(masks.map((m) => [...m]), [[1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]]);
  });

  it('maskParam zeroes a trainer param\'s value and gradient where pruned and keeps the mask on it', () => {
    const p = param('fc.weight', [2, 4], Float32Array.of(1, -2, 3, -4, 5, -6, 7, -8), true);
    p.grad.fill(1);
    const mask = magnitudeMask(paramWeight(p), 0.5);
    maskParam(p, mask);
    assert.deepEqual([...p.value], [0, 0, 0, 0, 5, -6, 7, -8]);
    assert.deepEqual([...p.grad], [0, 0, 0, 0, 1, 1, 1, 1]);
    assert.deepEqual([...p.mask!], [...mask]);
    assert.notEqual(p.mask, mask, 'a copy: the caller\'s array can change');
    assert.throws(() => maskParam(p, new Uint8Array(3)), rejects(RangeError, /^mask must have 8 entries/));
    assert.throws(() => maskParam(p, [1, 0] as never), rejects(TypeError, /^mask must be a Uint8Array/));
  });

  it('reject bad weights and options with errors naming them', () => {
    const w = weight([4, 4]);
    assert.throws(() => magnitudeMask(w, 1), rejects(RangeError, /^sparsity must be in \[0, 1\), got 1/));
    assert.throws(() => magnitudeMask(w, '0.5' as never), rejects(TypeError, /^sparsity must be a number/));
    assert.throws(() => magnitudeMask({ dims: [4, 4], data: new Float64Array(16) } as never, 0.5), rejects(TypeError, /^weight\.data must be a Float32Array/));
    assert.throws(() => magnitudeMask({ dims: [4, 5], data: new Float32Array(16) }, 0.5), rejects(RangeError, /^weight\.data has 16 elements but dims \[4, 5\] need 20/));
    assert.throws(() => magnitudeMask({ dims: [16], data: new Float32Array(16) }, 0.5), rejects(RangeError, /^weight\.dims must have 2 dimensions or more/));
    assert.throws(() => magnitudeMask({ dims: [2, 2, 2, 2], data: new Float32Array(16), inputMajor: true }, 0.5), rejects(RangeError, /^weight\.inputMajor applies to 2-D weights only/));
    assert.throws(() => magnitudeMask({ dims: [4, 4], data: new Float32Array(16).fill(NaN) }, 0.5), rejects(RangeError, /^weight\.data \[0\] = NaN is not finite/));
    assert.throws(() => globalMagnitudeMasks([w, { dims: [1, 2], data: new Float32Array(3) }], 0.5), rejects(RangeError, /^weights\[1\]\.data has 3 elements/));
    assert.throws(() => globalMagnitudeMasks([w], 0.5, { maxLayerSparsity: 0 }), rejects(RangeError, /^options\.maxLayerSparsity must be in \(0, 1\], got 0/));
    assert.throws(() => globalMagnitudeMasks([w], 0.5, { maxLayerSparsity: 0.4 }), rejects(RangeError, /^options\.maxLayerSparsity is 0\.4, below the sparsity 0\.5/));
    assert.throws(() => globalBlockMasks([w], 0.5, { maxLayerSparsity: '1' as never }), rejects(TypeError, /^options\.maxLayerSparsity must be a number/));
    assert.throws(() => thresholdMask(w, -1), rejects(RangeError, /^threshold must be a finite number >= 0/));
    assert.throws(() => nmMask(w, { n: 3, m: 2 }), rejects(RangeError, /^options\.m must be an integer in \[3, 255\]/));
    assert.throws(() => nmMask(weight([4, 6]), { n: 2, m: 4 }), rejects(RangeError, /^weight\.dims have 6 input channels, not a multiple of options\.m = 4/));
    assert.throws(() => blockMask(w, 0.5, { block: [0, 1] }), rejects(RangeError, /^options\.block\[0\] must be an integer/));
    assert.throws(() => blockMask(w, 0.5, { block: 'int4' as never }), rejects(RangeError, /^options\.block must be one of 'float32', 'int8'/));
    assert.throws(() => blockMask(w, 0.5, { norm: 'l3' as never }), rejects(RangeError, /^options\.norm must be one of 'l2', 'l1'/));
    assert.throws(() => applyMask(w.data, new Uint8Array(2)), rejects(RangeError, /^mask must have 16 entries/));
  });
});
