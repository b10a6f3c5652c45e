/**
 * Channels-last values inside a CPU session. The layout pass
 * (passes/nhwc-layout.ts) moves runs of convs and the nodes between them to
 * NHWC, where a 1x1 conv is one GEMM on the image as it lies and a
 * depthwise conv vectorizes across channels, and marks every node it moved
 * with this attribute: such a node reads and writes its 4-D activations as
 * [N, H, W, C]. The name is sparq's own; a model never carries it.
 */
import type { Attributes } from './op.js';

export const LAYOUT_ATTRIBUTE = 'sparq_layout';
export const NHWC = 'NHWC';

/** Transpose perms into and out of the layout. */
export const TO_NHWC = [0, 2, 3, 1];
export const TO_NCHW = [0, 3, 1, 2];

/** Whether the layout pass moved this node to NHWC. */
export function isNhwc(attrs: Attributes): boolean {
  return attrs.string(LAYOUT_ATTRIBUTE, 'NCHW') === NHWC;
}

/**
 * Set (to NCHW) on a moved QuantizeLinear that reads its input from outside
 * the region as it lies, NCHW, and writes NHWC bytes: the layout pass's
 * input edge (passes/nhwc-edges.ts), one pass over the floats instead of a
 * float transpose before the node.
 */
export const INPUT_LAYOUT_ATTRIBUTE = 'sparq_input_layout';
export const NCHW = 'NCHW';

/** Whether this NHWC node reads its activation input NCHW (INPUT_LAYOUT_ATTRIBUTE). */
export function readsNchw(attrs: Attributes): boolean {
  return isNhwc(attrs) && attrs.string(INPUT_LAYOUT_ATTRIBUTE, NHWC) === NCHW;
}
