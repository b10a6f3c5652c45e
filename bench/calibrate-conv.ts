/**
 * Measures the conv cost model's coefficients (src/backends/cpu/conv/costs.ts)
 * for every path at every ISA level this CPU can be capped to, prints them
 * with the path each level then chooses for the CIFAR CNN's layers, and with
 * --write regenerates src/backends/cpu/conv/cost-table.ts.
 *
 * A path's entry is keyed by the ISA of the variant that ran it (under the
 * 'avx2' cap f32-conv2d may still run scalar: that timing is its 'scalar'
 * entry), and each entry is measured once. Points: the CIFAR CNN's three
 * convs (bench/conv.ts's shapes, fused ReLU and 2x2 pool where the CNN pools)
 * and three small mobile / ResNet layers (a pointwise expansion, a 3x3
 * stride-2 and a 1x1 stride-2 downsample: bench/conv-mobile.ts's kinds, at
 * sizes that keep a round short) at batch 16 on one thread, the sparse
 * formats at 50% and 90% pruning, each the median of three
 * rounds over all points (a shared machine's load drifts over seconds); the
 * two coefficients are a least-squares fit of the times relative to each
 * point's (so every layer weighs the same), kept non-negative. --write
 * replaces the entries measured and keeps the others of the checked-in
 * table (so `--isa none` recalibrates only the levels this CPU runs).
 *
 * The NHWC operator's int8 product paths (nhwc-gemm-int8, nhwc-spmm-int8)
 * are timed alone on MobileNet-style 1x1 layers' NHWC rows (cpu.planQGemm
 * against cpu.planQSpmmNhwc on [4 x 4] block-pruned weights at 50% and 90%),
 * the same fit over their own work (costs.ts nhwcWork).
 *
 *   npm run calibrate -- --conv [--isa avx2 --isa none] [--path nhwc-spmm-int8 ...] [--write]
 *   (--path: only those paths measured, the rest of the table kept)
 *   (tsx bench/calibrate-conv.ts takes the same arguments)
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { cpu } from '../src/index.js';
import { hasInt8ConvKernel } from '../src/backends/cpu/conv2d.js';
import { runningIsa } from '../src/backends/cpu/isa-level.js';
import type { IsaLimit } from '../src/native.js';
import { convRunGeometry, type WindowAttributes } from '../src/runtime/ops/conv-attributes.js';
import { chooseConvPath, convCandidates, convShape } from '../src/backends/cpu/conv/choice.js';
import { CONV_COSTS } from '../src/backends/cpu/conv/cost-table.js';
import { CONV_PATH_FAMILY, convPhases, convWork, costKey, NHWC_PATH_FAMILY, nhwcWork, qspmmNhwcDensity, type ConvCostTable, type ConvPath, type NhwcPath, type PathCost } from '../src/backends/cpu/conv/costs.js';
import { packWeights } from '../src/backends/cpu/pack.js';
import { planQGemm } from '../src/backends/cpu/qgemm.js';
import { packSparseWeights } from '../src/backends/cpu/qspmm.js';
import { planQSpmmNhwc } from '../src/backends/cpu/qspmm-nhwc.js';
import { SparseMatrix } from '../src/sparse/sparse-matrix.js';
import { tensor } from '../src/tensor.js';
import type { ConvAllocate, ConvValue, ConvWeightSource } from '../src/backends/cpu/conv/layer.js';
import { prepareConv } from '../src/backends/cpu/conv/operator.js';
import { pruneBlocks, seededRandom } from '../test/fixtures/cifar-cnn.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({
  options: { isa: { type: 'string', multiple: true }, path: { type: 'string', multiple: true }, write: { type: 'boolean', default: false }, batch: { type: 'string', default: '16' }, conv: { type: 'boolean', default: false } },
});
const BATCH = Number(values.batch);
const ROUNDS = 3;

/**
 * [name, input channels, size, output channels, pooled, kernel, stride, pad]:
 * the CIFAR CNN's convs (3x3, no padding), then the mobile / ResNet kinds.
 */
