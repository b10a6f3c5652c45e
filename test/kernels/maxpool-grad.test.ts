import assert from 'node:assert/strict';

import { maxPoolGradNhwc } from '../../src/backends/cpu/maxpool.js';
import { refMaxPoolGradNhwc } from '../../src/backends/reference/maxpool.js';
import { familyVariants, native } from '../../src/native.js';
import { cpu, tensor } from '../../src/index.js';
import { rng } from '../helpers.js';

/** got and want equal value for value, zero signs told apart and NaNs alike. */
function assertSame(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let k = 0; k < want.length; k++) if (!Object.is(got[k], want[k])) assert.fail(`${what}: index ${k}: got ${got[k]}, expected ${want[k]}`);
}

describe('maxPoolGradNhwc (f32-maxpool-grad-nhwc: every variant against the reference, bit for bit)', () => {
  const addon = native();
  const variants = addon ? familyVariants(addon, 'f32-maxpool-grad-nhwc').filter((v) => v.supported).map((v) => v.name) : [];
  // Channels across every width's vectors and tails (4, 8, 16 floats).
  const CHANNELS = [1, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65];
  // Few distinct values: ties in a window, zeros of both signs, NaN windows, windows with nothing > 0.
  const values = [0, -0, 1, 2, -1, NaN, 0.5];

  /** x, the pool's output y (the first max of each window, as the forward gives) and a gradient dy with -0 and NaN. */
  function pooled(dims: [number, number, number, number], r: () => number) {
    const [n, h, w, c] = dims, oh = Math.floor(h / 2), ow = Math.floor(w / 2);
    const x = Float32Array.from({ length: n * h * w * c }, () => values[Math.floor(r() * values.length)]);
    const y = new Float32Array(n * oh * ow * c);
    for (let b = 0, o = 0; b < n; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let ch = 0; ch < c; ch++, o++) {
            let m = -Infinity;
            for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
              const v = x[((b * h + 2 * i + di) * w + 2 * j + dj) * c + ch];
              if (v > m) m = v;
            }
            // A window of NaN and -Infinity-free values keeps -Infinity, which no input equals: it passes nothing.
            y[o] = m;
          }
    const dy = Float32Array.from(y, () => [-0, NaN, r() - 0.5, r() - 0.5][Math.floor(r() * 4)]);
    const t = (d: number[], data: Float32Array) => tensor('float32', d, data);
    return { x: t(dims, x), y: t([n, oh, ow, c], y), dy: t([n, oh, ow, c], dy) };
  }

  for (const variant of variants)
    it(`${variant}: even and odd sizes, every channel tail, with and without positiveOnly`, () => {
      const r = rng(41);
      for (const c of CHANNELS)
        for (const [n, h, w] of [[1, 2, 2], [2, 5, 6], [1, 6, 7], [2, 7, 5]])
          for (const positiveOnly of [false, true]) {
            const { x, y, dy } = pooled([n, h, w, c], r);
            const want = new Float32Array(x.data.length);
            refMaxPoolGradNhwc(x.data, y.data, dy.data, want, n, h, w, c, positiveOnly);
            // Every value written: out starts as garbage.
            const out = new Float32Array(x.data.length).fill(7);
            const got = maxPoolGradNhwc(x, y, dy, { positiveOnly, variant, out });
            assert.equal(got.data, out);
            assert.deepEqual(got.dims, x.dims);
            assertSame(out, want, `${variant} C=${c} ${n}x${h}x${w} positiveOnly ${positiveOnly}`);
          }
    });

  it('splits rows across 2 threads with the same result, and zeroes an image with no window', () => {
    const r = rng(42);
    const { x, y, dy } = pooled([4, 26, 26, 32], r);
    const threads = cpu.info().threads;
    try {
      cpu.setThreads(1);
      const one = Float32Array.from(maxPoolGradNhwc(x, y, dy, { positiveOnly: true }).data);
      cpu.setThreads(2);
      assertSame(maxPoolGradNhwc(x, y, dy, { positiveOnly: true }).data, one, '2 threads');
    } finally {
      cpu.setThreads(threads);
    }
    const flat = tensor('float32', [1, 1, 4, 2], new Float32Array(8).fill(1));
    const none = tensor('float32', [1, 0, 2, 2]);
    assertSame(maxPoolGradNhwc(flat, none, none, { out: new Float32Array(8).fill(7) }).data, new Float32Array(8), 'height 1');
  });

  describe('validation', () => {
    const x = tensor('float32', [1, 4, 5, 2]), y = tensor('float32', [1, 2, 2, 2]);
    const cases: [string, () => unknown, RegExp][] = [
      ['a 3-D x', () => maxPoolGradNhwc(tensor('float32', [4, 5, 2]), y, y), /^RangeError: x/],
      ['y of other dims', () => maxPoolGradNhwc(x, tensor('float32', [1, 2, 3, 2]), y), /^RangeError: y\.dims must be \[1, 2, 2, 2\]/],
      ['dy of other dims', () => maxPoolGradNhwc(x, y, tensor('float32', [1, 2, 2, 1])), /^RangeError: dy\.dims must be \[1, 2, 2, 2\]/],
      ['an int8 dy', () => maxPoolGradNhwc(x, y, tensor('int8', [1, 2, 2, 2]) as never), /^TypeError: dy must be a tensor of type/],
      ['a non-boolean positiveOnly', () => maxPoolGradNhwc(x, y, y, { positiveOnly: 1 as never }), /^TypeError: options\.positiveOnly/],
      ['an out of other size', () => maxPoolGradNhwc(x, y, y, { out: new Float32Array(39) }), /^RangeError: options\.out/],
      ['an out overlapping dy', () => { const b = new Float32Array(48); maxPoolGradNhwc(x, y, tensor('float32', [1, 2, 2, 2], b.subarray(36, 44)), { out: b.subarray(0, 40) }); }, /^RangeError: options\.out/],
      ['an unknown variant', () => maxPoolGradNhwc(x, y, y, { variant: 'f32-maxpool-nhwc-scalar' }), /^RangeError: unknown variant f32-maxpool-nhwc-scalar/],
    ];
    for (const [what, call, error] of cases) it(`rejects ${what}`, () => assert.throws(call, error));

    (addon ? it : it.skip)('the binding re-checks sizes', () => {
      const a = addon!;
      const valid = {
        variant: null, x: new Float32Array(40), y: new Float32Array(8), dy: new Float32Array(8), dx: new Float32Array(40), images: 1, height: 4,
        width: 5, channels: 2, positiveOnly: false, async: false as const,
      };
      assert.throws(() => a.maxPoolGradNhwc({ ...valid, dx: new Float32Array(39) }), /^RangeError: dx has 39 elements, needs at least 40/);
      assert.throws(() => a.maxPoolGradNhwc({ ...valid, dy: new Float32Array(7) }), /^RangeError: dy has 7 elements, needs at least 8/);
      assert.throws(() => a.maxPoolGradNhwc({ ...valid, height: 1 }), /^RangeError: images and channels must be >= 1, height and width >= 2/);
      assert.throws(() => a.maxPoolGradNhwc({ ...valid, y: new Uint8Array(8) as never }), /^TypeError: y must be a Float32Array/);
    });
  });
});
