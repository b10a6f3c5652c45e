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

/** Whether the layout pass moved this node to NHWC. */
export function isNhwc(attrs: Attributes): boolean {
  return attrs.string(LAYOUT_ATTRIBUTE, 'NCHW') === NHWC;
}