const LAYERS: [string, number, number, number, boolean, number, number, number][] = [
  ['conv1', 3, 32, 32, true, 3, 1, 0], ['conv2', 32, 15, 64, true, 3, 1, 0], ['conv3', 64, 6, 64, false, 3, 1, 0],
  ['pointwise', 32, 14, 192, false, 1, 1, 0], ['3x3/2', 32, 16, 64, false, 3, 2, 1], ['1x1/2', 64, 14, 128, false, 1, 2, 0],
];
const POOL = { kernelShape: [2, 2] as [number, number], strides: [2, 2] as [number, number] };
/** The int8 paths' quantization: uint8 images at 1/255 around 128, per-tensor int8 weights, uint8 output. */
const Q = { xScale: 1 / 255, xZero: 128, yScale: 0.05, yZero: 0 };
const PATHS: ConvPath[] = ['direct', 'direct-csr', 'direct-block4', 'direct-int8', 'im2col', 'im2col-int8'];
/** Paths measured (--path: those named; --path names no other). */
const measured = (path: string) => !values.path || values.path.includes(path);
/** The NHWC int8 paths' 1x1 layers: [name, K, pixels per image, OC] (MobileNetV2 expansions and projections). */
const NHWC_LAYERS: [string, number, number, number][] = [
  ['expand 24->144', 24, 28 * 28, 144], ['expand 96->576', 96, 14 * 14, 576], ['project 576->96', 576, 14 * 14, 96], ['expand 160->960', 160, 7 * 7, 960],
];
const NHWC_PATHS: NhwcPath[] = ['nhwc-gemm-int8', 'nhwc-spmm-int8'];
/** Pruned fractions each path is timed at: the sparse formats at two densities, so the fit can tell the MACs from the moves. */
const PRUNING: Record<ConvPath, number[]> = { direct: [0], im2col: [0], 'im2col-int8': [0], 'direct-csr': [0.5, 0.9], 'direct-block4': [0.5, 0.9], 'direct-int8': [0, 0.5, 0.9] };

interface Layer {
  name: string;
  c: number;
  h: number;
  oc: number;
  pooled: boolean;
  window: WindowAttributes;
}

/** Output positions per image of `layer`. */
function outPixels(layer: Layer): number {
  const { kernel: [k], strides: [s], pads } = layer.window;
  return (Math.floor((layer.h + 2 * (pads as number[])[0] - k) / s) + 1) ** 2;
}

/** The layer's float weights with `pruned` of them zero: single weights (block 1) or [4 x 4 channel] blocks at a kernel position. */
function floatWeights(layer: Layer, block: 1 | 4, pruned: number): ConvWeightSource<'float32'> {
  const random = seededRandom(layer.h * 31 + layer.c);
  const [kh, kw] = layer.window.kernel;
  const dense = Float32Array.from({ length: layer.oc * layer.c * kh * kw }, () => random() * 0.3);
  return { type: 'float32', dims: [layer.oc, layer.c, kh, kw], data: pruneBlocks(dense, layer.oc, block, pruned, kh * kw) };
}

/** `w` quantized to int8, per tensor, symmetric. */
function int8Weights(w: ConvWeightSource<'float32'>): ConvWeightSource<'int8'> {
  const scale = w.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127;
  return { type: 'int8', dims: w.dims, data: Int8Array.from(w.data, (v) => Math.round(v / scale)), scales: Float32Array.of(scale) };
}

/**
 * What `path` is timed on: CSR on unstructured pruning, the block formats on
 * blocks (what they store); int8 weights (and uint8 images) for the int8
 * paths and for the float direct paths' uint8 entries.
 */
function weights(layer: Layer, path: ConvPath, pruned: number, uint8: boolean): ConvWeightSource<'float32' | 'int8'> {
  const w = floatWeights(layer, path === 'direct-csr' ? 1 : 4, pruned);
  return path.endsWith('int8') || uint8 ? int8Weights(w) : w;
}

/** The output buffers the direct paths write, reused across calls as a session's buffers are (the im2col path allocates its own). */
const buffers = new Map<string, Float32Array | Uint8Array>();
const allocate: ConvAllocate = (type, length) => {
  const key = `${type} ${length}`;
  if (!buffers.has(key)) buffers.set(key, type === 'float32' ? new Float32Array(length) : new Uint8Array(length));
  return buffers.get(key)!;
};

/** A call of `path` on `layer` at batch BATCH with `pruned` of its weights zero, and the stored density it runs at. */
function prepare(layer: Layer, path: ConvPath, pruned: number, uint8: boolean): { run: () => unknown; density: number } {
  const w = weights(layer, path, pruned, uint8);
  const quantized = w.type !== 'float32';
  const random = seededRandom(layer.h);
  const length = BATCH * layer.c * layer.h * layer.h;
  const x: ConvValue<'float32' | 'uint8'> = quantized
    ? { type: 'uint8', dims: [BATCH, layer.c, layer.h, layer.h], data: Uint8Array.from({ length }, () => 128 + Math.round(random() * 100)) }
    : { type: 'float32', dims: [BATCH, layer.c, layer.h, layer.h], data: Float32Array.from({ length }, () => random()) };
  const xQuant = quantized ? { scale: Q.xScale, zeroPoint: Q.xZero } : {};
  const pool = layer.pooled ? POOL : undefined;
  const output = quantized ? { output: 'uint8' as const, outScale: Q.yScale, outZeroPoint: Q.yZero } : { output: 'float32' as const };
  const density = convCandidates(w, layer.window, true).find((c) => c.path === path)?.density ?? 1;
  // The path forced (a direct one throws where it would not be exact), without linear()'s sparse kernels on the im2col path.
  const op = prepareConv({ weights: w, window: layer.window, group: 1, ...output, activation: 'relu', pool, sparse: false, path });
  const { geometry } = convRunGeometry(layer.window, x.dims);
  const run = () => op.run(x, xQuant, geometry, allocate);
  run();
  return { run, density };
}

