/**
 * calibrate(), quantizeQdq(), quantize(), clipWeights() and foldBatchNorm()
 * reject bad arguments with a TypeError or RangeError naming the argument,
 * before any session is made or any node written.
 */
import assert from 'node:assert/strict';

import { calibrate } from '../../src/compress/calibrate.js';
import { quantizeQdq } from '../../src/compress/quantize-qdq.js';
import { clipWeights } from '../../src/compress/quantize/clip-weights.js';
import { foldBatchNorm } from '../../src/compress/quantize/fold-batch-norm.js';
import { quantize } from '../../src/compress/quantize/quantize.js';
import type { OnnxGraph } from '../../src/runtime/onnx/write.js';

/** y = Gemm(x, w, b) with w [2, 3] and b [2] as initializers, transB as given. */
function gemmGraph(transB: number): OnnxGraph {
  return {
    nodes: [{ opType: 'Gemm', name: 'fc', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: { transB } }],
    initializers: [
      { name: 'w', type: 'float', dims: [2, 3], data: new Float32Array(6).fill(0.5) },
      { name: 'b', type: 'float', dims: [2], data: new Float32Array(2) },
    ],
    inputs: [{ name: 'x', type: 'float', dims: [1, 3] }],
    outputs: [{ name: 'y', type: 'float', dims: [1, 2] }],
  };
}

function rejects(error: typeof TypeError | typeof RangeError, message: RegExp) {
  return (e: unknown) => e instanceof error && message.test((e as Error).message);
}

