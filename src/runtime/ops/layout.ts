/**
 * Operators that move elements without arithmetic: Transpose, Concat,
 * Gather, Slice. They work on every value type: elements are copied between
 * arrays of one kind (numbers, or bigints for int64).
 */
import { planTranspose } from '../../backends/cpu/transpose.js';
import { sizeOf, type TypedArrayOf } from '../../tensor.js';
import { allocateFresh, type Allocate } from '../buffers.js';
import type { Value } from '../onnx/model.js';
import { value } from '../value.js';
import { ModelError } from '../onnx/model.js';
import { input, integers, nodeRun, normalizeAxis, type OpHandler } from './op.js';
import { PlanCache } from './plan-cache.js';

/** Any value's elements, read and written as they are. */
export type Elements = { [i: number]: number | bigint };
/** Any value's array, for TypedArray.set (the arrays of one call are of one kind). */
type Block = Float32Array;

/** Row-major element strides of `dims`. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  for (let i = dims.length - 1, step = 1; i >= 0; i--) {
    s[i] = step;
    step *= dims[i];
  }
  return s;
}

type NumberArray = Float32Array | Uint8Array | Int8Array | Int32Array;

/**
 * Merged axis groups (output order) that swap the last two input groups
 * under an optional unmoved outer one: NCHW <-> NHWC ([N][C][HW] <-> [N][HW][C]).
 */
function swappedPair(groups: number[][], dims: readonly number[]): { batches: number; rows: number; cols: number } | undefined {
  const size = (g: number[]) => sizeOf(g.map((a) => dims[a]));
  const outer = groups.length === 3 ? groups[0] : [];
  const [b, a] = groups.slice(groups.length - 2);
  if (groups.length > 3 || !(a[0] < b[0]) || (outer.length > 0 && !(outer[outer.length - 1] < a[0]))) return undefined;
  return { batches: outer.length > 0 ? size(outer) : 1, rows: size(a), cols: size(b) };
}

/**
 * Transpose with size-1 axes dropped and input axes that stay neighbours
 * merged, so most CNN permutations become 2-4 loops; when the axes left keep
 * their input order (at most one of them, or an NHWC [N,1,1,C] going to
 * [N,C,1,1]) the order of the elements does not change and the result is a view.
 */
export function transposeValue(x: Value, perm: readonly number[], allocate: Allocate = allocateFresh): Value {
  return planTransposeValue(x, perm)(x, allocate);
}

/**
 * transposeValue for values of x's type and dims, its axis analysis (and, for an NCHW <-> NHWC swap, the native
 * call: planTranspose, x32-transpose's SIMD blocks in L1 tiles over every batch) done once: what a Transpose node runs.
 */
export function planTransposeValue(x: Pick<Value, 'type' | 'dims'>, perm: readonly number[]): (x: Value, allocate: Allocate) => Value {
  const dims = perm.map((p) => x.dims[p]);
  const kept = perm.filter((p) => x.dims[p] !== 1);
  // Groups of input axes, in output order, each a run of consecutive input axes.
  const groups: number[][] = [];
  for (const p of kept) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] === p - 1) last.push(p);
    else groups.push([p]);
  }
  if (groups.every((g, i) => i === 0 || groups[i - 1][0] < g[0])) return (v) => ({ type: v.type, dims, data: v.data });
  const swap = swappedPair(groups, x.dims);
  if (swap && x.type !== 'int64' && x.type !== 'bool') {
    const type = x.type as 'float32' | 'int32' | 'uint8' | 'int8';
    const { batches, rows, cols } = swap;
    const plan = planTranspose({ type, dims: [batches, rows, cols] });
    return (v, allocate) => {
      const y = value(type, dims, allocate(type, v.data.length));
      plan.run(v.data as TypedArrayOf<typeof type>, y.data as TypedArrayOf<typeof type>);
      return y;
    };
  }
  return (v, allocate) => permuted(v, dims, groups, allocate);
}