/**
 * An NHWC int8 1x1 product of `pixels` rows of K = `k` uint8 values into `oc`
 * channels (uint8 output, ReLU, Q's quantization) on `path`, with [4 x 4]
 * blocks of `pruned` of its weights zero, and the stored fraction of the
 * weights' 4-channel groups (what the sparse kernels run over, costs.ts
 * qspmmNhwcDensity; 1 for dense).
 */
function prepareNhwc(path: NhwcPath, k: number, pixels: number, oc: number, pruned: number): { run: () => unknown; density: number } {
  const random = seededRandom(k * 31 + oc);
  const w = int8Weights({ type: 'float32', dims: [oc, k, 1, 1], data: pruneBlocks(Float32Array.from({ length: oc * k }, () => random() - 0.5), oc, 4, pruned, 1) });
  const rows = w.data as Int8Array;
  const x = { type: 'uint8', dims: [pixels, k], scale: Q.xScale, zeroPoint: Q.xZero } as const;
  const stage = { output: 'uint8' as const, outScale: Q.yScale, outZeroPoint: Q.yZero, activation: 'relu' as const };
  const xData = Uint8Array.from({ length: pixels * k }, () => 128 + Math.round(random() * 100));
  const y = new Uint8Array(pixels * oc);
  const weights = tensor('int8', [oc, k], rows, { scale: w.scales![0] });
  const plan = path === 'nhwc-gemm-int8'
    ? planQGemm(x, packWeights(tensor('int8', [k, oc], transposed(rows, oc, k), { scale: w.scales![0] })), stage)
    : planQSpmmNhwc(packSparseWeights(SparseMatrix.fromDense(weights, { format: 'bsr', blockShape: [1, 4] })), x, stage);
  const run = () => plan.run(xData, y);
  run();
  return { run, density: path === 'nhwc-gemm-int8' ? 1 : qspmmNhwcDensity(rows, oc, k) };
}

