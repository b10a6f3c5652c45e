/**
 * Conv and QLinearConv moved to NHWC (sparq_layout = NHWC) against the same
 * node run NCHW, the oracle: for every case the NHWC result is the
 * transpose of the NCHW operator's (float32 within 1e-5 of the output's
 * largest magnitude, uint8/int8 exactly equal). Plus `nhwcConv`, the
 * predicate the layout pass asks.
 */
import assert from 'node:assert/strict';

import { ModelError, type AttributeValue, type OnnxNode, type Value } from '../../src/runtime/onnx/model.js';
import { CONV_OPS } from '../../src/runtime/ops/conv.js';
import { nhwcConv } from '../../src/runtime/ops/conv-nhwc.js';
import { LAYOUT_ATTRIBUTE, NHWC } from '../../src/runtime/ops/nhwc.js';
import { Attributes, FUSED_MAX, FUSED_MIN, FUSED_POOL_KERNEL, FUSED_POOL_STRIDES } from '../../src/runtime/ops/op.js';
import { FUSED_KIND, FUSED_RESIDUAL } from '../../src/runtime/ops/post-op.js';
import { nhwcSparseChoice } from '../../src/backends/cpu/conv/nhwc.js';
import { pruneBlocks } from '../fixtures/cifar-cnn.js';
import { assertClose, assertSameArray, randomFloats, randomInts, rng } from '../helpers.js';

type Attrs = Record<string, AttributeValue>;

function node(opType: string, inputs: string[], attrs: Attrs): OnnxNode {
  return { name: 'n', opType, domain: '', inputs, outputs: ['y'], attributes: new Map(Object.entries(attrs)) };
}

const ints = (value: number[]): AttributeValue => ({ type: 'ints', value });
const float = (value: number): AttributeValue => ({ type: 'float', value });
const NHWC_ATTR: Attrs = { [LAYOUT_ATTRIBUTE]: { type: 'string', value: NHWC } };

/** `x` [N, A, B, C] with its axes permuted: NCHW -> NHWC is [0, 2, 3, 1], NHWC -> NCHW [0, 3, 1, 2]. */
function permute(x: Value, order: [number, number, number, number]): Value {
  const d = x.dims;
  const dims = order.map((a) => d[a]);
  const strides = [d[1] * d[2] * d[3], d[2] * d[3], d[3], 1];
  const data = new (x.data.constructor as new (n: number) => Value['data'])(x.data.length);
  let o = 0;
  for (let i0 = 0; i0 < dims[0]; i0++)
    for (let i1 = 0; i1 < dims[1]; i1++)
      for (let i2 = 0; i2 < dims[2]; i2++)
        for (let i3 = 0; i3 < dims[3]; i3++) {
          const idx = [i0, i1, i2, i3];
          let s = 0;
          for (let k = 0; k < 4; k++) s += idx[k] * strides[order[k]];
          data[o++] = data instanceof BigInt64Array ? x.data[s] as bigint : x.data[s] as number;
        }
  return { type: x.type, dims, data };
}
const toNhwc = (x: Value) => permute(x, [0, 2, 3, 1]);

/** Runs `n` on `inputs` (constants at their indices known at preparation) in NCHW and NHWC; returns both results as NCHW. */
function runBoth(n: OnnxNode, inputs: (Value | undefined)[], constant: (i: number) => boolean, residualIndex?: number, sparse = false): { nchw: Value; nhwc: Value; labels: { nchw: string; nhwc: string } } {
  const run = (layout: Attrs, ins: (Value | undefined)[]) => {
    const m = { ...n, attributes: new Map([...n.attributes, ...Object.entries(layout)]) };
    const constants = ins.map((v, i) => (constant(i) ? v : undefined));
    const kernel = CONV_OPS[n.opType]({ node: m, opset: 13, constants, attributes: new Attributes(m), policy: { sparse } });
    return { y: kernel.run(ins)[0], label: kernel.label };
  };
  const nchw = run({}, inputs);
  const nhwcInputs = inputs.map((v, i) => (v && (i === 0 || i === residualIndex) ? toNhwc(v) : v));
  const { y, label } = run(NHWC_ATTR, nhwcInputs);
  assert.deepEqual(y.dims, [nchw.y.dims[0], nchw.y.dims[2], nchw.y.dims[3], nchw.y.dims[1]], 'NHWC result dims');
  return { nchw: nchw.y, nhwc: permute(y, [0, 3, 1, 2]), labels: { nchw: nchw.label, nhwc: label } };
}

