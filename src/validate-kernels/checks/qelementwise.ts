/**
 * qx8-elementwise: the quantized tails of int8 models (qadd / qsub / qmul on
 * every broadcast form with and without a clamp, the 256-entry lookup, and
 * the quantized GlobalAveragePool over NCHW planes and NHWC columns), exact
 * against the reference, uint8 and int8, on lengths, channels and planes
 * over every vector tail, with scales that land results on ties and on
 * saturation.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { refLookup, refQBinary, refQGlobalAveragePool, type QParams } from '../../backends/reference/qelementwise.js';
import { planQBinary } from '../../ops/qelementwise.js';
import { tensor, type QType, type Tensor } from '../../tensor.js';
import { exact, type KernelCheck } from '../check.js';
import { EDGE_SIZES, ints, LARGE_SIZES, mulberry32, pick, type Random } from '../random.js';

const OPS = ['add', 'sub', 'mul', 'lookup', 'pool'] as const;
/** [a, b, y] scales: random ones, and ones whose results fall on ties (k / 2 steps) and saturate. */
const SCALES = [[0.05, 0.07, 0.09], [0.5, 0.5, 1], [0.25, 0.75, 0.5], [0.013, 0.2, 0.011], [1, 1, 0.01]] as const;
const CLAMPS = [[-Infinity, Infinity], [0, Infinity], [0, 6]] as const;

interface Qx8Case {
  op: (typeof OPS)[number];
  a: Tensor<QType>;
  /** The other operand (binary ops) or the table (lookup). */
  b?: Tensor<QType>;
  y: QParams;
  min: number;
  max: number;
  channelsLast: boolean;
}

const zeroPoint = (type: QType, r: Random) => Math.floor(r() * 256) - (type === 'int8' ? 128 : 0);

function bytes(type: QType, dims: number[], scale: number, r: Random): Tensor<QType> {
  const n = dims.reduce((p, d) => p * d, 1);
  return tensor(type, dims, type === 'uint8' ? ints(Uint8Array, n, 0, 255, r) : ints(Int8Array, n, -128, 127, r), { scale, zeroPoint: zeroPoint(type, r) });
}

/** a's and b's dims for one broadcast form: same shape, one value per row (NCHW), one vector per image (NHWC), or those swapped. */
function binaryDims(r: Random, sizes: readonly number[]): [number[], number[]] {
  const n = pick([1, 2], r), c = pick(sizes, r), h = pick([1, 2, 3, 5], r), w = pick([1, 3, 4, 7], r);
  const [full, small] = pick([
    [[pick(sizes, r)], undefined], [[n, c, h, w], [n, c, 1, 1]], [[n, h, w, c], [n, 1, 1, c]], [[n, h, w, c], [c]],
  ] as [number[], number[] | undefined][], r);
  if (small === undefined) return [full, full];
  return r() < 0.5 ? [full, small] : [small, full];
}

function qx8Case(r: Random, sizes: readonly number[]): Qx8Case {
  const op = pick(OPS, r), type = pick(['uint8', 'int8'] as const, r);
  const [as, bs, ys] = pick(SCALES, r), [min, max] = pick(CLAMPS, r);
  const y = { scale: Math.fround(ys), zeroPoint: zeroPoint(type, r) };
  const base = { op, y, min, max, channelsLast: false };
  if (op === 'lookup') return { ...base, a: bytes(type, [pick(sizes, r), pick([1, 3], r)], as, r), b: bytes(pick(['uint8', 'int8'] as const, r), [256], 1, r) };
  // [n, p, 1, q]: p channels of q-value planes (NCHW), or p-pixel planes of q channels (NHWC).
  if (op === 'pool') return { ...base, a: bytes(type, [pick([1, 2], r), pick(sizes, r), 1, pick(sizes, r)], as, r), channelsLast: r() < 0.5 };
  const [aDims, bDims] = binaryDims(r, sizes);
  return { ...base, a: bytes(type, aDims, as, r), b: bytes(type, bDims, bs, r) };
}

const quant = (t: Tensor<QType>): QParams => ({ scale: Math.fround(t.scale as number), zeroPoint: t.zeroPoint as number });
const empty = (type: QType, n: number) => (type === 'uint8' ? new Uint8Array(n) : new Int8Array(n));

export const qx8Elementwise: KernelCheck<Qx8Case> = {
  family: 'qx8-elementwise',
  variantsOf: 'qx8-elementwise',
  tolerance: 'exact (the float graph it replaces, bit for bit)',
  cases(seed, level) {
    const r = mulberry32(seed);
    const sizes = [...EDGE_SIZES, 65, 129, ...(level === 'full' ? LARGE_SIZES : [])];
    return Array.from({ length: level === 'full' ? 300 : 30 }, () => qx8Case(r, sizes));
  },
  describe(c) {
    const a = `${c.a.type} [${c.a.dims}] scale=${c.a.scale} zeroPoint=${c.a.zeroPoint}`;
    if (c.op === 'lookup') return `lookup x ${a} table ${c.b!.type}`;
    const y = `-> scale=${c.y.scale} zeroPoint=${c.y.zeroPoint}`;
    if (c.op === 'pool') return `global average pool ${c.channelsLast ? 'NHWC' : 'NCHW'} x ${a} ${y}`;
    return `${c.op} a ${a} b [${c.b!.dims}] scale=${c.b!.scale} zeroPoint=${c.b!.zeroPoint} ${y} clamp [${c.min}, ${c.max}]`;
  },
  run(c, variant) {
    if (c.op === 'lookup') return cpu.lookup(c.a, c.b!.data, { variant }).data;
    if (c.op === 'pool') return cpu.qglobalAveragePool(c.a, { ...c.y, channelsLast: c.channelsLast, variant }).data;
    return cpu[`q${c.op}`](c.a, c.b!, { ...c.y, activation: { min: c.min, max: c.max }, variant }).data;
  },
  reference(c) {
    const { a, b } = c;
    if (c.op === 'lookup') {
      const y = empty(b!.type, a.data.length);
      refLookup(a.data, b!.data, y);
      return y;
    }
    if (c.op === 'pool') {
      const [n, p, , q] = a.dims, [channels, plane] = c.channelsLast ? [q, p] : [p, q];
      const y = empty(a.type, n * channels);
      refQGlobalAveragePool(a.data, y, n, channels, plane, c.channelsLast, quant(a), c.y);
      return y;
    }
    const view = planQBinary(a.dims, b!.dims)!;
    const [full, small] = view.swapped ? [b!, a] : [a, b!];
    const y = empty(a.type, view.dims.reduce((p, d) => p * d, 1));
    refQBinary(view.swapped && c.op === 'sub' ? 'rsub' : c.op, full.data, small.data, y, view, quant(full), quant(small), c.y, c.min, c.max);
    return y;
  },
  compare: exact,
};
