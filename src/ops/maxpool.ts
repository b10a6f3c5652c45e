/**
 * The geometry of 2-D max pooling over NCHW input (onnxruntime's output
 * sizes), checked: one plan for every backend and for the runtime's pooling.
 */
import type { Im2colGeometry } from './im2col.js';
import { checkBoolean, checkDim, checkInt, checkObject, fail, typeFail } from '../validate.js';

/** The undilated, ungrouped part of the im2col geometry, over N*C planes. */
export type MaxPoolGeometry = { planes: number } & Pick<Im2colGeometry,
  'height' | 'width' | 'kernelH' | 'kernelW' | 'strideH' | 'strideW' | 'padTop' | 'padLeft' | 'outH' | 'outW'>;

/** maxPool's options every backend takes. */
export interface MaxPoolArgs {
  kernelShape: readonly [number, number];
  strides?: readonly [number, number];
  /** [top, left, bottom, right], as ONNX orders them; each smaller than the kernel along its axis. */
  pads?: readonly [number, number, number, number];
  /** Round the output size up (ONNX ceil_mode), dropping a last window that would start in the end padding. */
  ceilMode?: boolean;
}

/**
 * Output size of a pooling window along one axis, as onnxruntime computes it:
 * (padded input - window) / stride + 1, the division truncated toward zero
 * (ceil mode: rounded up, then less a last window that would start in the end
 * padding). So a (dilated) window larger than the padded input still gives
 * one output, pooling what it covers, while it overhangs by less than one
 * stride; none while by less than two; and a negative size beyond, which
 * callers reject as onnxruntime does.
 */
export function pooledSize(size: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const span = size + padBegin + padEnd - (dilation * (kernel - 1) + 1);
  let out = (ceil ? Math.ceil(span / stride) : Math.trunc(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= size + padBegin) out--;
  return out;
}

function ints(name: string, value: unknown, length: number, min: number): number[] {
  if (!Array.isArray(value) || value.length !== length) typeFail(name, `must be an array of ${length} numbers`);
  return value.map((v, i) => checkInt(`${name}[${i}]`, v, min, 2 ** 31));
}

/** Pooling geometry of NCHW dims, validated. */
export function maxPoolGeometry(dims: readonly number[], options: MaxPoolArgs): MaxPoolGeometry {
  checkObject('options', options);
  const [n, c, height, width] = dims;
  const [kernelH, kernelW] = ints('options.kernelShape', options.kernelShape ?? typeFail('options.kernelShape', 'is required'), 2, 1);
  const [strideH, strideW] = options.strides === undefined ? [1, 1] : ints('options.strides', options.strides, 2, 1);
  let pads = [0, 0, 0, 0];
  if (options.pads !== undefined) {
    if (!Array.isArray(options.pads) || options.pads.length !== 4) typeFail('options.pads', 'must be an array of 4 numbers [top, left, bottom, right]');
    pads = options.pads.map((p, i) => checkDim(`options.pads[${i}]`, p));
  }
  pads.forEach((p, i) => {
    if (p >= (i % 2 === 0 ? kernelH : kernelW)) fail(`options.pads[${i}]`, `(${p}) must be smaller than the kernel (${kernelH}x${kernelW})`);
  });
  const ceil = options.ceilMode === undefined ? false : checkBoolean('options.ceilMode', options.ceilMode);
  // An empty plane has no position for a window to start on.
  if (height === 0 || width === 0) fail('x', `dims [${dims}] have an empty plane; only N and C may be 0`);
  const outH = pooledSize(height, kernelH, strideH, 1, pads[0], pads[2], ceil);
  const outW = pooledSize(width, kernelW, strideW, 1, pads[1], pads[3], ceil);
  if (outH < 0 || outW < 0)
    fail('options.kernelShape', `(${kernelH}x${kernelW}) overhangs the padded input ${height + pads[0] + pads[2]}x${width + pads[1] + pads[3]} by two strides or more`);
  return { planes: n * c, height, width, kernelH, kernelW, strideH, strideW, padTop: pads[0], padLeft: pads[1], outH, outW };
}
