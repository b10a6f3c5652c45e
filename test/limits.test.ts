/**
 * Size limits (src/limits.ts): each limit lets a size just at it through and
 * refuses one byte over with a LimitError naming the limit, the size and how
 * to raise it, before the big allocation or read. Sizes far over the
 * defaults show the check comes first: allocating them would take gigabytes
 * (or, for Range, abort the process).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { cpu, DEFAULT_LIMITS, InferenceSession, LimitError, limits, setLimits, tensor, type Limits } from '../src/index.js';
import { encodeOnnxModel, type OnnxGraph, type OnnxTensor } from '../src/runtime/onnx/write.js';
import { randomFloats, rng } from './helpers.js';

/** Asserts `e` is the LimitError for `limit` at `value` bytes over `max`. */
function isLimit(limit: keyof Limits, value: number, max: number) {
  return (e: unknown) => {
    assert.ok(e instanceof LimitError && e instanceof RangeError, String(e));
    assert.deepEqual([e.limit, e.value, e.max], [limit, value, max]);
    assert.match(e.message, new RegExp(`needs ${value} bytes, over the ${limit} limit of ${max} bytes; raise it with setLimits\\(\\{ ${limit} \\}\\)`));
    return true;
  };
}

const f32 = (name: string, dims: number[], seed = 1): OnnxTensor => ({ name, type: 'float', dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), rng(seed)) });

/** y = x * w with x [64, 8] (2 KiB), w [8, 256] (8 KiB) and y [64, 256] (64 KiB). */
function matmul(w: OnnxTensor = f32('w', [8, 256])): OnnxGraph {
  return {
    nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: [w],
    inputs: [{ name: 'x', type: 'float', dims: [64, 8] }],
    outputs: [{ name: 'y', type: 'float', dims: [64, 256] }],
  };
}
const X = { x: tensor('float32', [64, 8], randomFloats(64 * 8, rng(2))) };

