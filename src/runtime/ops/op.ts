/**
 * What an ONNX operator is to the runtime: a handler that looks at one node
 * once, at session creation (attributes checked, constant weights packed,
 * the kernel chosen), and returns the NodeRun that runs it on every
 * session.run(). Handlers know ONNX; the kernels they call do not.
 */
import { allocateFresh, type Allocate } from '../buffers.js';
import { ModelError, type AttributeValue, type OnnxNode, type Value, type ValueType } from '../onnx/model.js';

export interface PrepareContext {
  node: OnnxNode;
  /** The opset of the node's domain. */
  opset: number;
  /** Inputs known at session creation (initializers, folded constants); undefined for run-time values and omitted inputs. */
  constants: readonly (Value | undefined)[];
  attributes: Attributes;
  /** Session policy the handlers read. */
  policy: RunPolicy;
}

export interface RunPolicy {
  /** Let layers whose weights are sparse enough run on the sparse kernels (default true). */
  sparse: boolean;
}

/**
 * A prepared node: run() maps its inputs (undefined where omitted) to its
 * outputs. Kernels that write a whole output may take its storage from
 * `allocate` (a session's reused buffers, possibly dirty).
 */
export interface NodeRun {
  run(inputs: readonly (Value | undefined)[], allocate?: Allocate): Value[];
  /** The kernel chosen, for profiles ('gemm', 'csr', 'qgemm', ...). */
  readonly label: string;
}

export type OpHandler = (ctx: PrepareContext) => NodeRun;

/** A kernel that is a plain function of its inputs. */
export function nodeRun(label: string, run: (inputs: readonly (Value | undefined)[], allocate: Allocate) => Value[]): NodeRun {
  return { label, run: (inputs, allocate = allocateFresh) => run(inputs, allocate) };
}

/** The node's attributes, read with their ONNX defaults; a wrong kind is a ModelError naming it. */
export class Attributes {
  constructor(private readonly node: OnnxNode) {}

  private get(name: string, type: AttributeValue['type']): AttributeValue['value'] | undefined {
    const a = this.node.attributes.get(name);
    if (a === undefined) return undefined;
    if (a.type !== type) throw new ModelError(`attribute ${name} must be of type ${type}, got ${a.type}`);
    return a.value;
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    return (this.get(name, 'int') as number | undefined) ?? fallback;
  }

  float(name: string, fallback: number): number {
    return (this.get(name, 'float') as number | undefined) ?? fallback;
  }

  string(name: string, fallback: string): string {
    return (this.get(name, 'string') as string | undefined) ?? fallback;
  }

  ints(name: string): number[] | undefined {
    return this.get(name, 'ints') as number[] | undefined;
  }

  floats(name: string): number[] | undefined {
    return this.get(name, 'floats') as number[] | undefined;
  }

  tensor(name: string): Value | undefined {
    return this.get(name, 'tensor') as Value | undefined;
  }

  has(name: string): boolean {
    return this.node.attributes.has(name);
  }
}

/** The input at `index`, which the node must have, of one of `types`. */
export function input(inputs: readonly (Value | undefined)[], index: number, types?: readonly ValueType[]): Value {
  const v = inputs[index];
  if (v === undefined) throw new ModelError(`input ${index} is required`);
  if (types && !types.includes(v.type)) throw new ModelError(`input ${index} must be ${types.join(' or ')}, got ${v.type}`);
  return v;
}

/** A 1-element or scalar input as a number (int64 included). */
export function scalar(v: Value, what: string): number {
  if (v.data.length !== 1) throw new ModelError(`${what} must hold one value, got dims [${v.dims}]`);
  return Number(v.data[0]);
}

/** An int64/int32 input as plain numbers (shapes, axes, indices). */
export function integers(v: Value, what: string): number[] {
  if (v.type !== 'int64' && v.type !== 'int32') throw new ModelError(`${what} must be int64, got ${v.type}`);
  return Array.from(v.data as ArrayLike<number | bigint>, Number);
}

/** An axis attribute in [-rank, rank) made non-negative. */
export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new ModelError(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/**
 * The clamp a fusion pass moved into this node (passes/fuse-activation.ts),
 * as the kernels' activation option. The attribute names are sparq's own;
 * a model never carries them.
 */
export const FUSED_MIN = 'sparq_activation_min';
export const FUSED_MAX = 'sparq_activation_max';

/** The MaxPool a fusion pass (passes/fuse-maxpool.ts) moved into a conv: 2-D kernel and strides, no padding. */
export const FUSED_POOL_KERNEL = 'sparq_pool_kernel';
export const FUSED_POOL_STRIDES = 'sparq_pool_strides';

export function fusedPool(attrs: Attributes): { kernelShape: [number, number]; strides: [number, number] } | undefined {
  const kernel = attrs.ints(FUSED_POOL_KERNEL);
  if (!kernel) return undefined;
  const strides = attrs.ints(FUSED_POOL_STRIDES) ?? [1, 1];
  return { kernelShape: [kernel[0], kernel[1]], strides: [strides[0], strides[1]] };
}

export function fusedActivation(attrs: Attributes): { min: number; max: number } | undefined {
  if (!attrs.has(FUSED_MIN) && !attrs.has(FUSED_MAX)) return undefined;
  return { min: attrs.float(FUSED_MIN, -Infinity), max: attrs.float(FUSED_MAX, Infinity) };
}

