/**
 * MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool on NCHW (1-D
 * and 2-D). MaxPool also runs on uint8/int8 (QDQ models pool the quantized
 * values: max commutes with dequantization). 2-D undilated MaxPool and
 * GlobalAveragePool also run on channels-last [N, H, W, C] values, where the
 * layout pass moved them (nhwcPool says which nodes can).
 */
import { cpu } from '../../backends/cpu/backend.js';
import { pooledSize } from '../../ops/maxpool.js';
import { planGlobalAveragePoolCall, type UnaryPlan } from '../../backends/cpu/elementwise-plan.js';
import { planMaxPoolNhwc, POOL_TYPES, type MaxPoolNhwcPlan, type PoolType } from '../../backends/cpu/maxpool.js';
import { sizeOf, tensor, type Tensor, type TypedArrayOf } from '../../tensor.js';
import type { OnnxNode, Value } from '../onnx/model.js';
import { value } from '../value.js';
import { as4d, im2colOptions, outputDims, windowAttributes, type WindowAttributes } from './conv-attributes.js';
import { ModelError } from '../onnx/model.js';
import { isNhwc } from './nhwc.js';
import { Attributes, input, nodeRun, type OpHandler, type PrepareContext } from './op.js';
import { PlanCache } from './plan-cache.js';

/**
 * Whether `node` can run on channels-last values (the layout pass asks):
 * GlobalAveragePool, and MaxPool with a 2-D undilated window and no Indices
 * output. Its input's rank (4) is the pass's to check.
 */
export function nhwcPool(node: OnnxNode): boolean {
  if (node.domain !== '') return false;
  if (node.opType === 'GlobalAveragePool') return true;
  if (node.opType !== 'MaxPool' || (node.outputs[1] ?? '') !== '') return false;
  try {
    return nhwcMaxPoolSupported(new Attributes(node)) === undefined;
  } catch {
    return false;
  }
}

/** Why a MaxPool with these attributes cannot run NHWC, or undefined when it can. */
function nhwcMaxPoolSupported(attrs: Attributes): string | undefined {
  if (attrs.ints('kernel_shape')?.length !== 2) return 'a 2-D kernel_shape';
  if ((attrs.ints('dilations') ?? []).some((d) => d !== 1)) return 'dilations 1';
  if (attrs.int('storage_order', 0) !== 0) return 'storage_order 0';
  return undefined;
}

interface PoolGeometry {
  n: number; c: number; h: number; w: number; oh: number; ow: number;
  pads: [number, number, number, number];
}

function poolWindow(ctx: PrepareContext): WindowAttributes {
  const shape = ctx.attributes.ints('kernel_shape');
  if (!shape) throw new ModelError('attribute kernel_shape is required');
  const win = windowAttributes(ctx.attributes, shape);
  // A pad as wide as the window would give windows wholly in the padding; onnxruntime rejects such pads too.
  if (typeof win.pads !== 'string' && win.pads.some((p, i) => p >= win.kernel[i % 2]))
    throw new ModelError(`attribute pads [${ctx.attributes.ints('pads')}] must each be smaller than kernel_shape [${shape}] along their axis`);
  return win;
}

/**
 * Output size along one axis: pooledSize, the one formula cpu.maxPool and the
 * GPU also use (onnxruntime's: a window larger than the padded input still
 * pools what it covers), or a ModelError where that size would be negative.
 */
export function poolOutSize(size: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const out = pooledSize(size, kernel, stride, dilation, padBegin, padEnd, ceil);
  if (out < 0) {
    const window = dilation * (kernel - 1) + 1, padded = size + padBegin + padEnd;
    throw new ModelError(`the window (${window}) is larger than the padded input (${padded}) by ${window - padded}, two strides (${stride}) or more`);
  }
  return out;
}

/** Rejects an empty pool input unless its batch is empty, as onnxruntime does (an empty plane has nothing to pool). */
export function checkPoolInput(dims: readonly number[]): void {
  if (dims[0] !== 0 && dims.some((d) => d === 0)) throw new ModelError(`input [${dims}] is empty; only the batch dim may be 0`);
}

function geometry(x: Value, win: WindowAttributes, ceil: boolean): PoolGeometry {
  const [n, c, h, w] = as4d(x.dims, win);
  checkPoolInput(x.dims);
  const pads = im2colOptions(win, h, w).pads;
  return {
    n, c, h, w, pads,
    oh: poolOutSize(h, win.kernel[0], win.strides[0], win.dilations[0], pads[0], pads[2], ceil),
    ow: poolOutSize(w, win.kernel[1], win.strides[1], win.dilations[1], pads[1], pads[3], ceil),
  };
}