interface Window {
  kernel: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  autoPad?: 'SAME_UPPER' | 'SAME_LOWER';
}

function windowAttrs(w: Window): Attrs {
  return {
    ...(w.strides ? { strides: ints(w.strides) } : {}),
    ...(w.pads ? { pads: ints(w.pads) } : {}),
    ...(w.dilations ? { dilations: ints(w.dilations) } : {}),
    ...(w.autoPad ? { auto_pad: { type: 'string', value: w.autoPad } as AttributeValue } : {}),
  };
}

const label = (w: Window) => `${w.kernel.join('x')} s${w.strides ?? [1, 1]} p${w.autoPad ?? w.pads ?? [0, 0, 0, 0]} d${w.dilations ?? [1, 1]}`;

/**
 * The windows every case runs: the 1x1 GEMM on the image as it lies, then
 * the NHWC im2col: strided and padded 1x1, KxK with symmetric, asymmetric
 * and auto pads, strides, dilations across and along the rows (a dilated
 * row copies tap by tap).
 */
const WINDOWS: Window[] = [
  { kernel: [1, 1] },
  { kernel: [1, 1], strides: [2, 2] },
  { kernel: [1, 1], pads: [1, 0, 0, 1] },
  { kernel: [3, 3], pads: [1, 1, 1, 1] },
  { kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1] },
  { kernel: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' },
  { kernel: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { kernel: [3, 3], dilations: [1, 2], pads: [0, 2, 1, 0] },
  { kernel: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2] },
  { kernel: [2, 3], strides: [2, 1] },
];

/** [N, C, H, W] inputs and output channels: odd sizes walk the GEMM tiles' edges. */
const SHAPES: { x: [number, number, number, number]; oc: number }[] = [
  { x: [1, 3, 5, 7], oc: 19 },
  { x: [2, 16, 6, 6], oc: 24 },
  { x: [1, 33, 4, 9], oc: 8 },
];

