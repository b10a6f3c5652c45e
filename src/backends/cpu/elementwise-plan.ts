/**
 * The f32-elementwise calls planned once for operands of given shapes, for
 * the runtime's per-node calls at batch 1: the arguments are checked and the
 * addon reads its options once (planF32Elementwise, planGlobalAveragePool),
 * so a run checks only its arrays and makes one native call (runPlan).
 * Results equal the one-shot calls' (cpu.activate, cpu.add/sub/mul,
 * cpu.globalAveragePool) bit for bit.
 */
import { refElementwise, refGlobalAveragePool, refGlobalAveragePoolNhwc } from '../reference/elementwise.js';
import { resolveActivation, type PointwiseActivation } from '../../ops/activation.js';
import { checkVariant } from '../../ops/variant.js';
import { native } from '../../native.js';
import { sizeOf, type Tensor } from '../../tensor.js';
import { checkDisjoint, checkObject, checkTensorShape, fail } from '../../validate.js';
import { checkedBinary, checkedPool, type BinaryOptions, type ElementwiseOptions, type GlobalAveragePoolOptions } from './elementwise.js';

type Shape = Omit<Tensor<'float32'>, 'data'>;

/** A one-input call planned for one shape: run() checks only its two arrays. */
export interface UnaryPlan {
  /** The result's type and dims. */
  readonly result: Shape;
  /** The planned call on x into y (the result's size; y is x, or shares no memory with it). */
  run(x: Float32Array, y: Float32Array): void;
}

/** A binary call planned for one pair of shapes. */
export interface BinaryPlan {
  readonly result: Shape;
  /** The planned call on a and b into y (the result's size, sharing no memory with a or b). */
  run(a: Float32Array, b: Float32Array, y: Float32Array): void;
}

function checkArray(name: string, array: unknown, size: number): void {
  if (!(array instanceof Float32Array) || array.length !== size) fail(name, `must be a Float32Array of ${size} values, as planned`);
}

/**
 * cpu.activate(x, activation) for tensors of x's dims, checked once.
 * @throws TypeError/RangeError naming the bad argument, as cpu.activate does.
 */
export function planActivateCall(x: Shape, activation: PointwiseActivation, options: Omit<ElementwiseOptions, 'out'> = {}): UnaryPlan {
  const { dims } = checkTensorShape('x', x, ['float32']);
  checkObject('options', options);
  const act = resolveActivation('activation', activation);
  const variant = checkVariant(options);
  const size = sizeOf(dims);
  const addon = size > 0 ? native() : null;
  const fields = { activation: act.kind, alpha: act.alpha, beta: act.beta, min: act.min, max: act.max };
  const plan = addon && addon.planF32Elementwise({ variant, op: 'none', rows: 1, inner: size, bRows: 0, bColumns: false, ...fields });
  return {
    result: { type: 'float32', dims: [...dims] },
    run(xData, y) {
      checkArray('x', xData, size);
      checkArray('y', y, size);
      if (y !== xData) checkDisjoint('y', y, 'x', xData);
      if (plan) addon!.runPlan(plan, xData, y);
      else refElementwise('none', xData, null, y, 1, size, 0, act);
    },
  };
}

/**
 * cpu.add/sub/mul(a, b, options) for tensors of a's and b's dims, checked once.
 * @throws TypeError/RangeError naming the bad argument, as cpu.add does.
 */
export function planBinaryCall(op: 'add' | 'sub' | 'mul', a: Shape, b: Shape, options: Omit<BinaryOptions, 'out'> = {}): BinaryPlan {
  const aDims = checkTensorShape('a', a, ['float32']).dims, bDims = checkTensorShape('b', b, ['float32']).dims;
  checkObject('options', options);
  const { plan: view, act, variant, kernelOp, fields } = checkedBinary(op, aDims, bDims, options);
  const { rows, inner, bRows, bColumns, swapped } = view;
  const [aSize, bSize, size] = [sizeOf(aDims), sizeOf(bDims), sizeOf(view.dims)];
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planF32Elementwise({ variant, op: kernelOp, rows, inner, bRows, bColumns, ...fields });
  return {
    result: { type: 'float32', dims: [...view.dims] },
    run(aData, bData, y) {
      checkArray('a', aData, aSize);
      checkArray('b', bData, bSize);
      checkArray('y', y, size);
      checkDisjoint('y', y, 'a', aData);
      checkDisjoint('y', y, 'b', bData);
      const [full, small] = swapped ? [bData, aData] : [aData, bData];
      if (plan) addon!.runPlan(plan, full, y, small);
      else refElementwise(kernelOp, full, small, y, rows, inner, bRows, act, bColumns);
    },
  };
}

/**
 * cpu.globalAveragePool(x, options) for tensors of x's dims, checked once.
 * @throws TypeError/RangeError naming the bad argument, as cpu.globalAveragePool does.
 */
export function planGlobalAveragePoolCall(x: Shape, options: Omit<GlobalAveragePoolOptions, 'out'> = {}): UnaryPlan {
  const shape = checkTensorShape('x', x, ['float32']);
  checkObject('options', options);
  const { nhwc, n, c, plane, variant, planes, columns, dims } = checkedPool(shape.dims, options);
  const [xSize, size] = [sizeOf(shape.dims), sizeOf(dims)];
  const addon = size > 0 ? native() : null;
  const plan = addon && addon.planGlobalAveragePool({ variant, planes, plane, columns });
  return {
    result: { type: 'float32', dims },
    run(xData, y) {
      checkArray('x', xData, xSize);
      checkArray('y', y, size);
      checkDisjoint('y', y, 'x', xData);
      if (plan) addon!.runPlan(plan, xData, y);
      else if (nhwc) refGlobalAveragePoolNhwc(xData, y, n, plane, c);
      else refGlobalAveragePool(xData, y, planes, plane);
    },
  };
}
