/**
 * Group-1 float32 NHWC convolutions at ResNet-18 and MobileNet stem shapes:
 * the shifted GEMM (planConv2dNhwc, kernels/f32-conv2d-nhwc: no im2col in
 * memory) against NHWC im2col + planned GEMM (what conv/nhwc.ts ran before),
 * on the same packed weights.
 *
 *   npm run bench:conv:nhwc                       # batch 1 and 16, every shape
 *   npm run bench:conv:nhwc -- --quick --batch 1 --threads 1
 *
 * Prints one markdown table: microseconds per run (median) and G FMA/s for
 * each path, im2col / shifted (> 1: the shifted GEMM is faster), and the
 * GEMM alone on rows im2col made beforehand (what the shifted GEMM's
 * microkernel calls would cost without its per-tap calls and borders).
 */
import { cpus } from 'node:os';
import { planConv2dNhwc } from '../src/backends/cpu/conv2d-nhwc.js';
import { planGemm } from '../src/backends/cpu/gemm.js';
import { planIm2colNhwc } from '../src/backends/cpu/im2col.js';
import { packWeights } from '../src/backends/cpu/pack.js';
import { cpu, tensor } from '../src/index.js';
import { benchArgs, SHAPES } from './nhwc-conv-shapes.js';
import { timeIt } from './timing.js';

const { threads, budgetMs, batches, only } = benchArgs();

const us = (s: number) => (s * 1e6).toFixed(0);
cpu.setThreads(threads);
console.log(`CPU ${cpus()[0]?.model ?? '?'}, ${threads} thread(s), sparq ISA ${cpu.info().isa}\n`);
console.log('| shape | batch | im2col+GEMM µs | G FMA/s | shifted µs | G FMA/s | im2col / shifted | GEMM alone µs | GEMM alone / shifted |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const batch of batches)
  for (const [name, [h, w, c], oc, k, s, p] of SHAPES) {
    if (only && !name.includes(only)) continue;
    const dims = [batch, h, w, c] as [number, number, number, number];
    const x = Float32Array.from({ length: batch * h * w * c }, (_, i) => ((i * 2654435761) >>> 20) / 4096 - 0.5);
    const kk = k * k * c;
    const weights = packWeights(tensor('float32', [kk, oc], Float32Array.from({ length: kk * oc }, (_, i) => ((i * 40503) % 1000) / 1000 - 0.5)));
    const window = { kernelShape: [k, k] as [number, number], strides: [s, s] as [number, number], pads: [p, p, p, p] as [number, number, number, number] };
    const shifted = planConv2dNhwc({ type: 'float32', dims }, weights, { ...window, activation: 'relu' });
    const [, oh, ow] = shifted.dims;
    const rows = batch * oh * ow;
    const y = new Float32Array(rows * oc);
    const im2col = planIm2colNhwc({ type: 'float32', dims }, window);
    const gemm = planGemm({ type: 'float32', dims: [rows, kk] }, weights, { activation: 'relu' });
    const col = new Float32Array(rows * kk);
    const a = await timeIt(() => { im2col.run(x, col); gemm.run(col, y); }, { budgetMs });
    const b = await timeIt(() => shifted.run(x, y), { budgetMs });
    const g = await timeIt(() => gemm.run(col, y), { budgetMs });
    const fmas = rows * kk * oc;
    const rate = (t: number) => (fmas / t / 1e9).toFixed(1);
    console.log(`| ${name} | ${batch} | ${us(a.p50)} | ${rate(a.p50)} | ${us(b.p50)} | ${rate(b.p50)} | ${(a.p50 / b.p50).toFixed(2)} | ${us(g.p50)} | ${(g.p50 / b.p50).toFixed(2)} |`);
    weights.dispose();
  }
