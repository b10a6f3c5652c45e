/**
 * Issue 17's load test: `sparq serve` in a child process on loopback, driven
 * by autocannon for a fixed time per point with single-image requests on
 * the KServe v2 binary protocol, at concurrency 1, 16 and 64, with dynamic
 * batching on and off, for runtime sparq and runtime onnxruntime (the same
 * server code on onnxruntime-node: the baseline), on the CIFAR-10 CNN in fp32
 * and pruned + int8. One more point each on v2 JSON and TF Serving (sparq,
 * fp32, batching on, concurrency 64) shows what the protocol costs. Then the
 * ceiling: each model's batch-64 InferenceSession.run in-process on the same
 * threads, and issue 17's targets checked against it (printed, not enforced).
 *
 *   npm run bench:serve                              # ~5 minutes: 26 points of 10 s
 *   npm run bench:serve -- --duration 3 --concurrency 64 --runtime sparq
 *   npm run bench:serve -- --max-batch 32 --max-delay-ms 5 --out bench/results/serve.json
 *
 * --duration: seconds per point (default 10); --threads: the server's and
 * the in-process sessions' threads (default: every core); --max-batch and
 * --max-delay-ms: the batching point (default 64 and 2); --concurrency and
 * --runtime: repeatable (default 1, 16, 64 and both); --json: the results
 * as JSON instead of tables; --out FILE: the JSON into FILE, tables still
 * printed.
 */
import os from 'node:os';

import { execute, FlagError, oneOf, parseFlags, positiveInt, printHelp, type Command } from '../src/cli/conventions.js';
import { CIFAR_IMAGE } from '../src/benchmark/cifar-cnn-forms.js';
import { seededImages } from '../src/benchmark/images.js';
import { machineInfo } from '../src/machine-info.js';
import { withBatchStats } from './serve/batch-metrics.js';
import { nonNegativeInt, outFlag, progress, writeJson } from './serve/flags.js';
import { inProcessThroughput, inputName } from './serve/in-process.js';
import { checkRequest, runLoad } from './serve/load.js';
import { writeServedModels, type ServedModel } from './serve/models.js';
import { inProcessTable, loadTable, machineLine, TARGET_CONCURRENCY, targetChecks, targetTable, type InProcessRow, type ServedPoint } from './serve/report.js';
import { imageRequest, type Protocol } from './serve/requests.js';
import { RUNTIMES, startServer, type Runtime } from './serve/server-process.js';

const USAGE = `Usage: tsx bench/serve-load.ts [--duration S] [--threads N] [--max-batch N] [--max-delay-ms N] [--concurrency N]... [--runtime sparq|onnxruntime]... [--json] [--out FILE]

Loads sparq serve (a child process) with autocannon and prints requests/s, p50/p99 latency and failures per point,
the in-process batch-64 throughput of the same models, and issue 17's targets.

Examples:
  npm run bench:serve
  npm run bench:serve -- --duration 3 --concurrency 64 --runtime sparq
  npm run bench:serve -- --max-batch 32 --max-delay-ms 5 --out bench/results/serve.json
`;

/** Untimed load after a server starts, so the first point does not pay for its warm-up. */
const WARMUP_S = 2;
/** In-process timing budget per model and runtime. */
const IN_PROCESS_BUDGET_MS = 3000;
/** The batch the in-process ceiling runs. */
const IN_PROCESS_BATCH = 64;

interface Settings {
  durationS: number;
  threads: number;
  maxBatch: number;
  maxDelayMs: number;
  concurrencies: number[];
  runtimes: Runtime[];
}

/** The points one server gives: every model at every concurrency on v2 binary, plus the protocol points on its batched sparq server. */
function pointsOf(models: readonly ServedModel[], runtime: Runtime, batched: boolean, concurrencies: readonly number[]): { model: ServedModel; protocol: Protocol; connections: number }[] {
  const binary = models.flatMap((model) => concurrencies.map((connections) => ({ model, protocol: 'v2-binary' as Protocol, connections })));
  const protocols = runtime === 'sparq' && batched ? (['v2-json', 'tf-serving'] as const).map((protocol) => ({ model: models[0], protocol, connections: TARGET_CONCURRENCY })) : [];
  return [...binary, ...protocols];
}

