/**
 * f32-elementwise: every activation alone and add / sub / mul of same-shape
 * tensors with one, bit for bit against refElementwise, on lengths over
 * every vector tail and values with NaN, zeros of both signs, infinities,
 * the HardSwish knees and a subnormal.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { refElementwise } from '../../backends/reference/elementwise.js';
import { resolveActivation, type PointwiseActivation } from '../../ops/activation.js';
import { tensor } from '../../tensor.js';
import { identical, type KernelCheck, type ValidateLevel } from '../check.js';
import { floats, mulberry32, pick, type Random } from '../random.js';

const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 3, -3, 6, 1e-40];
const ACTIVATIONS: PointwiseActivation[] = [
  'none', 'relu', { min: 0, max: 6 }, { min: -1.5 }, 'hardswish', 'hardsigmoid',
  { kind: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 }, { kind: 'hardswish', min: 0, max: 4 }, { kind: 'hardsigmoid', alpha: -0.3, beta: 0.1, max: 0.5 },
];
const OPS = ['activate', 'add', 'sub', 'mul'] as const;

function values(n: number, r: Random): Float32Array {
  const x = floats(n, r, 8);
  for (let i = 0; i < n; i++) if (r() < 0.2) x[i] = pick(SPECIAL, r);
  return x;
}

const lengths = (level: ValidateLevel) => [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 100, ...(level === 'full' ? [1000, 4099, 65537] : [])];

interface ElementwiseCase { op: (typeof OPS)[number]; activation: PointwiseActivation; a: Float32Array; b: Float32Array }

export const elementwise: KernelCheck<ElementwiseCase> = {
  family: 'f32-elementwise',
  variantsOf: 'f32-elementwise',
  tolerance: 'bit for bit (zero signs and NaN too)',
  cases(seed, level) {
    const r = mulberry32(seed);
    return lengths(level).flatMap((n) => Array.from({ length: level === 'full' ? 6 : 1 }, () => ({
      op: pick(OPS, r), activation: pick(ACTIVATIONS, r), a: values(n, r), b: values(n, r),
    })));
  },
  describe: (c) => `${c.op} n=${c.a.length} activation ${JSON.stringify(c.activation)}`,
  run(c, variant) {
    const a = tensor('float32', [c.a.length], c.a);
    if (c.op === 'activate') return cpu.activate(a, c.activation, { variant }).data;
    return cpu[c.op](a, tensor('float32', [c.b.length], c.b), { activation: c.activation, variant }).data;
  },
  reference(c) {
    const y = new Float32Array(c.a.length);
    refElementwise(c.op === 'activate' ? 'none' : c.op, c.a, c.op === 'activate' ? null : c.b, y, 1, c.a.length, 0, resolveActivation('activation', c.activation));
    return y;
  },
  compare: identical,
};