/** x permuted to `dims` by its merged axis `groups` (output order), element by element. */
function permuted(x: Value, dims: readonly number[], groups: number[][], allocate: Allocate): Value {
  // Input-order dims of the merged axes, then each output loop's size and input stride.
  const byInput = [...groups].sort((a, b) => a[0] - b[0]);
  const inStride = strides(byInput.map((g) => sizeOf(g.map((a) => x.dims[a]))));
  const stride = groups.map((g) => inStride[byInput.indexOf(g)]);
  const size = groups.map((g) => sizeOf(g.map((a) => x.dims[a])));
  // Every element is written below, so a reused (dirty) buffer will do.
  const y = value(x.type, dims, allocate(x.type, x.data.length));
  const src = x.data as unknown as Elements, dst = y.data as unknown as Elements;
  if (groups.length <= 4) {
    while (size.length < 4) { size.unshift(1); stride.unshift(0); }
    const [n0, n1, n2, n3] = size, [s0, s1, s2, s3] = stride;
    let o = 0;
    for (let i0 = 0; i0 < n0; i0++)
      for (let i1 = 0; i1 < n1; i1++)
        for (let i2 = 0; i2 < n2; i2++) {
          const base = i0 * s0 + i1 * s1 + i2 * s2;
          for (let i3 = 0; i3 < n3; i3++) dst[o++] = src[base + i3 * s3];
        }
    return y;
  }
  const index = new Array<number>(size.length).fill(0);
  let at = 0;
  for (let o = 0; o < y.data.length; o++) {
    dst[o] = src[at];
    for (let k = size.length - 1; k >= 0; k--) {
      at += stride[k];
      if (++index[k] < size[k]) break;
      index[k] = 0;
      at -= stride[k] * size[k];
    }
  }
  return y;
}

const VALUE_TYPES: readonly Value['type'][] = ['float32', 'int32', 'uint8', 'int8', 'int64', 'bool'];

