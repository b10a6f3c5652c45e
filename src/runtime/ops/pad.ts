/**
 * Pad: pads (and constant value) as attributes before opset 11, as inputs
 * from 11, with an optional axes input from 18. Each output index along an
 * axis maps to an input index, or to the constant; negative pads crop.
 */
import type { Value } from '../onnx/model.js';
import { value } from '../value.js';
import { strides, type Elements } from './layout.js';
import { ModelError } from '../onnx/model.js';
import { input, integers, nodeRun, normalizeAxis, type OpHandler } from './op.js';

type Mode = 'constant' | 'reflect' | 'edge' | 'wrap';

const pad: OpHandler = ({ opset, attributes }) => {
  const mode = attributes.string('mode', 'constant');
  const modes = opset >= 19 ? ['constant', 'reflect', 'edge', 'wrap'] : ['constant', 'reflect', 'edge'];
  if (!modes.includes(mode)) throw new ModelError(`mode '${mode}' is not supported at opset ${opset} (supported: ${modes.join(', ')})`);
  const fixed = opset < 11 ? attributes.ints('pads') : undefined;
  if (opset < 11 && !fixed) throw new ModelError('attribute pads is required');
  const fixedValue = attributes.float('value', 0);
  return nodeRun('pad', (inputs) => {
    const x = input(inputs, 0);
    const rank = x.dims.length;
    const pads = fixed ?? integers(input(inputs, 1), 'pads');
    const axes = opset >= 18 && inputs[3] !== undefined ? integers(inputs[3], 'axes').map((a) => normalizeAxis(a, rank)) : x.dims.map((_, i) => i);
    if (pads.length !== 2 * axes.length) throw new ModelError(`pads has ${pads.length} values, ${axes.length} axes need ${2 * axes.length}`);
    const begin = new Array<number>(rank).fill(0), end = new Array<number>(rank).fill(0);
    axes.forEach((a, i) => {
      begin[a] = pads[i];
      end[a] = pads[i + axes.length];
    });
    let fill: number | bigint = x.type === 'int64' ? 0n : 0;
    if (opset < 11) fill = x.type === 'int64' ? BigInt(Math.trunc(fixedValue)) : fixedValue;
    else if (inputs[2] !== undefined) {
      const c = inputs[2];
      if (c.type !== x.type || c.data.length !== 1) throw new ModelError(`constant_value must be one ${x.type}, got ${c.type} [${c.dims}]`);
      fill = c.data[0];
    }
    return [padValue(x, begin, end, mode as Mode, fill)];
  });
};

/**
 * Where output index j of an axis reads from, -1 for the constant. As in
 * onnxruntime, negative pads first crop the axis to the window
 * [from, from + size); positive pads then repeat elements of that window.
 */
function sourceIndex(j: number, before: number, from: number, size: number, mode: Mode): number {
  const i = j - before;
  if (i >= 0 && i < size) return from + i;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return from + (i < 0 ? 0 : size - 1);
  if (mode === 'wrap') return from + (((i % size) + size) % size);
  return from + (i < 0 ? -i : 2 * (size - 1) - i);
}

export function padValue(x: Value, begin: readonly number[], end: readonly number[], mode: Mode, fill: number | bigint): Value {
  const dims = x.dims.map((d, k) => d + begin[k] + end[k]);
  if (dims.some((d) => d < 0)) throw new ModelError(`pads [${begin}, ${end}] crop more than the dims [${x.dims}]`);
  const y = value(x.type, dims);
  if (y.data.length === 0) return y;
  const rank = dims.length;
  if (rank === 0) return x;
  const maps = dims.map((n, k) => {
    const before = Math.max(begin[k], 0), after = Math.max(end[k], 0);
    const from = Math.max(-begin[k], 0), size = x.dims[k] - from - Math.max(-end[k], 0);
    if (mode !== 'constant' && (before > 0 || after > 0)) {
      if (size === 0) throw new ModelError(`${mode} padding needs elements to repeat, axis ${k} of [${x.dims}] has none`);
      if (mode === 'reflect' && Math.max(before, after) > size - 1) throw new ModelError(`reflect pads of axis ${k} must be below its size ${size}, got ${before} and ${after}`);
    }
    return Int32Array.from({ length: n }, (_, j) => sourceIndex(j, before, from, size, mode));
  });
  const step = strides(x.dims);
  const src = x.data as unknown as Elements, dst = y.data as unknown as Elements;
  const inner = maps[rank - 1];
  const run = dims[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < y.data.length; o += run) {
    let base = 0;
    for (let k = 0; k < rank - 1 && base >= 0; k++) base = maps[k][index[k]] < 0 ? -1 : base + maps[k][index[k]] * step[k];
    if (base < 0) for (let j = 0; j < run; j++) dst[o + j] = fill;
    else for (let j = 0; j < run; j++) dst[o + j] = inner[j] < 0 ? fill : src[base + inner[j]];
    for (let k = rank - 2; k >= 0 && ++index[k] === dims[k]; k--) index[k] = 0;
  }
  return y;
}

export const PAD_OPS: Record<string, OpHandler> = { Pad: pad };