/** w [rows, cols] transposed. */
function transposed(w: Int8Array, rows: number, cols: number): Int8Array {
  const t = new Int8Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

/** Non-negative least squares of t ~ mac * m + element * e, on errors relative to t. */
function fit(points: { t: number; m: number; e: number }[]): PathCost {
  let mm = 0, me = 0, ee = 0, mt = 0, et = 0;
  for (const { t, m, e } of points) {
    const [a, b] = [m / t, e / t];
    mm += a * a; me += a * b; ee += b * b; mt += a; et += b;
  }
  const det = mm * ee - me * me;
  let mac = det > 0 ? (mt * ee - et * me) / det : -1;
  let element = det > 0 ? (et * mm - mt * me) / det : -1;
  if (!(mac >= 0 && element >= 0)) {
    // One term alone: the better of the two fits.
    const residual = (cm: number, ce: number) => points.reduce((s, { t, m, e }) => s + ((cm * m + ce * e) / t - 1) ** 2, 0);
    [mac, element] = residual(mt / mm, 0) <= residual(0, et / ee) ? [mt / mm, 0] : [0, et / ee];
  }
  const round = (v: number) => Number((v * 1e9).toPrecision(3));
  return { mac: round(mac), element: round(element) };
}

/** The levels to cap at: those named, else every one this CPU has, lowest first. */
function levels(): IsaLimit[] {
  if (values.isa) return values.isa as IsaLimit[];
  const info = cpu.info();
  if (info.implementation !== 'native') throw new Error('the native addon is needed to calibrate');
  const has = new Set(Object.values(info.variants).flat().filter((v) => v.supported).map((v) => v.isa));
  const capped: IsaLimit[] = ['scalar', 'avx2', 'avx512', 'avx512vnni'];
  return [...capped.filter((l) => l === 'scalar' || has.has(l)), 'none'];
}

const layers: Layer[] = LAYERS.map(([name, c, h, oc, pooled, k, s, p]) =>
  ({ name, c, h, oc, pooled, window: { kernel: [k, k], strides: [s, s], dilations: [1, 1], pads: [p, p, p, p], oneD: false } }));
const table: Record<string, Record<string, PathCost>> = {};
cpu.setThreads(1);
const caps = levels();
for (const cap of caps) {
  cpu.setIsaLimit(cap);
  const points: { key: string; isa: string; layer: Layer; run: () => unknown; m: number; e: number; times: number[] }[] = [];
  for (const path of PATHS)
    for (const uint8 of [false, true]) {
      const key = costKey(path, uint8);
      const isa = runningIsa(CONV_PATH_FAMILY[path]);
      // The addon never runs qu8s8-conv2d's scalar variant for a call: int8 weights take the float kernels there.
      if ((uint8 && key === path) || (path === 'direct-int8' && !hasInt8ConvKernel()) || table[key]?.[isa] || !measured(path)) continue;
      for (const layer of layers)
        for (const pruned of PRUNING[path]) {
          const { run, density } = prepare(layer, path, pruned, uint8);
          const pixels = BATCH * outPixels(layer);
          const { kernel, strides } = layer.window;
          const shape = { outChannels: layer.oc, channels: layer.c, kernelPositions: kernel[0] * kernel[1], phases: convPhases(kernel, strides) };
          const [m, e] = convWork(path, shape, density);
          points.push({ key, isa, layer, run, m: m * pixels, e: e * pixels, times: [] });
        }
    }
  for (const path of NHWC_PATHS) {
    const isa = runningIsa(NHWC_PATH_FAMILY[path]);
    if (table[path]?.[isa] || !measured(path)) continue;
    for (const [name, k, pixels, oc] of NHWC_LAYERS)
      for (const pruned of path === 'nhwc-gemm-int8' ? [0] : [0.5, 0.9]) {
        const { run, density } = prepareNhwc(path, k, BATCH * pixels, oc, pruned);
        const [m, e] = nhwcWork(path, k, oc, density);
        const layer: Layer = { name, c: k, h: 1, oc, pooled: false, window: layers[0].window };
        points.push({ key: path, isa, layer, run, m: m * BATCH * pixels, e: e * BATCH * pixels, times: [] });
      }
  }
  // Rounds over every point, the median of each point's medians kept: the load of a shared machine drifts over seconds.
  for (let round = 0; round < ROUNDS; round++)
    for (const point of points) point.times.push((await timeIt(point.run, { budgetMs: 150, minSamples: 5 })).p50);
  for (const key of new Set(points.map((p) => p.key))) {
    const mine = points.filter((p) => p.key === key);
    const isa = mine[0].isa;
    for (const p of mine) console.error(`cap ${cap}: ${key} on ${isa}, ${p.layer.name}, ${(p.m / p.e).toFixed(0)} MACs per value moved: ${p.times.map((t) => (t * 1e3).toFixed(3)).join(' / ')} ms`);
    (table[key] ??= {})[isa] = fit(mine.map((p) => ({ t: [...p.times].sort((a, b) => a - b)[ROUNDS >> 1], m: p.m, e: p.e })));
    console.error(`  ${key} ${isa}: ${JSON.stringify(table[key][isa])}`);
  }
}

// The checked-in table with this run's entries in place of its own.
const merged: Record<string, Record<string, PathCost>> = {};
for (const key of new Set([...Object.keys(CONV_COSTS), ...Object.keys(table)])) merged[key] = { ...CONV_COSTS[key as keyof ConvCostTable], ...table[key] };

// What each level chooses for the layers with these costs: fp32 and int8, dense and 90% pruned.
console.log('\n| ISA cap | layer | weights | fp32 path (variant ISA) | int8 path (variant ISA) |');
console.log('|---|---|---|---|---|');
for (const cap of caps) {
  cpu.setIsaLimit(cap);
  for (const layer of layers)
    for (const [tag, pruned, block] of [['dense', 0, 1], ['90% pruned', 0.9, 1], ['90% block-pruned', 0.9, 4]] as const) {
      const w = floatWeights(layer, block, pruned);
      const cells = [w, int8Weights(w)].map((source) => {
        const choice = chooseConvPath(convShape(source, layer.window), convCandidates(source, layer.window, true), merged);
        return `${choice.path} (${choice.costs.find((c) => c.path === choice.path)!.isa})`;
      });
      console.log(`| ${cap} | ${layer.name} | ${tag} | ${cells[0]} | ${cells[1]} |`);
    }
}
cpu.setIsaLimit('none');

const json = JSON.stringify(merged, null, 2);
console.log(json);
if (values.write) {
  const path = fileURLToPath(new URL('../src/backends/cpu/conv/cost-table.ts', import.meta.url));
  writeFileSync(path, `// Generated by \`npm run calibrate -- --conv --write\` (bench/calibrate-conv.ts): edit by re-running it.
import type { ConvCostTable } from './costs.js';

/**
 * ns per stored multiply-add (mac) and per value moved (element) of each conv
 * path, by the ISA of the variant that ran it, on one thread of the machine
 * that ran the calibration (${cpu.info().isa}, batch ${BATCH}); see costs.ts.
 */
export const CONV_COSTS: ConvCostTable = ${json.replace(/"([a-z][a-z0-9]*)":/g, '$1:')};
`);
}
