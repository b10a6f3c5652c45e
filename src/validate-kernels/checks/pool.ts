/** Max pooling: f32-maxpool (NCHW), f32-maxpool-nhwc (float32, uint8, int8) and f32-maxpool-grad-nhwc, bit for bit. */
import { cpu } from '../../backends/cpu/backend.js';
import { maxPoolGradNhwc } from '../../backends/cpu/maxpool.js';
import { refMaxPool, refMaxPoolGradNhwc, refMaxPoolNhwc } from '../../backends/reference/maxpool.js';
import { maxPoolGeometry } from '../../ops/maxpool.js';
import { tensor } from '../../tensor.js';
import { exact, identical, type KernelCheck, type ValidateLevel } from '../check.js';
import { floats, ints, mulberry32, pick, type Random } from '../random.js';

type PoolType = 'float32' | 'uint8' | 'int8';

interface PoolCase {
  type: PoolType; n: number; c: number; h: number; w: number;
  kernelShape: [number, number]; strides: [number, number]; pads: [number, number, number, number];
  x: Float32Array | Uint8Array | Int8Array;
}

/** Windows 2x2 stride 2 unpadded (the vector kernels' case) half the time, else 1-3 wide, strided and padded. */
function poolCases(r: Random, level: ValidateLevel, types: readonly PoolType[]): PoolCase[] {
  const out: PoolCase[] = [];
  while (out.length < (level === 'full' ? 200 : 12)) {
    const type = pick(types, r);
    const n = pick([1, 2], r), c = pick([1, 3, 4, 8, 15, 16, 17, 33, 64], r), h = pick([2, 3, 5, 8, 13], r), w = pick([2, 4, 7, 9, 16, 33], r);
    const standard = r() < 0.5;
    const k = standard ? 2 : pick([1, 2, 3], r), s = standard ? 2 : pick([1, 2], r), p = standard ? 0 : Math.floor(r() * k);
    if (h + 2 * p < k || w + 2 * p < k) continue;
    const size = n * c * h * w;
    const x = type === 'float32' ? floats(size, r, 10) : type === 'uint8' ? ints(Uint8Array, size, 0, 255, r) : ints(Int8Array, size, -128, 127, r);
    out.push({ type, n, c, h, w, kernelShape: [k, k], strides: [s, s], pads: [p, p, p, p], x });
  }
  return out;
}

export const options = (c: PoolCase) => ({ kernelShape: c.kernelShape, strides: c.strides, pads: c.pads });
const describePool = (c: PoolCase, layout: string) => `${c.type} ${layout} n=${c.n} c=${c.c} h=${c.h} w=${c.w} kernel [${c.kernelShape}] strides [${c.strides}] pads [${c.pads}]`;
const empty = (c: PoolCase, size: number) => new (c.x.constructor as new (n: number) => PoolCase['x'])(size);

export const f32Maxpool: KernelCheck<PoolCase> = {
  family: 'f32-maxpool',
  variantsOf: 'f32-maxpool',
  tolerance: 'exact',
  cases: (seed, level) => poolCases(mulberry32(seed), level, ['float32', 'float32', 'uint8']),
  describe: (c) => describePool(c, 'NCHW'),
  run: (c, variant) => cpu.maxPool(tensor(c.type, [c.n, c.c, c.h, c.w], c.x as never), { ...options(c), variant }).data,
  reference(c) {
    const g = maxPoolGeometry([c.n, c.c, c.h, c.w], options(c));
    const y = empty(c, c.n * c.c * g.outH * g.outW);
    refMaxPool(c.x, y, g);
    return y;
  },
  compare: exact,
};

export const f32MaxpoolNhwc: KernelCheck<PoolCase> = {
  family: 'f32-maxpool-nhwc',
  variantsOf: 'f32-maxpool-nhwc',
  tolerance: 'exact',
  cases: (seed, level) => poolCases(mulberry32(seed), level, ['float32', 'uint8', 'int8']),
  describe: (c) => describePool(c, 'NHWC'),
  run: (c, variant) => cpu.maxPool(tensor(c.type, [c.n, c.h, c.w, c.c], c.x as never), { ...options(c), layout: 'nhwc', variant }).data,
  reference(c) {
    const g = maxPoolGeometry([c.n, c.c, c.h, c.w], options(c));
    const y = empty(c, c.n * c.c * g.outH * g.outW);
    refMaxPoolNhwc(c.x, y, c.n, c.c, g);
    return y;
  },
  compare: exact,
};

interface GradCase { n: number; h: number; w: number; c: number; x: Float32Array; y: Float32Array; dy: Float32Array; positiveOnly: boolean }

export const f32MaxpoolGradNhwc: KernelCheck<GradCase> = {
  family: 'f32-maxpool-grad-nhwc',
  variantsOf: 'f32-maxpool-grad-nhwc',
  tolerance: 'bit for bit (zero signs too)',
  cases(seed, level) {
    const r = mulberry32(seed);
    // Few distinct values: ties within windows, zeros of both signs, NaN, windows with nothing > 0.
    const values = [0, -0, 1, 2, -1, NaN, 0.5];
    return Array.from({ length: level === 'full' ? 200 : 12 }, () => {
      const n = pick([1, 2], r), h = pick([2, 5, 6, 7], r), w = pick([2, 5, 6, 7], r), c = pick([1, 3, 4, 5, 8, 9, 16, 17, 33, 65], r);
      const x = Float32Array.from({ length: n * h * w * c }, () => pick(values, r));
      const g = maxPoolGeometry([n, c, h, w], { kernelShape: [2, 2], strides: [2, 2] });
      const y = new Float32Array(n * g.outH * g.outW * c);
      refMaxPoolNhwc(x, y, n, c, g);
      const dy = Float32Array.from(y, () => pick([-0, NaN, r() - 0.5, r() - 0.5], r));
      return { n, h, w, c, x, y, dy, positiveOnly: r() < 0.5 };
    });
  },
  describe: (c) => `x [${c.n}, ${c.h}, ${c.w}, ${c.c}] 2x2 stride 2 positiveOnly=${c.positiveOnly}`,
  run(c, variant) {
    const [oh, ow] = [c.h >> 1, c.w >> 1];
    return maxPoolGradNhwc(tensor('float32', [c.n, c.h, c.w, c.c], c.x), tensor('float32', [c.n, oh, ow, c.c], c.y),
      tensor('float32', [c.n, oh, ow, c.c], c.dy), { positiveOnly: c.positiveOnly, variant }).data;
  },
  reference(c) {
    const dx = new Float32Array(c.x.length);
    refMaxPoolGradNhwc(c.x, c.y, c.dy, dx, c.n, c.h, c.w, c.c, c.positiveOnly);
    return dx;
  },
  compare: identical,
};
