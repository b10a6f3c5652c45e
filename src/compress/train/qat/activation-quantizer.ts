/**
 * A fake-quantized activation (uint8, the QuantizeLinear quantizeQdq puts
 * there) with its range learned as onnxruntime's and PyTorch's QAT
 * observers learn it: in 'train' mode each batch's [min, max] moves the
 * range by an exponential moving average, range += momentum * (batch -
 * range), the first batch setting it; in 'eval' mode the range is frozen.
 * While its QAT is calibrating it passes values through unchanged and
 * widens the range to every value seen (calibrate()'s min-max).
 */
import { ScratchArrays, type Tensor } from '../../../tensor.js';
import { activationParams } from '../../quantize-qdq.js';
import type { Mode } from '../layer.js';
import { checkGradDims, needForward, view } from '../layers/common.js';
import { extent, fakeQuantize, straightThrough, type Grid } from './fake-quant.js';
import { fail } from '../../../validate.js';

/** What a QAT's quantizers do on forward: fake-quantize (and learn ranges in train mode), or only record ranges. */
export interface QatPhase {
  calibrating: boolean;
}

// Scratch slots.
const Y = 0, CODES = 1, INSIDE = 2, DX = 3;

export class ActivationQuantizer {
  /** The learned [min, max]; undefined before the first batch. */
  range: [number, number] | undefined;
  private readonly scratch = new ScratchArrays();
  private inside: Uint8Array | undefined;
  private dims: readonly number[] | undefined;

  constructor(readonly where: string, private readonly momentum: number, private readonly symmetric: boolean, private readonly phase: QatPhase) {}

  /** The uint8 grid of the current range (quantizeQdq's scale and zero point for it). */
  grid(): Grid {
    if (!this.range) fail('network', `has no range for ${this.where} yet: give qat() options.calibration or train it first`);
    const { scale, zeroPoint } = activationParams(this.range[0], this.range[1], this.symmetric);
    return { scale, zeroPoint };
  }

  forward(x: Tensor<'float32'>, mode: Mode): Tensor<'float32'> {
    if (this.phase.calibrating) {
      const [min, max] = extent(x.data);
      this.range = this.range ? [Math.min(this.range[0], min), Math.max(this.range[1], max)] : [min, max];
      return x;
    }
    if (mode === 'train') {
      const [min, max] = extent(x.data);
      const r = this.range, m = this.momentum;
      this.range = r ? [r[0] + m * (min - r[0]), r[1] + m * (max - r[1])] : [min, max];
    }
    const y = this.scratch.get(Y, 'float32', x.data.length);
    const inside = mode === 'train' ? this.scratch.get(INSIDE, 'uint8', x.data.length) : undefined;
    fakeQuantize(x.data, this.grid(), y, this.scratch.get(CODES, 'uint8', x.data.length), inside);
    this.inside = inside;
    this.dims = x.dims;
    return view(y, x.dims);
  }

  /** The clipped STE: dy where the forward's input was representable. */
  backward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const inside = needForward(this.inside, this.where);
    checkGradDims(this.where, dy, this.dims!);
    const dx = this.scratch.get(DX, 'float32', dy.data.length);
    straightThrough(dy.data, inside, dx);
    return view(dx, dy.dims);
  }
}
