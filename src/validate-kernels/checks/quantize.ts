/**
 * f32-qx8-quantize, qx8-f32-dequantize and qs32-qx8-requantize (ONNX
 * QuantizeLinear / DequantizeLinear and the integer kernels' output stage)
 * and f32-minmax (calibration's range),
 * exact against the reference, over lengths on every vector tail and values
 * that stress rounding and saturation.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { refDequantize, refMinmax, refQuantize, refRequantize } from '../../backends/reference/quantize.js';
import { tensor } from '../../tensor.js';
import { exact, type KernelCheck, type ValidateLevel } from '../check.js';
import { floats, ints, mulberry32, pick, type Random } from '../random.js';

const QUICK_LENGTHS = [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100];
const FULL_LENGTHS = [...QUICK_LENGTHS, 1000, 4099, 70001];
const lengths = (level: ValidateLevel) => (level === 'full' ? FULL_LENGTHS : QUICK_LENGTHS);

/** Ties at this scale, huge and tiny values, infinities, NaN and subnormals among random values. */
function nastyFloats(n: number, scale: number, r: Random): Float32Array {
  const special = [0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e30, -1e30, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3.4e38];
  const x = floats(n, r, 300 * scale);
  for (let i = 0; i < n; i++) {
    const p = r();
    if (p < 0.15) x[i] = pick(special, r);
    else if (p < 0.35) x[i] = (Math.round(r() * 600 - 300) + 0.5) * scale;
  }
  return x;
}

const scalar = (n: number) => ({ outer: 1, channels: 1, inner: n });
const EIGHT_BIT = [['uint8', 0], ['uint8', 128], ['uint8', 255], ['int8', -128], ['int8', 0], ['int8', 127]] as const;

interface QuantizeCase { n: number; type: 'uint8' | 'int8'; zeroPoint: number; scale: number; x: Float32Array }

export const quantize: KernelCheck<QuantizeCase> = {
  family: 'f32-qx8-quantize',
  variantsOf: 'f32-qx8-quantize',
  tolerance: 'exact (round half to even, saturate)',
  cases(seed, level) {
    const r = mulberry32(seed);
    return lengths(level).map((n) => {
      const [type, zeroPoint] = pick(EIGHT_BIT, r), scale = Math.fround(0.05 + r());
      return { n, type, zeroPoint, scale, x: nastyFloats(n, scale, r) };
    });
  },
  describe: (c) => `n=${c.n} ${c.type} scale=${c.scale} zeroPoint=${c.zeroPoint}`,
  run: (c, variant) => cpu.quantize(tensor('float32', [c.n], c.x), { type: c.type, scale: c.scale, zeroPoint: c.zeroPoint, variant }).data,
  reference(c) {
    const y = c.type === 'uint8' ? new Uint8Array(c.n) : new Int8Array(c.n);
    refQuantize(c.x, y, scalar(c.n), Float32Array.of(c.scale), Int32Array.of(c.zeroPoint));
    return y;
  },
  compare: exact,
};

interface DequantizeCase { n: number; type: 'uint8' | 'int8'; zeroPoint: number; scale: number; x: Uint8Array | Int8Array }

export const dequantize: KernelCheck<DequantizeCase> = {
  family: 'qx8-f32-dequantize',
  variantsOf: 'qx8-f32-dequantize',
  tolerance: 'exact',
  cases(seed, level) {
    const r = mulberry32(seed);
    return lengths(level).map((n) => {
      const [type, zeroPoint] = pick(EIGHT_BIT, r);
      return { n, type, zeroPoint, scale: Math.fround(r() * 3 + 1e-3), x: type === 'uint8' ? ints(Uint8Array, n, 0, 255, r) : ints(Int8Array, n, -128, 127, r) };
    });
  },
  describe: (c) => `n=${c.n} ${c.type} scale=${c.scale} zeroPoint=${c.zeroPoint}`,
  run: (c, variant) => cpu.dequantize(tensor(c.type, [c.n], c.x as never, { scale: c.scale, zeroPoint: c.zeroPoint }), { variant }).data,
  reference(c) {
    const y = new Float32Array(c.n);
    refDequantize(c.x, y, scalar(c.n), Float32Array.of(c.scale), Int32Array.of(c.zeroPoint));
    return y;
  },
  compare: exact,
};

interface RequantizeCase { n: number; type: 'uint8' | 'int8' | 'float32'; acc: Int32Array; bias: Int32Array; accScale: number; outScale: number; zeroPoint: number }

export const requantize: KernelCheck<RequantizeCase> = {
  family: 'qs32-qx8-requantize',
  variantsOf: 'qs32-qx8-requantize',
  tolerance: 'exact',
  cases(seed, level) {
    const r = mulberry32(seed);
    return lengths(level).map((n) => {
      const type = pick(['uint8', 'int8', 'float32'] as const, r);
      const acc = ints(Int32Array, n, -(2 ** 31), 2 ** 31 - 1, r);
      for (let i = 0; i < n; i += 3) acc[i] = Math.round((r() - 0.5) * 20000);
      return {
        n, type, acc, bias: Int32Array.of(Math.round((r() - 0.5) * 2 ** 31)), accScale: Math.fround(r() * 1e-3 + 1e-6),
        outScale: Math.fround(r() * 0.1 + 0.01), zeroPoint: type === 'uint8' ? 100 : type === 'int8' ? -7 : 0,
      };
    });
  },
  describe: (c) => `n=${c.n} to ${c.type} accScale=${c.accScale}${c.type === 'float32' ? '' : ` scale=${c.outScale} zeroPoint=${c.zeroPoint} relu`} bias`,
  run(c, variant) {
    const options = c.type === 'float32' ? { type: c.type, bias: c.bias, variant } : { type: c.type, scale: c.outScale, zeroPoint: c.zeroPoint, bias: c.bias, activation: 'relu' as const, variant };
    return cpu.requantize(tensor('int32', [c.n], c.acc, { scale: c.accScale }), options).data;
  },
  reference(c) {
    const float = c.type === 'float32';
    const y = c.type === 'uint8' ? new Uint8Array(c.n) : c.type === 'int8' ? new Int8Array(c.n) : new Float32Array(c.n);
    refRequantize(c.acc, y, scalar(c.n), {
      multipliers: Float32Array.of(float ? c.accScale : Math.fround(c.accScale / c.outScale)), bias: c.bias, zeroPoints: Int32Array.of(c.zeroPoint),
      outMin: float ? 0 : c.zeroPoint, outMax: c.type === 'uint8' ? 255 : 127, fmin: -Infinity, fmax: Infinity,
    });
    return y;
  },
  compare: exact,
};

interface MinmaxCase { x: Float32Array }

/** min then max, one array, as the check compares them. */
const joined = ({ min, max }: { min: Float32Array; max: Float32Array }) => Float32Array.of(...min, ...max);

export const minmax: KernelCheck<MinmaxCase> = {
  family: 'f32-minmax',
  variantsOf: 'f32-minmax',
  tolerance: 'exact (NaN ignored)',
  cases(seed, level) {
    const r = mulberry32(seed);
    return lengths(level).map((n) => ({ x: nastyFloats(n, 0.1, r) }));
  },
  describe: (c) => `n=${c.x.length}`,
  run: (c, variant) => joined(cpu.minmax(tensor('float32', [c.x.length], c.x), { variant })),
  reference: (c) => joined(refMinmax(c.x, scalar(c.x.length))),
  compare: exact,
};