describe('compress: QDQ quantizer and calibrator validation', () => {
  const ranges = new Map<string, [number, number]>([['x', [0, 1]], ['y', [-1, 1]]]);

  it('quantizeQdq rejects a graph without node arrays', () => {
    assert.throws(() => quantizeQdq(null as never, ranges), rejects(TypeError, /^graph must be an object/));
    assert.throws(() => quantizeQdq({ inputs: [], outputs: [] } as never, ranges), rejects(TypeError, /^graph\.nodes must be an array/));
  });
  it('quantizeQdq rejects ranges that are not a Map of finite [min, max]', () => {
    assert.throws(() => quantizeQdq(gemmGraph(1), {} as never), rejects(TypeError, /^ranges must be a Map/));
    assert.throws(() => quantizeQdq(gemmGraph(1), new Map([['x', [1, 0]]]) as never), rejects(RangeError, /^ranges\.get\("x"\) must be finite with min <= max/));
    assert.throws(() => quantizeQdq(gemmGraph(1), new Map([['x', [0]]]) as never), rejects(TypeError, /^ranges\.get\("x"\) must be \[min, max\]/));
  });
  it('quantizeQdq rejects non-boolean options', () => {
    assert.throws(() => quantizeQdq(gemmGraph(1), ranges, null as never), rejects(TypeError, /^options must be an object/));
    for (const key of ['reduceRange', 'perChannel', 'symmetricActivations'])
      assert.throws(() => quantizeQdq(gemmGraph(1), ranges, { [key]: 1 } as never), rejects(TypeError, new RegExp(`^options\\.${key} must be a boolean`)));
  });
  it('quantizeQdq rejects weights it cannot quantize per output channel', () => {
    assert.throws(() => quantizeQdq(gemmGraph(0), ranges), rejects(RangeError, /^graph: Gemm "fc" must have transB = 1/));
    const noWeight = { ...gemmGraph(1), initializers: gemmGraph(1).initializers!.slice(1) };
    assert.throws(() => quantizeQdq(noWeight, ranges), rejects(RangeError, /^graph: Gemm "fc" weight "w" must be a float initializer/));
  });
  it('quantizeQdq accepts a valid graph', () => {
    const q = quantizeQdq(gemmGraph(1), ranges, { reduceRange: true });
    assert.deepEqual(q.nodes.map((n) => n.opType), ['QuantizeLinear', 'DequantizeLinear', 'DequantizeLinear', 'DequantizeLinear', 'Gemm', 'QuantizeLinear', 'DequantizeLinear']);
  });

  it('calibrate rejects a graph without node arrays', () =>
    assert.rejects(calibrate({ nodes: [], inputs: [] } as never, []), rejects(TypeError, /^graph\.outputs must be an array/)));
  it('calibrate rejects feeds that are not a non-empty array of float32 feeds', async () => {
    await assert.rejects(calibrate(gemmGraph(1), {} as never), rejects(TypeError, /^feeds must be an array/));
    await assert.rejects(calibrate(gemmGraph(1), []), rejects(RangeError, /^feeds must hold at least one feed/));
    await assert.rejects(calibrate(gemmGraph(1), [null as never]), rejects(TypeError, /^feeds\[0\] must be an object/));
    const int8 = { x: { type: 'int8', dims: [1, 3], data: new Int8Array(3) } };
    await assert.rejects(calibrate(gemmGraph(1), [int8 as never]), rejects(TypeError, /^feeds\[0\]\.x must be a float32 tensor/));
  });

  const feeds = [{ x: { type: 'float32', dims: [1, 3], data: new Float32Array(3) } }];
  it('calibrate rejects bad options', async () => {
    const bad: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
      [null, TypeError, /^options must be an object/],
      [{ method: 'kl' }, RangeError, /^options\.method must be one of 'minmax', 'percentile', 'entropy', 'mse', got "kl"/],
      [{ method: 1 }, TypeError, /^options\.method must be a string/],
      [{ percentile: 99 }, RangeError, /^options\.percentile applies to method 'percentile' only, not 'minmax'/],
      [{ method: 'entropy', symmetric: true }, RangeError, /^options\.symmetric applies to method 'percentile' only/],
      [{ bins: 256 }, RangeError, /^options\.bins applies to method 'percentile' or 'entropy' or 'mse' only/],
      [{ method: 'mse', quantizedBins: 64 }, RangeError, /^options\.quantizedBins applies to method 'entropy' only/],
      [{ method: 'percentile', percentile: '99' }, TypeError, /^options\.percentile must be a number/],
      [{ method: 'percentile', percentile: 0 }, RangeError, /^options\.percentile must be in \(0, 100\], got 0/],
      [{ method: 'percentile', percentile: 100.5 }, RangeError, /^options\.percentile must be in \(0, 100\]/],
      [{ method: 'percentile', percentile: NaN }, RangeError, /^options\.percentile must be in \(0, 100\]/],
      [{ method: 'percentile', symmetric: 'yes' }, TypeError, /^options\.symmetric must be a boolean/],
      [{ method: 'mse', bins: 64 }, RangeError, /^options\.bins must be an integer in \[128, 65536\]/],
      [{ method: 'mse', bins: 1001 }, RangeError, /^options\.bins must be even/],
      [{ method: 'entropy', bins: 256, quantizedBins: 512 }, RangeError, /^options\.quantizedBins must be an integer in \[2, 256\]/],
      [{ method: 'entropy', quantizedBins: 127 }, RangeError, /^options\.quantizedBins must be even/],
    ];
    for (const [options, error, message] of bad) await assert.rejects(calibrate(gemmGraph(1), feeds, options as never), rejects(error, message), JSON.stringify(options));
  });
  it('calibrate rejects a feed that gives an activation non-finite values', async () => {
    const inf = [{ x: { type: 'float32', dims: [1, 3], data: Float32Array.of(0, Infinity, 1) } }];
    await assert.rejects(calibrate(gemmGraph(1), inf), rejects(RangeError, /^feeds\[0\] gives activation "x" non-finite values/));
  });

  it('quantize rejects bad graphs, feeds and options before anything runs', async () => {
    await assert.rejects(quantize(null as never, feeds), rejects(TypeError, /^graph must be an object/));
    await assert.rejects(quantize(gemmGraph(1), []), rejects(RangeError, /^feeds must hold at least one feed/));
    await assert.rejects(quantize(gemmGraph(1), feeds, 5 as never), rejects(TypeError, /^options must be an object/));
    await assert.rejects(quantize(gemmGraph(1), feeds, { perChannel: 'no' } as never), rejects(TypeError, /^options\.perChannel must be a boolean/));
    await assert.rejects(quantize(gemmGraph(1), feeds, { foldBatchNorm: 0 } as never), rejects(TypeError, /^options\.foldBatchNorm must be a boolean/));
    await assert.rejects(quantize(gemmGraph(1), feeds, { calibration: { method: 'kl' } } as never), rejects(RangeError, /^options\.calibration\.method must be one of/));
    await assert.rejects(quantize(gemmGraph(1), feeds, { clipWeights: {} }), rejects(RangeError, /^options\.clipWeights must give exactly one of percentile and stdDevs/));
  });
  it('quantize accepts a valid graph', async () => {
    const { graph, ranges, clipped } = await quantize(gemmGraph(1), feeds, { calibration: { method: 'mse' }, clipWeights: { stdDevs: 3 }, perChannel: false });
    assert.deepEqual([...ranges.keys()].sort(), ['x', 'y']);
    assert.deepEqual([...clipped], [['w', 0]]);
    assert.ok(graph.nodes.some((n) => n.opType === 'Gemm'));
  });

  it('clipWeights rejects options that do not give exactly one valid threshold', () => {
    const bad: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
      [undefined, TypeError, /^options must be an object/],
      [{}, RangeError, /^options must give exactly one of percentile and stdDevs/],
      [{ percentile: 99, stdDevs: 3 }, RangeError, /^options must give exactly one of percentile and stdDevs/],
      [{ percentile: '99' }, TypeError, /^options\.percentile must be a number/],
      [{ percentile: 0 }, RangeError, /^options\.percentile must be in \(0, 100\], got 0/],
      [{ stdDevs: -1 }, RangeError, /^options\.stdDevs must be finite and > 0, got -1/],
      [{ stdDevs: Infinity }, RangeError, /^options\.stdDevs must be finite and > 0/],
    ];
    for (const [options, error, message] of bad) assert.throws(() => clipWeights(gemmGraph(1), options as never), rejects(error, message), JSON.stringify(options));
    assert.throws(() => clipWeights({} as never, { percentile: 99 }), rejects(TypeError, /^graph\.nodes must be an array/));
  });
  it('foldBatchNorm rejects a graph without node arrays', () =>
    assert.throws(() => foldBatchNorm({ nodes: [], outputs: [] } as never), rejects(TypeError, /^graph\.inputs must be an array/)));
});