async function servedPoints(models: readonly ServedModel[], input: string, s: Settings): Promise<{ points: ServedPoint[]; shutdown: { runtime: Runtime; maxBatch: number; exitCode: number | null }[] }> {
  const pixels = seededImages(1, CIFAR_IMAGE, 2);
  const points: ServedPoint[] = [];
  const shutdown = [];
  for (const runtime of s.runtimes) {
    for (const [maxBatch, maxDelayMs] of [[s.maxBatch, s.maxDelayMs], [1, 0]]) {
      progress(`starting sparq serve --runtime ${runtime} --max-batch ${maxBatch}`);
      const server = await startServer({ models: models.map((m) => m.path), runtime, threads: s.threads, maxBatch, maxDelayMs });
      try {
        const todo = pointsOf(models, runtime, maxBatch > 1, s.concurrencies);
        for (const { model, protocol } of todo) await checkRequest(server.url, imageRequest(protocol, model.name, input, pixels, CIFAR_IMAGE));
        for (const model of models) {
          await runLoad(server.url, imageRequest('v2-binary', model.name, input, pixels, CIFAR_IMAGE), { connections: Math.max(...s.concurrencies), durationS: WARMUP_S, serverPid: server.pid });
        }
        for (const { model, protocol, connections } of todo) {
          progress(`  ${model.form}, ${protocol}, concurrency ${connections}`);
          const request = imageRequest(protocol, model.name, input, pixels, CIFAR_IMAGE);
          const point = await withBatchStats(server.url, model.name, () => runLoad(server.url, request, { connections, durationS: s.durationS, serverPid: server.pid }));
          points.push({ ...point, model: model.form, runtime, protocol, maxBatch, maxDelayMs });
        }
      } finally {
        shutdown.push({ runtime, maxBatch, exitCode: await server.stop() });
      }
    }
  }
  return { points, shutdown };
}

async function inProcessRows(models: readonly ServedModel[], s: Settings): Promise<InProcessRow[]> {
  const rows: InProcessRow[] = [];
  for (const model of models) {
    for (const runtime of s.runtimes) {
      progress(`in-process ${model.form} on ${runtime}, batch ${IN_PROCESS_BATCH}`);
      rows.push({ model: model.form, runtime, ...(await inProcessThroughput(model.bytes, runtime, { threads: s.threads, batch: IN_PROCESS_BATCH, budgetMs: IN_PROCESS_BUDGET_MS })) });
    }
  }
  return rows;
}

function settings(values: Record<string, string | string[] | boolean | undefined>): Settings {
  const many = (flag: string) => values[flag] as string[] | undefined;
  const maxBatch = positiveInt('max-batch', values['max-batch'] as string | undefined) ?? 64;
  if (maxBatch < 2) throw new FlagError('--max-batch must be at least 2 (the bench runs batching off as --max-batch 1 itself)');
  return {
    durationS: positiveInt('duration', values.duration as string | undefined) ?? 10,
    threads: positiveInt('threads', values.threads as string | undefined) ?? os.availableParallelism(),
    maxBatch,
    maxDelayMs: nonNegativeInt('max-delay-ms', values['max-delay-ms'] as string | undefined, 2),
    concurrencies: many('concurrency')?.map((c) => positiveInt('concurrency', c)!) ?? [1, 16, TARGET_CONCURRENCY],
    runtimes: many('runtime')?.map((r) => oneOf('runtime', r, RUNTIMES)!) ?? [...RUNTIMES],
  };
}

const command: Command = {
  name: 'bench:serve',
  usage: USAGE,
  async main(argv) {
    const parsed = parseFlags(argv, {
      duration: { type: 'string' }, threads: { type: 'string' }, 'max-batch': { type: 'string' }, 'max-delay-ms': { type: 'string' },
      concurrency: { type: 'string', multiple: true }, runtime: { type: 'string', multiple: true }, json: { type: 'boolean' }, out: { type: 'string' },
    }, 0);
    if (parsed === 'help') return printHelp(USAGE);
    const s = settings(parsed.values);
    const out = outFlag(parsed.values.out);
    const machine = await machineInfo();
    const { models, remove } = await writeServedModels();
    try {
      const input = await inputName(models[0].bytes);
      const inProcess = await inProcessRows(models, s);
      const { points, shutdown } = await servedPoints(models, input, s);
      const checks = targetChecks(points, inProcess);
      writeJson({ machine, settings: s, inProcess, points, checks, shutdown }, { out, json: parsed.values.json === true });
      if (!parsed.values.json) {
        const unclean = shutdown.filter((x) => x.exitCode !== 0).map((x) => `--runtime ${x.runtime} --max-batch ${x.maxBatch}: exit ${x.exitCode}`);
        process.stdout.write([
          machineLine(machine, s.threads), `${s.durationS} s per point, single-image requests.`, '',
          `In-process (InferenceSession.run, batch ${IN_PROCESS_BATCH}):`, '', inProcessTable(inProcess), '',
          'Served (sparq serve on loopback, autocannon):', '', loadTable(points), '',
          `Issue 17's targets (concurrency ${TARGET_CONCURRENCY}, batching ${s.maxBatch} / ${s.maxDelayMs} ms, v2 binary):`, '', targetTable(checks), '',
          unclean.length === 0 ? 'Every server exited 0 on SIGTERM.' : `Servers that did not exit 0 on SIGTERM: ${unclean.join('; ')}`, '',
        ].join('\n'));
      }
      return 0;
    } finally {
      await remove();
    }
  },
};

process.exitCode = await execute(command, process.argv.slice(2));
