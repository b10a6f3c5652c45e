/**
 * The float32 weight arrays pruning works on, as they lie in ONNX (an
 * initializer of an OnnxGraph, or a trainer Param's value): a conv weight
 * [OC, C/group, KH, KW] (any number of kernel dims), a dense weight
 * [out, in] (Gemm with transB = 1, the trainer's Dense), or [in, out] (Gemm
 * with transB = 0, MatMul). Every mask function sees a weight as output
 * channels x input channels x kernel positions, the three axes sparq's
 * sparse kernels block and group along.
 */
import { checkBoolean, checkDims, checkObject, fail, typeFail } from '../../validate.js';
import type { Param } from '../train/layer.js';

export interface WeightArray {
  /** ONNX dims: [OC, C/group, ...kernel] (rank >= 3), or [out, in] (rank 2; [in, out] with inputMajor). */
  readonly dims: readonly number[];
  readonly data: Float32Array;
  /** A 2-D weight stored [in, out] (Gemm with transB = 0, MatMul). Default false: [out, in]. */
  readonly inputMajor?: boolean;
}

/** A weight as outputs x inputs x positions, and where element (o, c, t) lies in its data. */
export interface WeightAxes {
  readonly outputs: number;
  readonly inputs: number;
  /** Kernel positions (KH * KW for a 2-D conv, 1 for a dense weight). */
  readonly positions: number;
  at(o: number, c: number, t: number): number;
}

/** A trainer Param as a WeightArray (its value is in ONNX layout, [out, in] for dense weights). */
export function paramWeight(param: Param): WeightArray {
  return { dims: param.dims, data: param.value };
}

/**
 * The axes of `weight`, after checking it: dims of rank 2 or more matching
 * the data's length, inputMajor only on rank 2, every value finite (scores
 * and sorting need numbers that compare).
 * @throws TypeError/RangeError naming `name` and the bad field.
 */
export function weightAxes(name: string, weight: unknown): WeightAxes {
  checkObject(name, weight);
  const w = weight as Record<string, unknown>;
  if (!(w.data instanceof Float32Array)) typeFail(`${name}.data`, 'must be a Float32Array');
  const dims = checkDims(`${name}.dims`, w.dims);
  if (dims.length < 2) fail(`${name}.dims`, `must have 2 dimensions or more ([out, in] or [OC, C/group, ...kernel]), got ${dims.length}`);
  const data = w.data;
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) fail(`${name}.data`, `has ${data.length} elements but dims [${dims.join(', ')}] need ${size}`);
  const inputMajor = w.inputMajor === undefined ? false : checkBoolean(`${name}.inputMajor`, w.inputMajor);
  if (inputMajor && dims.length !== 2) fail(`${name}.inputMajor`, `applies to 2-D weights only, got dims [${dims.join(', ')}]`);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) fail(`${name}.data`, `[${i}] = ${data[i]} is not finite`);
  if (inputMajor) {
    const [inputs, outputs] = dims;
    return { outputs, inputs, positions: 1, at: (o, c) => c * outputs + o };
  }
  const [outputs, inputs] = dims;
  const positions = dims.slice(2).reduce((a, b) => a * b, 1);
  return { outputs, inputs, positions, at: (o, c, t) => (o * inputs + c) * positions + t };
}
