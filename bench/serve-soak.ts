/**
 * Issue 17's soak run: `sparq serve` in a child process under steady load
 * (autocannon, single-image KServe v2 binary requests) for a bounded number
 * of minutes, its resident memory (VmRSS) sampled every few seconds. Prints
 * the requests, the failures, and the RSS after warm-up: first, last, largest
 * and the slope of the line through the samples (flat memory: near 0).
 *
 *   npm run bench:serve:soak                         # 3 minutes, int8 90% blocks, sparq, concurrency 16
 *   npm run bench:serve:soak -- --minutes 10 --model fp32 --runtime onnxruntime
 *
 * --minutes (default 3), --model fp32|int8-blocks (default int8-blocks),
 * --runtime sparq|onnxruntime (default sparq), --concurrency (default 16),
 * --threads (default: every core), --max-batch and --max-delay-ms (default
 * 64 and 2), --sample-s: seconds between RSS samples (default 5),
 * --warmup-s: seconds of load before the trend starts (default 30), --json
 * (the results as JSON instead of the table), --out FILE (the JSON into
 * FILE, the table still printed).
 */
import os from 'node:os';

import { execute, FlagError, oneOf, parseFlags, positiveInt, printHelp, type Command } from '../src/cli/conventions.js';
import { CIFAR_IMAGE } from '../src/benchmark/cifar-cnn-forms.js';
import { seededImages } from '../src/benchmark/images.js';
import { machineInfo } from '../src/machine-info.js';
import { withBatchStats } from './serve/batch-metrics.js';
import { nonNegativeInt, outFlag, progress, writeJson } from './serve/flags.js';
import { inputName } from './serve/in-process.js';
import { checkRequest, runLoad } from './serve/load.js';
import { writeServedModels } from './serve/models.js';
import { machineLine, soakTable, type SoakResult } from './serve/report.js';
import { imageRequest } from './serve/requests.js';
import { readRssBytes } from './serve/proc.js';
import { rssTrend, type RssSample } from './serve/rss.js';
import { RUNTIMES, startServer } from './serve/server-process.js';

const USAGE = `Usage: tsx bench/serve-soak.ts [--minutes N] [--model fp32|int8-blocks] [--runtime sparq|onnxruntime] [--concurrency N] [--threads N]
                                [--max-batch N] [--max-delay-ms N] [--sample-s N] [--warmup-s N] [--json] [--out FILE]

Holds sparq serve (a child process) under steady load for --minutes and prints its requests, failures and memory trend.

Examples:
  npm run bench:serve:soak
  npm run bench:serve:soak -- --minutes 10 --model fp32 --runtime onnxruntime
`;

const MODEL_FLAGS = { fp32: 'fp32', 'int8-blocks': 'int8 90% blocks' } as const;

const command: Command = {
  name: 'bench:serve:soak',
  usage: USAGE,
  async main(argv) {
    const parsed = parseFlags(argv, {
      minutes: { type: 'string' }, model: { type: 'string' }, runtime: { type: 'string' }, concurrency: { type: 'string' }, threads: { type: 'string' },
      'max-batch': { type: 'string' }, 'max-delay-ms': { type: 'string' }, 'sample-s': { type: 'string' }, 'warmup-s': { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' },
    }, 0);
    if (parsed === 'help') return printHelp(USAGE);
    const v = parsed.values;
    const minutes = positiveInt('minutes', v.minutes) ?? 3;
    const out = outFlag(v.out);
    const form = MODEL_FLAGS[oneOf('model', v.model, Object.keys(MODEL_FLAGS) as (keyof typeof MODEL_FLAGS)[]) ?? 'int8-blocks'];
    const runtime = oneOf('runtime', v.runtime, RUNTIMES) ?? 'sparq';
    const connections = positiveInt('concurrency', v.concurrency) ?? 16;
    const threads = positiveInt('threads', v.threads) ?? os.availableParallelism();
    const maxBatch = positiveInt('max-batch', v['max-batch']) ?? 64;
    const maxDelayMs = nonNegativeInt('max-delay-ms', v['max-delay-ms'], 2);
    const sampleS = positiveInt('sample-s', v['sample-s']) ?? 5;
    const warmupS = nonNegativeInt('warmup-s', v['warmup-s'], 30);
    if (warmupS + 2 * sampleS > minutes * 60) throw new FlagError(`--warmup-s ${warmupS} leaves too little of ${minutes} min for two RSS samples ${sampleS} s apart`);

    const machine = await machineInfo();
    const { models, remove } = await writeServedModels();
    try {
      const model = models.find((m) => m.form === form)!;
      const request = imageRequest('v2-binary', model.name, await inputName(model.bytes), seededImages(1, CIFAR_IMAGE, 2), CIFAR_IMAGE);
      const server = await startServer({ models: [model.path], runtime, threads, maxBatch, maxDelayMs });
      const samples: RssSample[] = [];
      let point;
      let exitCode;
      try {
        await checkRequest(server.url, request);
        progress(`${minutes} min of load at concurrency ${connections}, RSS every ${sampleS} s`);
        const start = performance.now();
        let sampleError: unknown;
        const sampler = setInterval(() => {
          const atS = (performance.now() - start) / 1000;
          try {
            if (atS >= warmupS) samples.push({ atS, bytes: readRssBytes(server.pid) });
          } catch (e) {
            // A server gone mid-run: the load's failures say the rest.
            sampleError ??= e;
          }
        }, sampleS * 1000);
        try {
          point = await withBatchStats(server.url, model.name, () => runLoad(server.url, request, { connections, durationS: minutes * 60, serverPid: server.pid }));
        } finally {
          clearInterval(sampler);
        }
        if (sampleError) throw sampleError;
      } finally {
        exitCode = await server.stop();
      }
      const result: SoakResult = { ...point, model: form, runtime, protocol: 'v2-binary', maxBatch, maxDelayMs, minutes, warmupS, rss: rssTrend(samples) };
      writeJson({ machine, threads, result, samples, exitCode }, { out, json: v.json === true });
      if (!v.json) {
        process.stdout.write([
          machineLine(machine, threads), `Single-image v2 binary requests; RSS of the server process (VmRSS) every ${sampleS} s after ${warmupS} s of warm-up (${samples.length} samples).`, '',
          soakTable(result), '', `The server exited ${exitCode} on SIGTERM.`, '',
        ].join('\n'));
      }
      return 0;
    } finally {
      await remove();
    }
  },
};

process.exitCode = await execute(command, process.argv.slice(2));