/** Calls visit(planeOffset, outIndex, y0, y1, x0, x1) with each window's clipped bounds (dilation 1) in input coordinates. */
function forEachWindow(g: PoolGeometry, win: WindowAttributes, visit: (plane: number, out: number, y0: number, y1: number, x0: number, x1: number, full: number) => void): void {
  const [kh, kw] = win.kernel, [sh, sw] = win.strides;
  let out = 0;
  for (let p = 0; p < g.n * g.c; p++) {
    const plane = p * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++) {
      const ys = oy * sh - g.pads[0];
      // The window's extent inside input + padding (what count_include_pad counts).
      const ye = Math.min(ys + kh, g.h + g.pads[2]);
      for (let ox = 0; ox < g.ow; ox++, out++) {
        const xs = ox * sw - g.pads[1];
        const xe = Math.min(xs + kw, g.w + g.pads[3]);
        visit(plane, out, Math.max(ys, 0), Math.min(ye, g.h), Math.max(xs, 0), Math.min(xe, g.w), (ye - ys) * (xe - xs));
      }
    }
  }
}

const maxPool: OpHandler = (ctx) => {
  const win = poolWindow(ctx);
  const ceil = ctx.attributes.int('ceil_mode', 0) !== 0;
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '') throw new ModelError('the Indices output is not supported');
  if (ctx.attributes.int('storage_order', 0) !== 0) throw new ModelError('storage_order 1 is not supported');
  if (isNhwc(ctx.attributes)) return nhwcMaxPool(ctx, win, ceil);
  return nodeRun('maxpool', (inputs, allocate) => {
    const x = input(inputs, 0, POOL_TYPES);
    const g = geometry(x, win, ceil);
    // From the session's pool (every path below writes all of y): a fresh
    // array per run costs its first touch, ResNet-18's stem pool at batch 16
    // (12.8 MB out) 7.1 ms against 5.4 reused on this machine's cpu.maxPool.
    const dims = outputDims(win, g.n, g.c, g.oh, g.ow);
    const y = value(x.type, dims, allocate(x.type, sizeOf(dims)));
    // Nothing to compute (an empty batch, whose planes may be empty too, or windows that fit nowhere).
    if (y.data.length === 0) return [y];
    const [dh, dw] = win.dilations;
    if (dh === 1 && dw === 1) denseMaxPool(x, y, g, win, ceil);
    else dilatedMaxPool(x.data as Float32Array, y.data as Float32Array, g, win);
    return [y];
  });
};

/** MaxPool of channels-last x [N, H, W, C] -> [N, OH, OW, C] on cpu.maxPool's NHWC kernels (the geometry of the NCHW one), planned once per input shape and type. */
function nhwcMaxPool(ctx: PrepareContext, win: WindowAttributes, ceil: boolean): ReturnType<OpHandler> {
  const unsupported = nhwcMaxPoolSupported(ctx.attributes);
  if (unsupported) throw new ModelError(`MaxPool runs NHWC only with ${unsupported}`);
  const plans = new PlanCache<MaxPoolNhwcPlan<PoolType>>();
  return nodeRun('maxpool-nhwc', (inputs, allocate) => {
    const x = input(inputs, 0, POOL_TYPES);
    if (x.dims.length !== 4) throw new ModelError(`input must be 4-D (N, H, W, C), got [${x.dims}]`);
    const type = x.type as PoolType;
    const plan = plans.get(x.dims, () => {
      const [n, h, w, c] = x.dims;
      const g = geometry({ ...x, dims: [n, c, h, w] }, win, ceil);
      return planMaxPoolNhwc({ type, dims: x.dims }, { kernelShape: win.kernel, strides: win.strides, pads: g.pads, ceilMode: ceil });
    }, [POOL_TYPES.indexOf(type)]);
    const y = value(type, plan.dims, allocate(type, sizeOf(plan.dims)));
    plan.run(x.data as TypedArrayOf<PoolType>, y.data as TypedArrayOf<PoolType>);
    return [y];
  });
}

/** Undilated windows, the CNN case: cpu.maxPool (native, split by planes), of the same output size as geometry(). */
function denseMaxPool(x: Value, y: Value, g: PoolGeometry, win: WindowAttributes, ceil: boolean): void {
  const type = x.type as PoolType;
  const x4 = tensor(type, [g.n, g.c, g.h, g.w], x.data as Tensor<typeof type>['data']);
  cpu.maxPool(x4, { kernelShape: win.kernel, strides: win.strides, pads: g.pads, ceilMode: ceil, out: y.data as Tensor<typeof type>['data'] });
}