describe('runtime: Conv in NHWC', () => {
  const floatCase = (w: Window, shape: (typeof SHAPES)[number], attrs: Attrs, seed: number, residual: false | 'full' | 'per channel' = false) => {
    const r = rng(seed);
    const [n, c, h, width] = shape.x;
    const x: Value = { type: 'float32', dims: [...shape.x], data: randomFloats(n * c * h * width, r) };
    const weight: Value = { type: 'float32', dims: [shape.oc, c, ...w.kernel], data: randomFloats(shape.oc * c * w.kernel[0] * w.kernel[1], r, 0.5) };
    const bias: Value = { type: 'float32', dims: [shape.oc], data: randomFloats(shape.oc, r) };
    const inputs: (Value | undefined)[] = [x, weight, bias];
    if (residual) {
      // The residual has the conv's result shape: run once NCHW to learn it.
      const probe = runBoth(node('Conv', ['x', 'w', 'b'], { ...windowAttrs(w) }), inputs, (i) => i === 1 || i === 2).nchw;
      const dims = residual === 'full' ? [...probe.dims] : [1, shape.oc, 1, 1];
      inputs.push({ type: 'float32', dims, data: randomFloats(dims.reduce((a, b) => a * b), r) });
    }
    const names = residual ? ['x', 'w', 'b', 'r'] : ['x', 'w', 'b'];
    const { nchw, nhwc } = runBoth(node('Conv', names, { ...windowAttrs(w), ...attrs }), inputs, (i) => i === 1 || i === 2, residual ? 3 : undefined);
    const scale = (nchw.data as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assertClose(nhwc.data as Float32Array, nchw.data as Float32Array, 1e-5, 1e-5 * scale, `${label(w)} x [${shape.x}] oc ${shape.oc}`);
  };

  for (const w of WINDOWS) {
    it(`float32 ${label(w)}: bias, every shape`, () => {
      SHAPES.forEach((shape, i) => floatCase(w, shape, {}, 10 + i));
    });
    it(`float32 ${label(w)}: fused clamp, HardSwish, HardSigmoid, residual + ReLU, per-channel residual`, () => {
      const shape = SHAPES[1];
      floatCase(w, shape, { [FUSED_MIN]: float(0), [FUSED_MAX]: float(6) }, 20);
      floatCase(w, shape, { [FUSED_KIND]: { type: 'string', value: 'hardswish' } }, 21);
      floatCase(w, shape, { [FUSED_KIND]: { type: 'string', value: 'hardsigmoid' } }, 22);
      floatCase(w, shape, { [FUSED_RESIDUAL]: { type: 'int', value: 1 }, [FUSED_MIN]: float(0) }, 23, 'full');
      floatCase(w, shape, { [FUSED_RESIDUAL]: { type: 'int', value: 1 } }, 24, 'per channel');
    });
  }

  const quantCase = (w: Window, shape: (typeof SHAPES)[number], opts: { weight: 'int8' | 'uint8'; perChannel: boolean; out: 'uint8' | 'int8'; relu: boolean; xZero: number; pruned?: boolean }, seed: number, pool: Attrs = {}) => {
    const r = rng(seed);
    const [n, c, h, width] = shape.x;
    const oc = shape.oc;
    const scalar = (type: Value['type'], v: number): Value => ({ type, dims: [], data: type === 'float32' ? Float32Array.of(v) : type === 'int8' ? Int8Array.of(v) : Uint8Array.of(v) });
    const channels = opts.perChannel ? oc : 1;
    const wData = opts.weight === 'int8' ? randomInts(Int8Array, oc * c * w.kernel[0] * w.kernel[1], -127, 127, r) : randomInts(Uint8Array, oc * c * w.kernel[0] * w.kernel[1], 0, 255, r);
    if (opts.pruned) {
      // 90% of the [4 output x 4 input channel] blocks at each kernel position zeroed, as the benchmark models'.
      const taps = w.kernel[0] * w.kernel[1];
      const kept = pruneBlocks(Float32Array.from(wData), oc, 4, 0.9, taps);
      for (let i = 0; i < wData.length; i++) if (kept[i] === 0) wData[i] = 0;
    }
    const wZero = opts.weight === 'int8' ? new Int8Array(channels) : randomInts(Uint8Array, channels, 100, 150, r);
    const inputs: Value[] = [
      { type: 'uint8', dims: [...shape.x], data: randomInts(Uint8Array, n * c * h * width, 0, 255, r) },
      scalar('float32', 0.02), scalar('uint8', opts.xZero),
      { type: opts.weight, dims: [oc, c, ...w.kernel], data: wData },
      { type: 'float32', dims: [channels], data: Float32Array.from({ length: channels }, () => 0.001 + 0.01 * r()) },
      { type: opts.weight, dims: [channels], data: wZero },
      scalar('float32', 0.05 * Math.sqrt(c * w.kernel[0] * w.kernel[1])), scalar(opts.out, opts.out === 'uint8' ? 120 : -5),
      { type: 'int32', dims: [oc], data: randomInts(Int32Array, oc, -3000, 3000, r) },
    ];
    const attrs = { ...windowAttrs(w), ...(opts.relu ? { [FUSED_MIN]: float(0) } : {}), ...pool };
    const { nchw, nhwc, labels } = runBoth(node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], attrs), inputs, (i) => i >= 3, undefined, opts.pruned);
    assert.equal(nhwc.type, opts.out);
    if (opts.pruned) {
      // The sparse int8 kernel where the calibrated NHWC costs model it faster than the dense GEMM, else dense.
      const { layout } = nhwcSparseChoice({ type: 'int8', dims: [oc, c, ...w.kernel], data: wData as Int8Array });
      assert.match(labels.nhwc, new RegExp(`^qconv-nhwc(-1x1)?${layout === 'dense' ? '' : `-${layout}`}$`), `the NHWC node's kernel (NCHW: ${labels.nchw})`);
    }
    assertSameArray(nhwc.data as Uint8Array, nchw.data as Uint8Array, `${label(w)} x [${shape.x}] ${JSON.stringify(opts)}`);
  };

  for (const w of WINDOWS) {
    it(`QLinearConv ${label(w)}: int8 and uint8 weights, per tensor and per channel, uint8 and int8 results, exactly the NCHW bytes`, () => {
      SHAPES.forEach((shape, i) => {
        quantCase(w, shape, { weight: 'int8', perChannel: true, out: 'uint8', relu: false, xZero: 128 }, 30 + i);
        quantCase(w, shape, { weight: 'int8', perChannel: false, out: 'int8', relu: true, xZero: 3 }, 40 + i);
        quantCase(w, shape, { weight: 'uint8', perChannel: true, out: 'uint8', relu: true, xZero: 0 }, 50 + i);
      });
    });
  }

  // Fused max pools (passes/fuse-maxpool.ts): the NCHW kernel pools in its sink, the NHWC operator pools its result after.
  const POOLS: Attrs[] = [
    { [FUSED_POOL_KERNEL]: ints([2, 2]), [FUSED_POOL_STRIDES]: ints([2, 2]) },
    { [FUSED_POOL_KERNEL]: ints([3, 2]), [FUSED_POOL_STRIDES]: ints([1, 2]) },
  ];
  for (const w of [WINDOWS[0], WINDOWS[3], WINDOWS[4]])
    it(`${label(w)} with a fused max pool: float32 (bias, ReLU) and QLinearConv, the NCHW operator's pooled result`, () => {
      POOLS.forEach((pool, i) => {
        SHAPES.forEach((shape, j) => floatCase(w, shape, { ...pool, [FUSED_MIN]: float(0) }, 70 + 3 * i + j));
        quantCase(w, SHAPES[1], { weight: 'int8', perChannel: true, out: 'uint8', relu: false, xZero: 128 }, 80 + i, pool);
        quantCase(w, SHAPES[1], { weight: 'uint8', perChannel: false, out: 'int8', relu: true, xZero: 3 }, 90 + i, pool);
      });
    });

  it('a depthwise float32 conv with a fused max pool: the NCHW operator\'s pooled result', () => {
    const r = rng(95);
    const [n, c, h, width] = [2, 24, 9, 8];
    const x: Value = { type: 'float32', dims: [n, c, h, width], data: randomFloats(n * c * h * width, r) };
    const weight: Value = { type: 'float32', dims: [c, 1, 3, 3], data: randomFloats(c * 9, r, 0.5) };
    const attrs = { group: { type: 'int', value: c } as AttributeValue, pads: ints([1, 1, 1, 1]), ...POOLS[0] };
    const { nchw, nhwc } = runBoth(node('Conv', ['x', 'w'], attrs), [x, weight], (i) => i === 1);
    assert.deepEqual(nchw.dims, [n, c, 4, 4]);
    assertClose(nhwc.data as Float32Array, nchw.data as Float32Array, 1e-5, 1e-5, 'depthwise pooled');
  });

  for (const w of [WINDOWS[0], WINDOWS[1], WINDOWS[3], WINDOWS[4]])
    it(`QLinearConv ${label(w)}, int8 weights 90% pruned in [4 x 4] blocks: NHWC on the kernel its cost choice names, exactly the NCHW bytes`, () => {
      // 128 channels: the 3x3 windows' K = 1152 reach where the sparse int8 kernel can beat the dense GEMM.
      const shape = { x: [2, 128, 9, 11] as [number, number, number, number], oc: 128 };
      quantCase(w, shape, { weight: 'int8', perChannel: true, out: 'uint8', relu: false, xZero: 128, pruned: true }, 60);
      quantCase(w, shape, { weight: 'int8', perChannel: false, out: 'int8', relu: true, xZero: 3, pruned: true }, 61);
    });

  // The benchmark models' pruning: 90% of the [4 output x 4 input channel] blocks at each kernel position zeroed.
  for (const w of [WINDOWS[0], WINDOWS[1], WINDOWS[3], WINDOWS[4]])
    it(`float32 ${label(w)}, 90% pruned in [4 x 4] blocks: NHWC on a sparse kernel, its result the NCHW operator's`, () => {
      const r = rng(40);
      for (const [shape, oc] of [[[1, 64, 14, 14], 128], [[2, 32, 9, 11], 64]] as const) {
        const [n, c, h, width] = shape;
        const taps = w.kernel[0] * w.kernel[1];
        const x: Value = { type: 'float32', dims: [...shape], data: randomFloats(n * c * h * width, r) };
        const weight: Value = { type: 'float32', dims: [oc, c, ...w.kernel], data: pruneBlocks(randomFloats(oc * c * taps, r, 0.5), oc, 4, 0.9, taps) };
        const bias: Value = { type: 'float32', dims: [oc], data: randomFloats(oc, r) };
        for (const attrs of [{}, { [FUSED_MIN]: float(0), [FUSED_MAX]: float(6) }, { [FUSED_KIND]: { type: 'string', value: 'hardswish' } }] as Attrs[]) {
          const { nchw, nhwc, labels } = runBoth(node('Conv', ['x', 'w', 'b'], { ...windowAttrs(w), ...attrs }), [x, weight, bias], (i) => i === 1 || i === 2, undefined, true);
          assert.match(labels.nhwc, /^conv-nhwc(-1x1)?-(csr|bsr4x1|bsr8x1|nm2:4)$/, `the NHWC node's kernel (NCHW: ${labels.nchw})`);
          const scale = (nchw.data as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          assertClose(nhwc.data as Float32Array, nchw.data as Float32Array, 1e-5, 1e-5 * scale, `${label(w)} x [${shape}] oc ${oc} ${labels.nhwc} vs ${labels.nchw}`);
        }
      }
    });

  it('runs one node on several input shapes (a plan per shape)', () => {
    const r = rng(5);
    const weight: Value = { type: 'float32', dims: [4, 3, 1, 1], data: randomFloats(12, r) };
    const n = node('Conv', ['x', 'w'], NHWC_ATTR);
    const kernel = CONV_OPS.Conv({ node: n, opset: 13, constants: [undefined, weight], attributes: new Attributes(n), policy: { sparse: false } });
    for (const dims of [[1, 2, 2, 3], [2, 3, 1, 3], [1, 2, 2, 3]]) {
      const x: Value = { type: 'float32', dims, data: randomFloats(dims.reduce((a, b) => a * b), r) };
      const y = kernel.run([x, weight])[0];
      assert.deepEqual(y.dims, [...dims.slice(0, 3), 4]);
      const expected = permute(CONV_OPS.Conv({ node: node('Conv', ['x', 'w'], {}), opset: 13, constants: [undefined, weight], attributes: new Attributes(node('Conv', ['x', 'w'], {})), policy: { sparse: false } })
        .run([permute(x, [0, 3, 1, 2]), weight])[0], [0, 2, 3, 1]);
      assertClose(y.data as Float32Array, expected.data as Float32Array, 1e-5, 1e-5, `x [${dims}]`);
    }
  });

  it('rejects an NHWC input whose channels do not match the weights, and nodes it cannot run NHWC', () => {
    const weight: Value = { type: 'float32', dims: [4, 3, 1, 1], data: new Float32Array(12) };
    const n = node('Conv', ['x', 'w'], NHWC_ATTR);
    const kernel = CONV_OPS.Conv({ node: n, opset: 13, constants: [undefined, weight], attributes: new Attributes(n), policy: { sparse: false } });
    assert.throws(() => kernel.run([{ type: 'float32', dims: [1, 3, 2, 2], data: new Float32Array(12) }, weight]), ModelError);
    const prepare = (attrs: Attrs, constants: (Value | undefined)[]) => {
      const m = node('Conv', ['x', 'w'], { ...NHWC_ATTR, ...attrs });
      return () => CONV_OPS.Conv({ node: m, opset: 13, constants, attributes: new Attributes(m), policy: { sparse: false } });
    };
    assert.throws(prepare({}, [undefined, undefined]), ModelError);
    const grouped: Value = { type: 'float32', dims: [4, 2, 1, 1], data: new Float32Array(8) };
    assert.throws(prepare({ group: { type: 'int', value: 2 } }, [undefined, grouped]), ModelError);
  });
});

