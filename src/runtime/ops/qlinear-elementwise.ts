/**
 * The quantized elementwise nodes passes/fuse-quantized-elementwise.ts makes
 * from DequantizeLinear -> op [-> Relu/Clip] -> QuantizeLinear, run on the
 * 8-bit values by the qx8-elementwise kernels, bit for bit what the float
 * nodes they replace compute:
 *
 *   com.microsoft QLinearAdd / QLinearMul, sparq QLinearSub
 *       (A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point): cpu.qadd/qsub/qmul
 *   com.microsoft QLinearSigmoid, sparq QLinearLookup (attribute sparq_op: the float op,
 *       its attributes and extra inputs kept) (X, X_scale, X_zero_point, Y_scale, Y_zero_point[, op inputs]):
 *       a 256-entry table computed at creation by running the float op's own
 *       handler on every 8-bit value, then cpu.lookup
 *   com.microsoft QLinearGlobalAveragePool (X, x_scale, x_zero_point, y_scale, y_zero_point;
 *       channels_last, or the NHWC layout's mark): cpu.qglobalAveragePool
 *
 * A clamp a fusion moved in (sparq_activation_min/max) applies to the float
 * result before it is quantized. Scales and zero points are per tensor and
 * must be constants. Each node plans its kernel call once per input shape
 * (cpu's planQBinaryCall, ...). Broadcasts the kernels do not run take the
 * float path.
 */
import { cpu } from '../../backends/cpu/backend.js';
import { planLookupCall, planQBinaryCall, planQGlobalAveragePoolCall, type QBinaryCallPlan, type QUnaryPlan } from '../../backends/cpu/qelementwise.js';
import { planQBinary } from '../../ops/qelementwise.js';
import { tensor, type QType, type Tensor } from '../../tensor.js';
import type { OnnxNode, Value } from '../onnx/model.js';
import { ModelError } from '../onnx/model.js';
import { asTensor, value } from '../value.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { isNhwc } from './nhwc.js';
import { Attributes, fusedActivation, input, nodeRun, type OpHandler, type PrepareContext } from './op.js';
import { PlanCache } from './plan-cache.js';
import { quantizedType } from './quantize.js';

/** The attribute naming the float op a QLinearLookup node runs as a table. */
export const LOOKUP_OP = 'sparq_op';
/** The ai.onnx opset of that op (its handler reads attributes or inputs by opset). */
export const LOOKUP_OPSET = 'sparq_opset';

interface QParams {
  scale: number;
  zeroPoint: number;
  type: QType;
}

/** The constant per-tensor scale (input `s`) and zero point (input `s + 1`, omitted: 0 of uint8). */
function constantQuant(ctx: PrepareContext, s: number, what: string): QParams {
  const scale = ctx.constants[s];
  const zero = ctx.constants[s + 1];
  const omitted = (ctx.node.inputs[s + 1] ?? '') === '';
  if (scale === undefined || (!omitted && zero === undefined)) throw new ModelError(`${what}'s scale and zero point must be constants`);
  if (scale.type !== 'float32' || scale.data.length !== 1) throw new ModelError(`${what}'s scale must be one float32 value, got ${scale.type} [${scale.dims}]`);
  if (zero !== undefined && zero.data.length !== 1) throw new ModelError(`${what}'s zero point must be one value, got [${zero.dims}]`);
  return { scale: scale.data[0] as number, zeroPoint: zero === undefined ? 0 : Number(zero.data[0]), type: quantizedType(zero) };
}

function quantized(v: Value, q: QParams, what: string): Tensor<QType> {
  if (v.type !== q.type) throw new ModelError(`${what} must be ${q.type} like its zero point, got ${v.type}`);
  return asTensor(v, [q.type], what, { scale: q.scale, zeroPoint: q.zeroPoint });
}

const FLOAT_OPS = { add: ELEMENTWISE_OPS.Add, sub: ELEMENTWISE_OPS.Sub, mul: ELEMENTWISE_OPS.Mul } as const;

function qlinearBinary(op: 'add' | 'sub' | 'mul'): OpHandler {
  return (ctx) => {
    const [aq, bq, yq] = [constantQuant(ctx, 1, 'A'), constantQuant(ctx, 4, 'B'), constantQuant(ctx, 6, 'C')];
    if (bq.type !== aq.type || yq.type !== aq.type) throw new ModelError(`A, B and C must have one type, got ${aq.type}, ${bq.type} and ${yq.type}`);
    const clamp = fusedActivation(ctx.attributes) ?? { min: -Infinity, max: Infinity };
    const float = FLOAT_OPS[op]({ ...ctx, node: { ...ctx.node, inputs: ['a', 'b'] }, constants: [] });
    const plans = new PlanCache<QBinaryCallPlan | undefined>();
    return nodeRun(`q${op}`, (inputs, allocate) => {
      const a = quantized(input(inputs, 0), aq, 'A'), b = quantized(input(inputs, 3), bq, 'B');
      const plan = plans.get(a.dims, () => (planQBinary(a.dims, b.dims) ? planQBinaryCall(op, a, b, { scale: yq.scale, zeroPoint: yq.zeroPoint, activation: clamp }) : undefined), b.dims);
      if (!plan) return [floatBinary(float.run([dequantized(a), dequantized(b)])[0], clamp, yq)];
      const y = allocate(yq.type, plan.result.dims.reduce((p, d) => p * d, 1));
      plan.run(a.data, b.data, y);
      return [value(yq.type, plan.result.dims, y)];
    });
  };
}

function dequantized(x: Tensor<QType>): Value {
  const y = cpu.dequantize(x);
  return value('float32', y.dims, y.data);
}

