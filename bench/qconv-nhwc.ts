/**
 * Group-1 int8 NHWC convolutions (uint8 x int8, requantized to uint8) at
 * ResNet-18 and MobileNet stem shapes: planQconv2dNhwc (kernels/
 * qu8s8-conv2d-nhwc: each tile of pixels gathered into a cache-resident
 * buffer, no im2col matrix in memory) against NHWC im2col + planQGemm (what
 * conv/nhwc.ts ran before), on the same packed weights, and planQGemm alone
 * on rows laid out beforehand (the GEMM's time without any gather: the bound).
 *
 *   npm run bench:qconv:nhwc                       # batch 1 and 16, every shape
 *   npm run bench:qconv:nhwc -- --quick --batch 1 --threads 1 --only l4
 *
 * Prints one markdown table: microseconds per run (median) and G MAC/s for
 * each path, and im2col / tiled (> 1: the tiled gather is faster).
 */
import { cpus } from 'node:os';
import { planIm2colNhwc } from '../src/backends/cpu/im2col.js';
import { packWeights } from '../src/backends/cpu/pack.js';
import { planQconv2dNhwc } from '../src/backends/cpu/qconv2d-nhwc.js';
import { planQGemm } from '../src/backends/cpu/qgemm.js';
import { cpu, tensor } from '../src/index.js';
import { benchArgs, SHAPES } from './nhwc-conv-shapes.js';
import { timeIt } from './timing.js';

const { threads, budgetMs, batches, only } = benchArgs();

const us = (s: number) => (s * 1e6).toFixed(0);
cpu.setThreads(threads);
console.log(`CPU ${cpus()[0]?.model ?? '?'}, ${threads} thread(s), sparq ISA ${cpu.info().isa}\n`);
console.log('| shape | batch | im2col+QGEMM µs | G MAC/s | tiled µs | G MAC/s | QGEMM alone µs | G MAC/s | im2col / tiled |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const batch of batches)
  for (const [name, [h, w, c], oc, k, s, p] of SHAPES) {
    if (only && !name.includes(only)) continue;
    const x = { type: 'uint8' as const, dims: [batch, h, w, c], scale: 0.02, zeroPoint: 7 };
    const xData = Uint8Array.from({ length: batch * h * w * c }, (_, i) => (i * 2654435761) >>> 24);
    const kk = k * k * c;
    // Full-range per-channel weights, as QDQ models quantize them.
    const wData = Int8Array.from({ length: kk * oc }, (_, i) => ((i * 40503) % 255) - 127);
    const weights = packWeights(tensor('int8', [kk, oc], wData, { scale: new Float32Array(oc).fill(0.003), zeroPoint: new Int32Array(oc), axis: 1 }));
    const window = { kernelShape: [k, k] as [number, number], strides: [s, s] as [number, number], pads: [p, p, p, p] as [number, number, number, number] };
    const stage = { output: 'uint8' as const, outScale: 0.05, outZeroPoint: 0, bias: new Int32Array(oc).fill(100), activation: 'relu' as const };
    const tiled = planQconv2dNhwc(x, weights, { ...window, ...stage });
    const rows = tiled.result.dims.slice(0, 3).reduce((a, b) => a * b, 1);
    const y = new Uint8Array(rows * oc);
    const im2col = planIm2colNhwc(x, window);
    const gemm = planQGemm({ type: 'uint8', dims: [rows, kk], scale: x.scale, zeroPoint: x.zeroPoint }, weights, stage);
    const col = new Uint8Array(rows * kk);
    const a = await timeIt(() => { im2col.run(xData, col); gemm.run(col, y); }, { budgetMs });
    const b = await timeIt(() => tiled.run(xData, y), { budgetMs });
    im2col.run(xData, col);
    const g = await timeIt(() => gemm.run(col, y), { budgetMs });
    const macs = rows * kk * oc;
    const rate = (t: number) => (macs / t / 1e9).toFixed(1);
    console.log(`| ${name} | ${batch} | ${us(a.p50)} | ${rate(a.p50)} | ${us(b.p50)} | ${rate(b.p50)} | ${us(g.p50)} | ${rate(g.p50)} | ${(a.p50 / b.p50).toFixed(2)} |`);
    weights.dispose();
  }