describe('runtime: nhwcConv, the NHWC layout pass\'s question', () => {
  // 95% of the weights' 4-row blocks zero.
  const pruned = new Float32Array(64 * 64 * 9);
  for (let o = 0; o < 64; o += 4) for (let i = 0; i < 64 * 9; i += 20) for (let k = 0; k < 4; k++) pruned[(o + k) * 576 + i] = 1;
  const weight: Value = { type: 'float32', dims: [8, 4, 1, 1], data: new Float32Array(32).fill(0.5) };
  const constants = new Map<string, Value>([['w', weight], ['b', { type: 'float32', dims: [8], data: new Float32Array(8) }]]);

  it('takes 2-D group-1 convs with constant weights, a post-op it applies and a fused max pool', () => {
    assert.equal(nhwcConv(node('Conv', ['x', 'w', 'b'], {}), constants), true);
    assert.equal(nhwcConv(node('Conv', ['x', 'w', ''], { [FUSED_MIN]: float(0), [FUSED_MAX]: float(6) }), constants), true);
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], { [FUSED_KIND]: { type: 'string', value: 'hardswish' } }), constants), true);
    assert.equal(nhwcConv(node('Conv', ['x', 'w', '', 'r'], { [FUSED_RESIDUAL]: { type: 'int', value: 1 } }), constants), true);
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], { [FUSED_POOL_KERNEL]: ints([2, 2]), [FUSED_MIN]: float(0) }), constants), true, 'fused pool');
    const k3 = new Map([['w', { type: 'float32', dims: [8, 4, 3, 3], data: new Float32Array(288).fill(0.5) } as Value]]);
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), dilations: ints([1, 2]) }), k3), true, 'strided, padded, dilated 3x3');
  });

  it('leaves the others NCHW', () => {
    assert.equal(nhwcConv(node('Conv', ['x', 'x2'], {}), constants), false, 'weights at run time');
    assert.equal(nhwcConv(node('Conv', ['x', 'w', 'x2'], {}), constants), false, 'bias at run time');
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], { group: { type: 'int', value: 2 } }), constants), false, 'grouped');
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], { [FUSED_KIND]: { type: 'string', value: 'gelu' } }), constants), false, 'unknown post-op');
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], { strides: ints([1]) }), constants), false, 'bad attributes');
    assert.equal(nhwcConv(node('ConvInteger', ['x', 'w'], {}), constants), false, 'ConvInteger');
    assert.equal(nhwcConv({ ...node('Conv', ['x', 'w'], {}), domain: 'com.example' }, constants), false, 'another domain');
    const conv1d = new Map([['w', { type: 'float32', dims: [8, 4, 3], data: new Float32Array(96) } as Value]]);
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], {}), conv1d), false, '1-D');
  });

  it('takes pruned convs, strided or not, float32 and int8 (whether NHWC pays for them is layout \'auto\'s estimate)', () => {
    const sparse = new Map([['w', { type: 'float32', dims: [64, 64, 3, 3], data: pruned } as Value]]);
    const int8 = new Map<string, Value>([
      ['w', { type: 'int8', dims: [64, 64, 3, 3], data: Int8Array.from(pruned) }],
      ['ws', { type: 'float32', dims: [], data: Float32Array.of(0.1) }],
      ['ys', { type: 'float32', dims: [], data: Float32Array.of(0.1) }],
    ]);
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], { pads: ints([1, 1, 1, 1]) }), sparse), true, 'pruned');
    assert.equal(nhwcConv(node('Conv', ['x', 'w'], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }), sparse), true, 'pruned, strided');
    assert.equal(nhwcConv(node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', '', 'ys', ''], { pads: ints([1, 1, 1, 1]) }), int8), true, 'pruned int8');
  });

  it('takes QLinearConv with constant weight and output quantization, without float post-ops', () => {
    const q = new Map<string, Value>([
      ['w', { type: 'int8', dims: [8, 4, 1, 1], data: new Int8Array(32).fill(3) }],
      ['ws', { type: 'float32', dims: [], data: Float32Array.of(0.1) }],
      ['wz', { type: 'int8', dims: [], data: Int8Array.of(0) }],
      ['ys', { type: 'float32', dims: [], data: Float32Array.of(0.1) }],
      ['yz', { type: 'uint8', dims: [], data: Uint8Array.of(0) }],
    ]);
    const inputs = ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'];
    assert.equal(nhwcConv(node('QLinearConv', inputs, {}), q), true);
    assert.equal(nhwcConv(node('QLinearConv', inputs, { [FUSED_MIN]: float(0) }), q), true);
    assert.equal(nhwcConv(node('QLinearConv', inputs.map((s) => (s === 'ys' ? 'run-time' : s)), {}), q), false, 'y_scale at run time');
    assert.equal(nhwcConv(node('QLinearConv', inputs, { [FUSED_KIND]: { type: 'string', value: 'hardswish' } }), q), false, 'HardSwish');
  });
});