const transpose: OpHandler = ({ attributes }) => {
  const perm = attributes.ints('perm');
  if (perm && [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw new ModelError(`perm [${perm}] is not a permutation`);
  const plans = new PlanCache<(x: Value, allocate: Allocate) => Value>();
  return nodeRun('transpose', (inputs, allocate) => {
    const x = input(inputs, 0);
    const p = perm ?? x.dims.map((_, i) => x.dims.length - 1 - i);
    if (p.length !== x.dims.length) throw new ModelError(`perm [${p}] does not match the input's rank ${x.dims.length}`);
    return [plans.get(x.dims, () => planTransposeValue(x, p), [VALUE_TYPES.indexOf(x.type)])(x, allocate)];
  });
};

const concat: OpHandler = ({ attributes }) => {
  const axisAttr = attributes.int('axis');
  if (axisAttr === undefined) throw new ModelError('attribute axis is required');
  return nodeRun('concat', (inputs) => {
    const xs = inputs.map((_, i) => input(inputs, i));
    if (xs.length === 0) throw new ModelError('needs at least one input');
    const first = xs[0];
    const axis = normalizeAxis(axisAttr, first.dims.length);
    for (const [i, x] of xs.entries()) {
      if (x.type !== first.type) throw new ModelError(`input ${i} is ${x.type}, input 0 is ${first.type}`);
      if (x.dims.length !== first.dims.length || x.dims.some((d, k) => k !== axis && d !== first.dims[k]))
        throw new ModelError(`input ${i} has dims [${x.dims}], which do not match input 0's [${first.dims}] outside axis ${axis}`);
    }
    const dims = [...first.dims];
    dims[axis] = xs.reduce((n, x) => n + x.dims[axis], 0);
    const y = value(first.type, dims);
    const outer = sizeOf(dims.slice(0, axis));
    const inner = sizeOf(dims.slice(axis + 1));
    const out = y.data as Block;
    let at = 0;
    for (let o = 0; o < outer; o++)
      for (const x of xs) {
        const chunk = x.dims[axis] * inner;
        out.set((x.data as Block).subarray(o * chunk, (o + 1) * chunk), at);
        at += chunk;
      }
    return [y];
  });
};

/** Gather along `axis`: indices (int32/int64, negative from the end) pick slices of data. */
const gather: OpHandler = ({ attributes }) => {
  const axisAttr = attributes.int('axis', 0);
  return nodeRun('gather', (inputs) => {
    const x = input(inputs, 0);
    const indices = input(inputs, 1, ['int32', 'int64']);
    const axis = normalizeAxis(axisAttr, x.dims.length);
    const n = x.dims[axis];
    const picks = integers(indices, 'indices').map((i) => {
      if (i < -n || i >= n) throw new ModelError(`index ${i} is out of range for axis ${axis} of size ${n}`);
      return i < 0 ? i + n : i;
    });
    const y = value(x.type, [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)]);
    const outer = sizeOf(x.dims.slice(0, axis));
    const inner = sizeOf(x.dims.slice(axis + 1));
    const src = x.data as Block, dst = y.data as Block;
    let at = 0;
    for (let o = 0; o < outer; o++)
      for (const p of picks) {
        const from = (o * n + p) * inner;
        if (inner === 1) dst[at] = src[from];
        else dst.set(src.subarray(from, from + inner), at);
        at += inner;
      }
    return [y];
  });
};

/** One axis of a slice: first index, step and count, after ONNX's clamping. */
function sliceAxis(dim: number, start: number, end: number, step: number): { first: number; step: number; count: number } {
  if (step === 0) throw new ModelError('steps must not be 0');
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const first = step > 0 ? clamp(s, 0, dim) : clamp(s, 0, dim - 1);
  const last = step > 0 ? clamp(e, 0, dim) : clamp(e, -1, dim - 1);
  return { first, step, count: Math.max(0, Math.ceil((last - first) / step)) };
}

/** Slice: starts/ends/axes attributes before opset 10, inputs (with steps) from 10. */
const slice: OpHandler = ({ opset, attributes }) => {
  const fixed = opset < 10 ? { starts: attributes.ints('starts'), ends: attributes.ints('ends'), axes: attributes.ints('axes') } : undefined;
  if (fixed && (!fixed.starts || !fixed.ends)) throw new ModelError('attributes starts and ends are required');
  return nodeRun('slice', (inputs) => {
    const x = input(inputs, 0);
    const rank = x.dims.length;
    const read = (i: number, what: string) => (inputs[i] === undefined ? undefined : integers(inputs[i]!, what));
    const starts = fixed ? fixed.starts! : integers(input(inputs, 1), 'starts');
    const ends = fixed ? fixed.ends! : integers(input(inputs, 2), 'ends');
    const axes = (fixed ? fixed.axes : read(3, 'axes')) ?? starts.map((_, i) => i);
    const steps = (fixed ? undefined : read(4, 'steps')) ?? starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length)
      throw new ModelError(`starts, ends, axes and steps must have one length, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
    const plan = x.dims.map((d) => ({ first: 0, step: 1, count: d }));
    const seen = new Set<number>();
    axes.forEach((a, i) => {
      const axis = normalizeAxis(a, rank);
      if (seen.has(axis)) throw new ModelError(`axes [${axes}] repeat axis ${axis}`);
      seen.add(axis);
      plan[axis] = sliceAxis(x.dims[axis], starts[i], ends[i], steps[i]);
    });
    return [sliceValue(x, plan)];
  });
};

/** The elements plan picks: per axis `count` indices from `first` by `step`. */
function sliceValue(x: Value, plan: readonly { first: number; step: number; count: number }[]): Value {
  const y = value(x.type, plan.map((p) => p.count));
  if (y.data.length === 0) return y;
  if (plan.length === 0) return { ...y, data: x.data };
  const xs = strides(x.dims);
  const last = plan.length - 1;
  const { step: s, count: run } = plan[last];
  const src = x.data as unknown as Elements, dst = y.data as unknown as Elements;
  const index = new Array<number>(last).fill(0);
  let base = plan.reduce((b, p, k) => b + p.first * xs[k], 0);
  for (let o = 0; o < y.data.length; o += run) {
    for (let j = 0, i = base; j < run; j++, i += s) dst[o + j] = src[i];
    for (let k = last - 1; k >= 0; k--) {
      base += plan[k].step * xs[k];
      if (++index[k] < plan[k].count) break;
      index[k] = 0;
      base -= plan[k].step * xs[k] * plan[k].count;
    }
  }
  return y;
}

export const LAYOUT_OPS: Record<string, OpHandler> = {
  Transpose: transpose,
  Concat: concat,
  Gather: gather,
  Slice: slice,
};