describe('limits', () => {
  let saved: Readonly<Limits>;
  beforeEach(() => (saved = limits()));
  afterEach(() => setLimits(saved));

  it('setLimits sets the fields given, returns the previous limits, and checks its argument', () => {
    assert.deepEqual(limits(), DEFAULT_LIMITS);
    const previous = setLimits({ maxTensorBytes: 1000 });
    assert.deepEqual(previous, DEFAULT_LIMITS);
    assert.deepEqual(limits(), { ...DEFAULT_LIMITS, maxTensorBytes: 1000 });
    setLimits({ maxModelBytes: Infinity });
    assert.equal(limits().maxModelBytes, Infinity);
    assert.throws(() => setLimits({ maxTensorBytes: 0 }), /limits.maxTensorBytes must be a positive integer or Infinity, got 0/);
    assert.throws(() => setLimits({ maxTensorBytes: 1.5 }), RangeError);
    assert.throws(() => setLimits({ maxModelBytes: '1' as unknown as number }), TypeError);
    assert.throws(() => setLimits({ maxBytes: 1 } as Partial<Limits>), /unknown field "maxBytes"/);
    assert.throws(() => setLimits(null as unknown as Limits), TypeError);
  });

  describe('kernel results', () => {
    const ones = (dims: number[]) => tensor('float32', dims, new Float32Array(dims[0] * dims[1]).fill(1));

    it('a result just at maxTensorBytes is computed, one over is refused', () => {
      setLimits({ maxTensorBytes: 1024 });
      assert.equal(cpu.gemm(ones([16, 1]), ones([1, 16])).data.length, 256);
      assert.throws(() => cpu.gemm(ones([16, 1]), ones([1, 17])), isLimit('maxTensorBytes', 1088, 1024));
    });

    it('the default refuses an 8 GiB result before allocating it', () => {
      assert.throws(() => cpu.gemm(ones([2 ** 15, 1]), ones([1, 2 ** 16])), isLimit('maxTensorBytes', 2 ** 33, DEFAULT_LIMITS.maxTensorBytes));
    });
  });

  describe('InferenceSession', () => {
    it('maxModelBytes: model bytes at the limit load, one byte over is refused', async () => {
      const bytes = encodeOnnxModel(matmul());
      await (await InferenceSession.create(bytes, { limits: { maxModelBytes: bytes.length } })).release();
      await assert.rejects(InferenceSession.create(bytes, { limits: { maxModelBytes: bytes.length - 1 } }), isLimit('maxModelBytes', bytes.length, bytes.length - 1));
    });

    it('maxModelBytes: a model file is refused by its size, before it is read', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-limits-'));
      try {
        const file = path.join(dir, 'huge.onnx');
        // Sparse: 40 GiB on paper, no disk used; reading it would fail (or take the memory).
        fs.closeSync(fs.openSync(file, 'w'));
        fs.truncateSync(file, 40 * 2 ** 30);
        await assert.rejects(InferenceSession.create(file), isLimit('maxModelBytes', 40 * 2 ** 30, DEFAULT_LIMITS.maxModelBytes));
      } finally {
        fs.rmSync(dir, { recursive: true });
      }
    });

    it('maxModelBytes counts external data, refused before it is read', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-limits-'));
      try {
        const w = f32('w', [8, 256]);
        fs.writeFileSync(path.join(dir, 'w.bin'), w.data as Float32Array);
        const file = path.join(dir, 'model.onnx');
        fs.writeFileSync(file, encodeOnnxModel(matmul({ ...w, storage: { location: 'w.bin' } })));
        const total = fs.statSync(file).size + 8 * 256 * 4;
        await (await InferenceSession.create(file, { limits: { maxModelBytes: total } })).release();
        await assert.rejects(InferenceSession.create(file, { limits: { maxModelBytes: total - 1 } }), isLimit('maxModelBytes', total, total - 1));
      } finally {
        fs.rmSync(dir, { recursive: true });
      }
    });

    it('maxTensorBytes: an initializer at the limit loads, one byte over is refused', async () => {
      const bytes = encodeOnnxModel(matmul());
      const session = await InferenceSession.create(bytes, { limits: { maxTensorBytes: 2 ** 16 } });
      await session.release();
      await assert.rejects(InferenceSession.create(bytes, { limits: { maxTensorBytes: 8191 } }), (e: Error) => /tensor "w"/.test(e.message) && isLimit('maxTensorBytes', 8192, 8191)(e));
    });

    it('maxTensorBytes: a feed over the limit is refused', async () => {
      const session = await InferenceSession.create(encodeOnnxModel(matmul()), { limits: { maxTensorBytes: 2047 + 2 ** 16 } });
      try {
        await session.run(X);
        setLimits({ maxTensorBytes: 2047 });
        // The session's own limit is in force, not the process's.
        await session.run(X);
      } finally {
        await session.release();
      }
      const strict = await InferenceSession.create(encodeOnnxModel(matmul(f32('w', [8, 1]))), { limits: { maxTensorBytes: 2047 } });
      try {
        await assert.rejects(strict.run(X), (e: Error) => /feeds\["x"\]/.test(e.message) && isLimit('maxTensorBytes', 2048, 2047)(e));
      } finally {
        await strict.release();
      }
    });

    it('maxTensorBytes: a value the run computes is refused before it is allocated', async () => {
      const bytes = encodeOnnxModel(matmul());
      for (const runSync of [false, true]) {
        const fits = await InferenceSession.create(bytes, { limits: { maxTensorBytes: 2 ** 16 } });
        const over = await InferenceSession.create(bytes, { limits: { maxTensorBytes: 2 ** 16 - 1 } });
        try {
          assert.equal((runSync ? fits.runSync(X) : await fits.run(X)).y.data.length, 64 * 256);
          const check = isLimit('maxTensorBytes', 2 ** 16, 2 ** 16 - 1);
          if (runSync) assert.throws(() => over.runSync(X), check);
          else await assert.rejects(over.run(X), check);
        } finally {
          await Promise.all([fits.release(), over.release()]);
        }
      }
      assert.deepEqual(limits(), DEFAULT_LIMITS);
    });

    it('the default refuses a ConstantOfShape of a trillion values', async () => {
      const constant = encodeOnnxModel({
        nodes: [{ opType: 'ConstantOfShape', inputs: ['shape'], outputs: ['y'] }],
        initializers: [{ name: 'shape', type: 'int64', dims: [2], data: BigInt64Array.of(1000000n, 1000000n) }],
        inputs: [], outputs: [{ name: 'y', type: 'float', dims: null }],
      });
      await assert.rejects(InferenceSession.create(constant), isLimit('maxTensorBytes', 4e12, DEFAULT_LIMITS.maxTensorBytes));
    });

    it('checks options.limits', async () => {
      const bytes = encodeOnnxModel(matmul());
      await assert.rejects(InferenceSession.create(bytes, { limits: { maxTensorBytes: -1 } }), /options.limits.maxTensorBytes must be a positive integer/);
      await assert.rejects(InferenceSession.create(bytes, { limits: 5 as unknown as Partial<Limits> }), TypeError);
    });
  });

  it('a Range of a trillion values no longer aborts the process (regression: JS heap out of memory)', () => {
    // In a child with a small heap: before the check, the values were pushed to an array until V8 aborted.
    const script = `import { InferenceSession } from './src/index.js';
import { encodeOnnxModel } from './src/runtime/onnx/write.js';
const s = (name, v) => ({ name, type: 'float', dims: [], data: Float32Array.of(v) });
const bytes = encodeOnnxModel({ nodes: [{ opType: 'Range', inputs: ['s', 'l', 'd'], outputs: ['y'] }], initializers: [s('s', 0), s('l', 1e12), s('d', 1)], inputs: [], outputs: [{ name: 'y', type: 'float', dims: null }] });
await InferenceSession.create(bytes).catch((e) => console.log(e.name));`;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const out = execFileSync(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60000 });
    assert.equal(out.trim(), 'LimitError');
  });
});
