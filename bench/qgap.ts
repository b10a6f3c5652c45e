/**
 * The quantized GlobalAveragePool (QLinearGlobalAveragePool; kernels/qx8-elementwise)
 * at MobileNet sizes, NCHW planes against NHWC columns, as the runtime calls it
 * (one planned call: planQGlobalAveragePoolCall), per variant.
 *
 *   npm run bench:qgap                 # batch 1 and 16, every variant
 *   npm run bench:qgap -- --quick --threads 1 --variant qx8-elementwise-avx2
 *
 * Prints one markdown table: microseconds per run (median) for NCHW and NHWC,
 * and NHWC / NCHW.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { planQGlobalAveragePoolCall } from '../src/backends/cpu/qelementwise.js';
import { cpu } from '../src/index.js';
import { nativeVariants } from '../test/helpers.js';
import { timeIt } from './timing.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, threads: { type: 'string' }, variant: { type: 'string' } },
});
const threads = Number(values.threads ?? cpus().length);
const budgetMs = values.quick ? 300 : 1500;
const variants = values.variant ? [values.variant] : nativeVariants('qx8-elementwise');

/** [H, W, C]: MobileNetV2's 28x28x96 and MobileNetV3-small's last 7x7x576. */
const SHAPES: [number, number, number][] = [[28, 28, 96], [7, 7, 576]];

const us = (s: number) => (s * 1e6).toFixed(1);
cpu.setThreads(threads);
console.log(`CPU ${cpus()[0]?.model ?? '?'}, ${threads} thread(s), sparq ISA ${cpu.info().isa}\n`);
console.log('| variant | shape (NHWC) | NCHW µs | NHWC µs | NHWC / NCHW |');
console.log('|---|---|---|---|---|');
for (const variant of variants)
  for (const batch of [1, 16])
    for (const [h, w, c] of SHAPES) {
      const x = Uint8Array.from({ length: batch * h * w * c }, (_, i) => (i * 2654435761) >>> 24);
      const y = new Uint8Array(batch * c);
      const options = { scale: 0.02, zeroPoint: 128, type: 'uint8' as const, variant };
      const time = (dims: number[], channelsLast: boolean) => {
        const plan = planQGlobalAveragePoolCall({ type: 'uint8', dims, scale: 0.05, zeroPoint: 3 }, { ...options, channelsLast });
        return timeIt(() => plan.run(x, y), { budgetMs });
      };
      const nchw = await time([batch, c, h, w], false);
      const nhwc = await time([batch, h, w, c], true);
      console.log(`| ${variant} | [${batch}, ${h}, ${w}, ${c}] | ${us(nchw.p50)} | ${us(nhwc.p50)} | ${(nhwc.p50 / nchw.p50).toFixed(2)} |`);
    }
