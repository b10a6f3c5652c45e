/** Data movement: x32-transpose (every element type) and x32-im2col (float32 and uint8 with its zero point as padding), exact. */
import { cpu } from '../../backends/cpu/backend.js';
import { refIm2col } from '../../backends/reference/im2col.js';
import { convGeometry } from '../../ops/im2col.js';
import { tensor } from '../../tensor.js';
import { exact, type KernelCheck } from '../check.js';
import { EDGE_SIZES, floats, ints, LARGE_SIZES, mulberry32, pick } from '../random.js';

type X32 = Float32Array | Int32Array | Uint8Array | Int8Array;
const TYPES = ['float32', 'int32', 'uint8', 'int8'] as const;

interface TransposeCase { type: (typeof TYPES)[number]; rows: number; cols: number; x: X32 }

export const transpose: KernelCheck<TransposeCase> = {
  family: 'x32-transpose',
  variantsOf: 'x32-transpose',
  tolerance: 'exact',
  cases(seed, level) {
    const r = mulberry32(seed);
    const sizes = level === 'full' ? [...EDGE_SIZES, ...LARGE_SIZES] : EDGE_SIZES;
    return Array.from({ length: level === 'full' ? 200 : 16 }, () => {
      const type = pick(TYPES, r), rows = pick(sizes, r), cols = pick(sizes, r), n = rows * cols;
      const x = type === 'float32' ? floats(n, r) : type === 'int32' ? ints(Int32Array, n, -(2 ** 31), 2 ** 31 - 1, r)
        : type === 'uint8' ? ints(Uint8Array, n, 0, 255, r) : ints(Int8Array, n, -128, 127, r);
      return { type, rows, cols, x };
    });
  },
  describe: (c) => `${c.type} [${c.rows}, ${c.cols}]`,
  run: (c, variant) => cpu.transpose(tensor(c.type, [c.rows, c.cols], c.x as never), { variant }).data,
  reference(c) {
    const y = new (c.x.constructor as new (n: number) => X32)(c.x.length);
    for (let i = 0; i < c.rows; i++) for (let j = 0; j < c.cols; j++) y[j * c.rows + i] = c.x[i * c.cols + j];
    return y;
  },
  compare: exact,
};

interface Im2colCase {
  dims: [number, number, number, number]; uint8: boolean; x: Float32Array | Uint8Array;
  options: { kernelShape: [number, number]; strides: [number, number]; dilations: [number, number]; pads: [number, number, number, number]; group: number };
}

export const im2col: KernelCheck<Im2colCase> = {
  family: 'x32-im2col',
  variantsOf: 'x32-im2col',
  tolerance: 'exact',
  cases(seed, level) {
    const r = mulberry32(seed);
    const out: Im2colCase[] = [];
    while (out.length < (level === 'full' ? 200 : 12)) {
      const dims: [number, number, number, number] = [pick([1, 2], r), pick([1, 2, 3, 4, 16], r), pick([1, 4, 5, 7, 9], r), pick([1, 4, 6, 11], r)];
      const kh = pick([1, 2, 3, 5], r), kw = pick([1, 2, 3], r), p = () => Math.floor(r() * 3);
      const options = {
        kernelShape: [kh, kw] as [number, number], strides: [pick([1, 2], r), pick([1, 2], r)] as [number, number],
        dilations: [pick([1, 2], r), 1] as [number, number], pads: [p(), p(), p(), p()] as [number, number, number, number], group: dims[1] % 2 === 0 ? pick([1, 2], r) : 1,
      };
      try {
        convGeometry(dims, options);
      } catch {
        continue; // the kernel does not fit the padded input
      }
      const uint8 = r() < 0.5, n = dims.reduce((a, b) => a * b);
      out.push({ dims, uint8, x: uint8 ? ints(Uint8Array, n, 0, 255, r) : floats(n, r), options });
    }
    return out;
  },
  describe: (c) => `${c.uint8 ? 'uint8 (zero point 77)' : 'float32'} x [${c.dims}] ${JSON.stringify(c.options)}`,
  run: (c, variant) => cpu.im2col(c.uint8 ? tensor('uint8', c.dims, c.x as Uint8Array, { scale: 0.1, zeroPoint: 77 }) : tensor('float32', c.dims, c.x as Float32Array), { ...c.options, variant }).data,
  reference(c) {
    const g = convGeometry(c.dims, c.options);
    const size = c.dims[0] * c.dims[1] * c.options.kernelShape[0] * c.options.kernelShape[1] * g.outH * g.outW;
    const y = c.uint8 ? new Uint8Array(size) : new Float32Array(size);
    refIm2col(c.x, y, g, c.uint8 ? 77 : 0);
    return y;
  },
  compare: exact,
};