function dilatedMaxPool(xd: Float32Array, yd: Float32Array, g: PoolGeometry, win: WindowAttributes): void {
  const [kh, kw] = win.kernel, [sh, sw] = win.strides, [dh, dw] = win.dilations;
  let out = 0;
  for (let p = 0; p < g.n * g.c; p++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++, out++) {
        let m = -Infinity;
        for (let i = 0; i < kh; i++) {
          const yy = oy * sh - g.pads[0] + i * dh;
          if (yy < 0 || yy >= g.h) continue;
          for (let j = 0; j < kw; j++) {
            const xx = ox * sw - g.pads[1] + j * dw;
            if (xx >= 0 && xx < g.w && xd[(p * g.h + yy) * g.w + xx] > m) m = xd[(p * g.h + yy) * g.w + xx];
          }
        }
        yd[out] = m;
      }
}

/** The handler of an op that runs NCHW only: a ModelError where the layout pass marked the node NHWC. */
function nchwOnly(op: string, handler: OpHandler): OpHandler {
  return (ctx) => {
    if (isNhwc(ctx.attributes)) throw new ModelError(`${op} runs NCHW only`);
    return handler(ctx);
  };
}

const averagePool: OpHandler = (ctx) => {
  const win = poolWindow(ctx);
  if (win.dilations.some((d) => d !== 1)) throw new ModelError('AveragePool with dilations is not supported');
  const ceil = ctx.attributes.int('ceil_mode', 0) !== 0;
  const includePad = ctx.attributes.int('count_include_pad', 0) !== 0;
  // count_include_pad counts a window's positions inside the padded input, as
  // onnxruntime does, except where it runs its MLAS kernel (opsets before 19,
  // without ceil_mode): that divides by the whole window, which differs only
  // for a window larger than the padded input.
  const wholeWindow = includePad && ctx.opset < 19 && !ceil ? win.kernel[0] * win.kernel[1] : undefined;
  return nodeRun('avgpool', (inputs) => {
    const x = input(inputs, 0, ['float32']);
    const g = geometry(x, win, ceil);
    const y = value('float32', outputDims(win, g.n, g.c, g.oh, g.ow));
    const xd = x.data as Float32Array;
    forEachWindow(g, win, (plane, out, y0, y1, x0, x1, full) => {
      let s = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0, row = plane + yy * g.w; xx < x1; xx++) s += xd[row + xx];
      y.data[out] = s / (includePad ? wholeWindow ?? full : (y1 - y0) * (x1 - x0));
    });
    return [y];
  });
};

/** Global pools reduce every spatial position of each [n, c] plane to one value. */
function globalPool(label: string, reduce: (d: Float32Array, start: number, size: number) => number): OpHandler {
  return () =>
    nodeRun(label, (inputs) => {
      const x = input(inputs, 0, ['float32', 'uint8', 'int8']);
      if (x.dims.length < 3) throw new ModelError(`input must be [N, C, spatial...], got [${x.dims}]`);
      checkPoolInput(x.dims);
      const [n, c] = x.dims;
      const size = x.data.length / Math.max(1, n * c);
      const y = value(x.type, [n, c, ...x.dims.slice(2).map(() => 1)]);
      for (let p = 0; p < n * c; p++) (y.data as Float32Array)[p] = reduce(x.data as Float32Array, p * size, size);
      return [y];
    });
}

/**
 * The mean of each plane, on the native f32-elementwise kernels
 * (cpu.globalAveragePool: float32 sums, planned once per input shape); NHWC: of each channel of
 * [N, H, W, C] into [N, 1, 1, C], summed in the same order.
 */
const globalAveragePool: OpHandler = (ctx) => {
  const nhwc = isNhwc(ctx.attributes);
  const layout = nhwc ? 'nhwc' : 'nchw';
  const plans = new PlanCache<UnaryPlan>();
  return nodeRun(nhwc ? 'globalavgpool-nhwc' : 'globalavgpool', (inputs, allocate) => {
    const x = input(inputs, 0, ['float32']);
    if (nhwc && x.dims.length !== 4) throw new ModelError(`input must be 4-D (N, H, W, C), got [${x.dims}]`);
    if (x.dims.length < 3) throw new ModelError(`input must be [N, C, spatial...], got [${x.dims}]`);
    checkPoolInput(x.dims);
    const plan = plans.get(x.dims, () => planGlobalAveragePoolCall(x as Tensor<'float32'>, { layout }));
    const { dims } = plan.result;
    const y = value('float32', dims, allocate('float32', sizeOf(dims)));
    plan.run(x.data as Float32Array, y.data);
    return [y];
  });
};

export const POOL_OPS: Record<string, OpHandler> = {
  MaxPool: maxPool,
  AveragePool: nchwOnly('AveragePool', averagePool),
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: nchwOnly('GlobalMaxPool', globalPool('globalmaxpool', (d, start, size) => {
    let m = -Infinity;
    for (let i = start; i < start + size; i++) if (d[i] > m) m = d[i];
    return m;
  })),
};