/** The float path for a broadcast the kernels do not run: the op's float node, the clamp, QuantizeLinear. */
function floatBinary(y: Value, clamp: { min: number; max: number }, q: QParams): Value {
  const clamped = cpu.activate(asTensor(y, ['float32'], 'C'), clamp);
  const r = cpu.quantize(clamped, { type: q.type, scale: q.scale, zeroPoint: q.zeroPoint });
  return value(r.type, r.dims, r.data);
}

/** Every value of `type` once, at the index of its byte (int8 -1 at 255). */
function everyByte(type: QType): Uint8Array | Int8Array {
  return type === 'uint8' ? Uint8Array.from({ length: 256 }, (_, i) => i) : new Int8Array(Uint8Array.from({ length: 256 }, (_, i) => i).buffer);
}

/**
 * The table of Q(clamp(op(DQ(x)))) for every 8-bit x: the float op's own
 * handler (its attributes and constant inputs) run on the 256 dequantized
 * values, so a lookup equals the float nodes bit for bit.
 */
function lookupTable(ctx: PrepareContext, opType: string, xq: QParams, yq: QParams, extra: number): Uint8Array | Int8Array {
  const handler = ELEMENTWISE_OPS[opType];
  if (!handler) throw new ModelError(`${LOOKUP_OP} '${opType}' is not a float elementwise op`);
  const attributes = new Map([...ctx.node.attributes].filter(([k]) => !k.startsWith('sparq_')));
  const inputs = ['x', ...ctx.node.inputs.slice(extra)];
  const constants = [undefined, ...ctx.constants.slice(extra)];
  if (inputs.some((name, i) => i > 0 && name !== '' && constants[i] === undefined)) throw new ModelError(`the inputs of ${opType} must be constants`);
  const node: OnnxNode = { ...ctx.node, opType, domain: '', attributes, inputs };
  const opset = ctx.attributes.int(LOOKUP_OPSET, ctx.opset);
  const floatNode = handler({ node, opset, constants, attributes: new Attributes(node), policy: ctx.policy });
  const x = everyByte(xq.type);
  const xf = cpu.dequantize(tensor(xq.type, [256], x, { scale: xq.scale, zeroPoint: xq.zeroPoint }));
  const [y] = floatNode.run([value('float32', [256], xf.data), ...constants.slice(1)]);
  const clamp = fusedActivation(ctx.attributes);
  const yf = clamp ? cpu.activate(asTensor(y, ['float32'], opType), clamp) : asTensor(y, ['float32'], opType);
  return cpu.quantize(yf, { type: yq.type, scale: yq.scale, zeroPoint: yq.zeroPoint }).data as Uint8Array | Int8Array;
}

/** A unary op on 8-bit values as a table: `opType` fixed (QLinearSigmoid) or read from the node (QLinearLookup). */
function qlinearLookup(fixed?: string): OpHandler {
  return (ctx) => {
    const opType = fixed ?? ctx.attributes.string(LOOKUP_OP, '');
    const [xq, yq] = [constantQuant(ctx, 1, 'X'), constantQuant(ctx, 3, 'Y')];
    const table = lookupTable(ctx, opType, xq, yq, 5);
    const plans = new PlanCache<QUnaryPlan>();
    return nodeRun('qlookup', (inputs, allocate) => {
      const x = quantized(input(inputs, 0), xq, 'X');
      const plan = plans.get(x.dims, () => planLookupCall(x, table, { scale: yq.scale, zeroPoint: yq.zeroPoint }));
      const y = allocate(yq.type, x.data.length);
      plan.run(x.data, y);
      return [value(yq.type, x.dims, y)];
    });
  };
}

const qlinearGlobalAveragePool: OpHandler = (ctx) => {
  const [xq, yq] = [constantQuant(ctx, 1, 'x'), constantQuant(ctx, 3, 'y')];
  const channelsLast = ctx.attributes.int('channels_last', 0) !== 0 || isNhwc(ctx.attributes);
  const plans = new PlanCache<QUnaryPlan>();
  return nodeRun('qglobalavgpool', (inputs, allocate) => {
    const x = quantized(input(inputs, 0), xq, 'X');
    if (x.dims.length < 3) throw new ModelError(`input must be [N, C, spatial...], got [${x.dims}]`);
    const plan = plans.get(x.dims, () => planQGlobalAveragePoolCall(x, { scale: yq.scale, zeroPoint: yq.zeroPoint, type: yq.type, channelsLast }));
    const y = allocate(yq.type, plan.result.dims.reduce((p, d) => p * d, 1));
    plan.run(x.data, y);
    return [value(yq.type, plan.result.dims, y)];
  });
};

/**
 * The activation inputs of a node of this file, which all run on NHWC values
 * as they are (the layout pass's question; undefined for other nodes): the
 * binary and unary ones read their shapes (an [N, 1, 1, C] operand is the
 * NHWC per-channel form), the pool follows the layout mark.
 */
export function nhwcQuantizedInputs(node: OnnxNode): number[] | undefined {
  const key = `${node.domain}.${node.opType}`;
  if (!(key in QLINEAR_ELEMENTWISE_OPS)) return undefined;
  return key.endsWith('.QLinearAdd') || key.endsWith('.QLinearMul') || key.endsWith('.QLinearSub') ? [0, 3] : [0];
}

export const QLINEAR_ELEMENTWISE_OPS: Record<string, OpHandler> = {
  'com.microsoft.QLinearAdd': qlinearBinary('add'),
  'com.microsoft.QLinearMul': qlinearBinary('mul'),
  'sparq.QLinearSub': qlinearBinary('sub'),
  'com.microsoft.QLinearSigmoid': qlinearLookup('Sigmoid'),
  'sparq.QLinearLookup': qlinearLookup(),
  'com.microsoft.QLinearGlobalAveragePool': qlinearGlobalAveragePool,
};
