/**
 * `sparq serve`: the inference server (src/serve/) from the command line.
 * It prints one line on stdout once it listens, each model that failed to
 * load on stderr, and on SIGTERM or SIGINT stops accepting, answers the
 * requests in flight and exits 0.
 */
import { createServer } from '../serve/server.js';
import { LIMIT_FLAGS, limitFlags, limitUsage, oneOf, parseFlags, positiveInt, printHelp, FlagError, type Command } from './conventions.js';

export const SERVE_SUMMARY = `  serve <model.onnx ...> | --repository DIR  [--port n] [--host addr] [--backend cpu|webgpu] [--threads n]
                  [--max-batch n] [--max-delay-ms ms] [--max-queue n] [--timeout-ms ms] [--runtime sparq|onnxruntime]
                  an inference server on the KServe v2 and TF Serving REST protocols, with dynamic
                  batching and Prometheus metrics on /metrics
`;

const USAGE = `usage: sparq serve <model.onnx ...> [options]
       sparq serve --repository DIR [options]

Serves ONNX models over HTTP on the KServe / Open Inference Protocol v2 REST API (with the
binary tensor data and model repository extensions) and TF Serving's REST predict API.
Requests for the same model are batched (stacked on axis 0) up to --max-batch rows: those
that queue while a batch runs, or that arrive within --max-delay-ms. A model file is served under its name without .onnx; a
repository holds <name>/<version>/model.onnx (the newest version is served).
  --repository DIR      a model repository; POST /v2/repository/models/<name>/load|unload use it
  --host addr           address to listen on (default 127.0.0.1)
  --port n              port (default 8000; 0 picks a free one)
  --backend cpu|webgpu  where the models run (default cpu)
  --threads n           kernel threads (default: all cores)
  --max-batch n         rows per batch at most (default 32; 1 turns batching off)
  --max-delay-ms ms     how long a request waits for others to batch with when the engine is free
                        (default 0: batches form from what queues while a batch runs)
  --max-queue n         requests waiting per model at most; more get 503 + Retry-After (default 1024)
  --timeout-ms ms       a request's deadline; past it, 504 (default 30000)
  --max-body-bytes n    largest request body; larger get 413 (default 67108864)
  --max-concurrent n    inference requests handled at once at most; more get 503 (default 4096)
${limitUsage(24)}
  --runtime sparq|onnxruntime
                        onnxruntime runs the models on onnxruntime-node behind the same
                        server (a baseline for load tests)
Endpoints: GET /v2, /v2/health/live, /v2/health/ready, /v2/models/<name>[/versions/<v>][/ready],
POST /v2/models/<name>[/versions/<v>]/infer, POST /v2/repository/index,
GET /v1/models/<name>, POST /v1/models/<name>[/versions/<v>]:predict, GET /metrics.

examples:
  sparq serve examples/fashion-mnist/models/int8-90-blocks.onnx --port 8000
  curl -s localhost:8000/v2/models/int8-90-blocks
  sparq serve --repository models/ --max-batch 64 --max-delay-ms 5 --threads 4
`;

const FLAGS = {
  repository: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'max-batch': { type: 'string' },
  'max-delay-ms': { type: 'string' },
  'max-queue': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'max-concurrent': { type: 'string' },
  runtime: { type: 'string' },
  ...LIMIT_FLAGS,
} as const;

/** A non-negative number of ms, or undefined when not given. */
function milliseconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new FlagError(`--${flag} must be a number of milliseconds >= 0, got ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, FLAGS, Number.MAX_SAFE_INTEGER);
  if (parsed === 'help') return printHelp(USAGE);
  const { values: v, positionals: models } = parsed;
  if (models.length === 0 && v.repository === undefined) throw new FlagError('give model files or --repository DIR (sparq serve --help)');
  const port = v.port === undefined ? undefined : Number(v.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535 && v.port!.trim() !== '')) throw new FlagError(`--port must be an integer in [0, 65535], got ${v.port}`);
  const server = await createServer({
    models,
    repository: v.repository,
    host: v.host,
    port,
    backend: oneOf('backend', v.backend, ['cpu', 'webgpu'] as const),
    runtime: oneOf('runtime', v.runtime, ['sparq', 'onnxruntime'] as const),
    threads: positiveInt('threads', v.threads),
    maxBatch: positiveInt('max-batch', v['max-batch']),
    maxDelayMs: milliseconds('max-delay-ms', v['max-delay-ms']),
    maxQueue: positiveInt('max-queue', v['max-queue']),
    timeoutMs: positiveInt('timeout-ms', v['timeout-ms']),
    maxBodyBytes: positiveInt('max-body-bytes', v['max-body-bytes']),
    maxConcurrent: positiveInt('max-concurrent', v['max-concurrent']),
    limits: limitFlags(v),
  });
  for (const [name, model] of server.models.list()) {
    if (model.state === 'failed') process.stderr.write(`sparq serve: model ${name} failed to load: ${model.reason}\n`);
  }
  const ready = server.models.list().filter(([, m]) => m.state === 'ready').map(([name]) => name);
  process.stderr.write(`sparq serve: serving ${ready.length === 0 ? 'no model' : ready.join(', ')}\n`);
  process.stdout.write(`sparq serve: listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop).off('SIGINT', stop);
      process.stderr.write('sparq serve: shutting down (finishing requests in flight)\n');
      server.close().then(resolve, resolve);
    };
    process.on('SIGTERM', stop).on('SIGINT', stop);
  });
  return 0;
}

export const command: Command = { name: 'serve', usage: USAGE, main };
