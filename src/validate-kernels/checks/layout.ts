/**
 * Data movement: x32-transpose (every element type), x32-im2col (float32
 * and uint8 with its zero point as padding) and f32-col2im (im2col's NHWC
 * adjoint, whose variants add in the reference's order), exact.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { refCol2imNhwc } from '../../backends/reference/col2im.js';
import { refIm2col } from '../../backends/reference/im2col.js';
import { convGeometry } from '../../ops/im2col.js';
import { tensor } from '../../tensor.js';
import { exact, type KernelCheck } from '../check.js';
import { EDGE_SIZES, floats, ints, LARGE_SIZES, mulberry32, pick, type Random } from '../random.js';

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

type Dims4 = [number, number, number, number];

interface Window { kernelShape: [number, number]; strides: [number, number]; dilations: [number, number]; pads: Dims4 }

/**
 * `count` images [n, c, h, w] and windows over them (1 to 5 tall, strided,
 * dilated, padded) whose kernel fits the padded image; `extra` draws what a
 * family adds to each.
 */
function windowCases<Extra>(r: Random, count: number, extra: (dims: Dims4) => Extra): { dims: Dims4; window: Window; extra: Extra }[] {
  const out: { dims: Dims4; window: Window; extra: Extra }[] = [];
  while (out.length < count) {
    const dims: Dims4 = [pick([1, 2], r), pick([1, 2, 3, 4, 16], r), pick([1, 4, 5, 7, 9], r), pick([1, 4, 6, 11], r)];
    const kh = pick([1, 2, 3, 5], r), kw = pick([1, 2, 3], r), p = () => Math.floor(r() * 3);
    const window: Window = {
      kernelShape: [kh, kw], strides: [pick([1, 2], r), pick([1, 2], r)], dilations: [pick([1, 2], r), 1], pads: [p(), p(), p(), p()],
    };
    try {
      convGeometry(dims, window);
    } catch {
      continue; // the kernel does not fit the padded input
    }
    out.push({ dims, window, extra: extra(dims) });
  }
  return out;
}

interface Im2colCase { dims: Dims4; uint8: boolean; x: Float32Array | Uint8Array; options: Window & { group: number } }

export const im2col: KernelCheck<Im2colCase> = {
  family: 'x32-im2col',
  variantsOf: 'x32-im2col',
  tolerance: 'exact',
  cases(seed, level) {
    const r = mulberry32(seed);
    return windowCases(r, level === 'full' ? 200 : 12, (dims) => {
      const group = dims[1] % 2 === 0 ? pick([1, 2], r) : 1, uint8 = r() < 0.5, n = dims.reduce((a, b) => a * b);
      return { group, uint8, x: uint8 ? ints(Uint8Array, n, 0, 255, r) : floats(n, r) };
    }).map(({ dims, window, extra: { group, uint8, x } }) => ({ dims, uint8, x, options: { ...window, group } }));
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

/** col [n * outH * outW, kh * kw * c] scattered back onto NHWC images of `dims` (NCHW order: [n, c, h, w]). */
interface Col2imCase { dims: Dims4; window: Window; col: Float32Array }

const col2imGeometry = (c: Col2imCase) => convGeometry(c.dims, c.window);

export const col2im: KernelCheck<Col2imCase> = {
  family: 'f32-col2im',
  variantsOf: 'f32-col2im',
  tolerance: 'exact (every variant adds in the reference\'s order)',
  cases(seed, level) {
    const r = mulberry32(seed);
    return windowCases(r, level === 'full' ? 200 : 12, (dims) => dims).map(({ dims, window }) => {
      const g = convGeometry(dims, window);
      return { dims, window, col: floats(dims[0] * g.outH * g.outW * g.kernelH * g.kernelW * dims[1], r) };
    });
  },
  describe: (c) => `image NHWC [${c.dims[0]}, ${c.dims[2]}, ${c.dims[3]}, ${c.dims[1]}] ${JSON.stringify(c.window)}`,
  run(c, variant) {
    const [n, ch, h, w] = c.dims, g = col2imGeometry(c);
    const col = tensor('float32', [n * g.outH * g.outW, g.kernelH * g.kernelW * ch], c.col);
    return cpu.col2imNhwc(col, { ...c.window, imageDims: [n, h, w, ch], variant }).data;
  },
  reference(c) {
    const image = new Float32Array(c.dims.reduce((a, b) => a * b));
    refCol2imNhwc(c.col, image, col2imGeometry(c));
    return image;
  },
  compare: exact,
};
