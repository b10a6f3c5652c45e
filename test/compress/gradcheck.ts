/**
 * Finite-difference gradient checks for the trainer's layers (and anything
 * with a forward/backward pair): the loss L = sum(r * y) of the layer's
 * output y against a fixed random r, accumulated in float64, is perturbed
 * by +-eps along a direction and the central difference compared with the
 * analytic gradient backward gives. The kernels are float32, so each
 * perturbed output carries ~1e-7 relative rounding that the difference
 * divides by 2 eps: eps 1e-3 and a 1e-2 relative tolerance leave room for
 * it while still catching a wrong term (off by a factor, a missing sum).
 * Two checks per array: one along a random +-1 direction (every element at
 * once: catches any error with certainty up to cancellation) and a few
 * single elements (catches an error too small to move the projection).
 * Inputs must sit away from kinks (ReLU at 0, a max pool's ties) by more
 * than eps, or the difference straddles them.
 */
import assert from 'node:assert/strict';

import type { Layer, Mode } from '../../src/compress/train/layer.js';
import type { Tensor } from '../../src/tensor.js';
import { rng } from '../helpers.js';

export interface GradCheckOptions {
  /** Step of the central difference (default 1e-3). */
  eps?: number;
  /** Relative tolerance (default 1e-2); elements are compared against the array's largest gradient. */
  tolerance?: number;
  /** Single elements checked per array, picked at random (default 6); every element when it has no more. */
  elements?: number;
  /** Seed of r, the direction and the elements picked (default 1). */
  seed?: number;
}

/**
 * Checks `analytic` (dL/dvalue) against central differences of `loss()`, a
 * float64 loss that reads `value`'s current contents: `value` is perturbed
 * in place and restored. `what` names the array in failures.
 */
export function checkGradient(what: string, value: Float32Array, analytic: ArrayLike<number>, loss: () => number, options: GradCheckOptions = {}): void {
  const { eps = 1e-3, tolerance = 1e-2, elements = 6, seed = 1 } = options;
  assert.equal(analytic.length, value.length, `${what}: gradient length`);
  const random = rng(seed * 7919 + value.length);
  const saved = Float32Array.from(value);
  const along = (direction: Float32Array): number => {
    for (let i = 0; i < value.length; i++) value[i] = saved[i] + eps * direction[i];
    const plus = loss();
    for (let i = 0; i < value.length; i++) value[i] = saved[i] - eps * direction[i];
    const minus = loss();
    value.set(saved);
    return (plus - minus) / (2 * eps);
  };
  let scale = 0;
  for (let i = 0; i < analytic.length; i++) scale = Math.max(scale, Math.abs(analytic[i]));

  const direction = Float32Array.from(value, () => (random() < 0.5 ? -1 : 1));
  let projected = 0;
  for (let i = 0; i < value.length; i++) projected += analytic[i] * direction[i];
  const numeric = along(direction);
  const size = Math.max(Math.abs(numeric), Math.abs(projected), scale);
  assert.ok(Math.abs(numeric - projected) <= tolerance * size, `${what}: along a random direction: analytic ${projected}, numeric ${numeric}`);

  const all = elements >= value.length;
  for (let e = 0; e < Math.min(elements, value.length); e++) {
    const i = all ? e : Math.floor(random() * value.length);
    const unit = new Float32Array(value.length);
    unit[i] = 1;
    const single = along(unit);
    assert.ok(Math.abs(single - analytic[i]) <= tolerance * Math.max(scale, Math.abs(single)), `${what}[${i}]: analytic ${analytic[i]}, numeric ${single}`);
  }
}

/** sum(r * y) in float64. */
function projection(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i] * r[i];
  return sum;
}

/**
 * Checks a layer's backward against finite differences of L = sum(r * y),
 * y = layer.forward(x, mode): dL/dx (backward's result) and every param's
 * gradient (backward adds into grad; the grads are zeroed first). `mode`
 * defaults to 'train' (BatchNorm's batch statistics); a layer whose forward
 * is random in that mode (dropout) cannot be checked this way.
 */
export function checkLayerGradients(layer: Layer, x: Tensor<'float32'>, options: GradCheckOptions & { mode?: Mode } = {}): void {
  const mode = options.mode ?? 'train';
  const random = rng(options.seed ?? 1);
  const y = layer.forward(x, mode);
  const dy: Tensor<'float32'> = { type: 'float32', dims: [...y.dims], data: Float32Array.from(y.data, () => random() * 2 - 1) };
  for (const p of layer.params()) p.grad.fill(0);
  // Copied: the layer's arrays are its own to reuse on the next forward and backward.
  const dx = Float32Array.from(layer.backward(dy).data);
  const grads = layer.params().map((p) => Float32Array.from(p.grad));
  const loss = () => projection(layer.forward(x, mode).data, dy.data);
  checkGradient(`${layer.kind}: dL/dx`, x.data, dx, loss, options);
  layer.params().forEach((p, i) => checkGradient(`${layer.kind}: ${p.name}`, p.value, grads[i], loss, options));
}
