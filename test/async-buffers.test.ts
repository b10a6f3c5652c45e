// The buffer contract of async calls (issue 11): JS may detach or transfer an
// ArrayBuffer while an async kernel runs; the call must neither crash the
// process nor read freed memory. Async calls work on a copy of
// ArrayBuffer-backed arrays made when the call is made; SharedArrayBuffer
// memory is used in place. And every kernel takes SharedArrayBuffer-backed
// arrays wherever it takes arrays.
import assert from 'node:assert/strict';

import { cpu, SparseMatrix, tensor } from '../src/index.js';
import { assertSameArray, randomFloats, randomInts, rng } from './helpers.js';

/** Moves the memory out from under `buffer`'s views and lets the collector free it. */
function detach(buffer: ArrayBufferLike): void {
  structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
  for (let i = 0; i < 8; i++) new Float32Array(1 << 20).fill(7);
}

/** The same values in an array over a SharedArrayBuffer. */
function shared<T extends Float32Array | Int32Array | Uint8Array | Int8Array>(a: T): T {
  const ctor = a.constructor as new (b: SharedArrayBuffer) => T;
  const copy = new ctor(new SharedArrayBuffer(a.byteLength));
  copy.set(a as never);
  return copy;
}

describe('async calls and the buffers they use', () => {
  const n = 384;
  const r = rng(71);
  const aData = randomFloats(n * n, r);
  let w: ReturnType<typeof cpu.packWeights>;
  let expected: Float32Array;
  before(() => {
    w = cpu.packWeights(tensor('float32', [n, n], randomFloats(n * n, r)));
    expected = cpu.gemm(tensor('float32', [n, n], aData), w).data;
  });

  it('rejects, without crashing, when the output is detached while the call runs (the issue\'s reproducer)', async () => {
    const out = new Float32Array(n * n);
    const p = cpu.gemmAsync(tensor('float32', [n, n], aData.slice()), w, { out });
    detach(out.buffer);
    await assert.rejects(p, /detached or shrunk while the call ran/);
  });

  it('computes from the input as it was when called, even if it is detached meanwhile', async () => {
    const a = aData.slice();
    const p = cpu.gemmAsync(tensor('float32', [n, n], a), w);
    detach(a.buffer);
    assertSameArray((await p).data, expected, 'gemm of a detached input');
  });

  it('keeps detached inputs and outputs of every async kernel from crashing', async () => {
    const x = randomFloats(4096, r, 4);
    const q = randomInts(Uint8Array, 4096, 0, 255, r);
    const acc = randomInts(Int32Array, 4096, -5000, 5000, r);
    const calls: [string, () => { inputs: ArrayBufferLike[]; run: Promise<unknown> }][] = [
      ['quantize', () => { const d = x.slice(); return { inputs: [d.buffer], run: cpu.quantizeAsync(tensor('float32', [4096], d), { type: 'uint8', scale: 0.1, zeroPoint: 3 }) }; }],
      ['dequantize', () => { const d = q.slice(); return { inputs: [d.buffer], run: cpu.dequantizeAsync(tensor('uint8', [4096], d, { scale: 0.5, zeroPoint: 7 })) }; }],
      ['requantize', () => { const d = acc.slice(); return { inputs: [d.buffer], run: cpu.requantizeAsync(tensor('int32', [4096], d, { scale: 0.01 }), { type: 'int8', scale: 1 }) }; }],
      ['minmax', () => { const d = x.slice(); return { inputs: [d.buffer], run: cpu.minmaxAsync(tensor('float32', [4096], d)) }; }],
      ['transpose', () => { const d = x.slice(); return { inputs: [d.buffer], run: cpu.transposeAsync(tensor('float32', [64, 64], d)) }; }],
      ['maxPool', () => { const d = x.slice(); return { inputs: [d.buffer], run: cpu.maxPoolAsync(tensor('float32', [1, 4, 32, 32], d), { kernelShape: [2, 2], strides: [2, 2] }) }; }],
      ['im2col', () => { const d = x.slice(); return { inputs: [d.buffer], run: cpu.im2colAsync(tensor('float32', [1, 4, 32, 32], d), { kernelShape: [3, 3] }) }; }],
      ['dwconv2d', () => { const d = x.slice(), w = x.slice(0, 36); return { inputs: [d.buffer, w.buffer], run: cpu.dwconv2dAsync(tensor('float32', [1, 4, 32, 32], d), tensor('float32', [4, 1, 3, 3], w), { pads: [1, 1, 1, 1] }) }; }],
    ];
    for (const [name, make] of calls) {
      const expectedValue = await make().run;
      const { inputs, run } = make();
      inputs.forEach(detach);
      assert.deepEqual(await run, expectedValue, name);
    }
  });

  it('takes SharedArrayBuffer-backed arrays everywhere, in place, sync and async', async () => {
    const k = 40, m = 24;
    const x = randomFloats(k * m, r, 3);
    const q8 = randomInts(Int8Array, k * m, -128, 127, r);
    const u8 = randomInts(Uint8Array, k * m, 0, 255, r);
    const acc = randomInts(Int32Array, k * m, -5000, 5000, r);
    const sparse = SparseMatrix.fromDense(tensor('float32', [m, k], randomFloats(m * k, r).map((v) => (Math.abs(v) < 0.7 ? 0 : v))), { format: 'csr' });
    const qw = cpu.packWeights(tensor('int8', [k, m], q8, { scale: 0.02 }));
    const ops: [string, (s: <T extends Float32Array | Int32Array | Uint8Array | Int8Array>(a: T) => T, async: boolean) => unknown][] = [
      ['gemm', (s, a) => (a ? cpu.gemmAsync : cpu.gemm)(tensor('float32', [m, k], s(x)), cpu.packWeights(tensor('float32', [k, m], s(x))), { out: s(new Float32Array(m * m)) })],
      ['int8 packWeights + qgemm', (s, a) => (a ? cpu.qgemmAsync : cpu.qgemm)(tensor('uint8', [m, k], s(u8), { scale: 0.1, zeroPoint: 9 }),
        cpu.packWeights(tensor('int8', [k, m], s(q8), { scale: 0.02 })), { output: 'uint8', outScale: 0.3, outZeroPoint: 100, out: s(new Uint8Array(m * m)) })],
      ['qgemm int32', (s, a) => (a ? cpu.qgemmAsync : cpu.qgemm)(tensor('uint8', [m, k], s(u8), { scale: 0.1, zeroPoint: 9 }), qw, { output: 'int32', out: s(new Int32Array(m * m)) })],
      ['quantize', (s, a) => (a ? cpu.quantizeAsync : cpu.quantize)(tensor('float32', [k * m], s(x)), { type: 'int8', scale: 0.05, out: s(new Int8Array(k * m)) })],
      ['dequantize', (s, a) => (a ? cpu.dequantizeAsync : cpu.dequantize)(tensor('int8', [k * m], s(q8), { scale: 0.5, zeroPoint: -3 }), { out: s(new Float32Array(k * m)) })],
      ['requantize', (s, a) => (a ? cpu.requantizeAsync : cpu.requantize)(tensor('int32', [k * m], s(acc), { scale: 0.02 }), { type: 'uint8', scale: 1, zeroPoint: 128, out: s(new Uint8Array(k * m)) })],
      ['transpose', (s, a) => (a ? cpu.transposeAsync : cpu.transpose)(tensor('int8', [k, m], s(q8)), { out: s(new Int8Array(k * m)) })],
      ['spmm', (s, a) => (a ? cpu.spmmAsync : cpu.spmm)(sparse, tensor('float32', [k, m], s(x)), { out: s(new Float32Array(m * m)) })],
      ['maxPool', (s, a) => (a ? cpu.maxPoolAsync : cpu.maxPool)(tensor('uint8', [2, 4, 10, 12], s(u8.subarray(0, 960))), { kernelShape: [2, 2], strides: [2, 2], out: s(new Uint8Array(2 * 4 * 5 * 6)) })],
      ['im2col', (s, a) => (a ? cpu.im2colAsync : cpu.im2col)(tensor('float32', [1, 2, 16, 30], s(x)), { kernelShape: [3, 3], out: s(new Float32Array(14 * 28 * 18)) })],
    ];
    const plain = <T,>(v: T) => v;
    for (const [name, op] of ops) {
      const want = (await op(plain, false)) as { data: ArrayLike<number> };
      for (const async of [false, true]) {
        const got = (await op(shared, async)) as { data: ArrayLike<number> };
        assert.ok((got.data as Float32Array).buffer instanceof SharedArrayBuffer, `${name}: result in the shared out`);
        assertSameArray(got.data, want.data, `${name} (${async ? 'async' : 'sync'}, shared)`);
      }
    }
  });
});
