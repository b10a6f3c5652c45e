#!/usr/bin/env node
/**
 * The sparq command: dispatches `sparq <command> ...` to the command's
 * module (one file per command, sharing conventions.ts: --help with
 * examples and exit 0, a bad flag one stderr line and exit 2, a failure one
 * stderr line and exit 1, results on stdout, --json where a table is printed).
 */
import { BENCH_SUMMARY, command as bench } from './bench.js';
import { command as compare } from './compare.js';
import { command as compress, COMPRESS_SUMMARY } from './compress.js';
import { execute, type Command } from './conventions.js';
import { command as info } from './info.js';
import { command as report, REPORT_SUMMARY } from './report.js';
import { command as run } from './run.js';
import { command as serve, SERVE_SUMMARY } from './serve.js';
import { command as validate, VALIDATE_SUMMARY } from './validate.js';

const COMMANDS: Record<string, Command> = { info, validate, bench, run, compare, compress, report, serve };

const USAGE = `usage: sparq <command> [options]     (sparq help <command>, or sparq <command> --help, for its options)

commands:
  info [--json]   the CPU, ISA levels and cap, each kernel family's variant, threads, the native addon,
                  WebGPU adapters, onnxruntime-node, Node, OS, cores and memory
${VALIDATE_SUMMARY}${BENCH_SUMMARY}  run <model.onnx> [--input file.npy|file.json|image.png|image.jpg ...] [--backend cpu|webgpu] [--top k]
                  [--batch n] [--threads n] [--compare] [--json]
                  [--layout nchw|nhwc] [--size HxW] [--scale s] [--mean r,g,b] [--std r,g,b]
                  runs the model on the file's inputs, or a batch of images resized and normalized (or seeded
                  random inputs), and prints its outputs or top-k classes; --compare adds agreement and speed
                  against onnxruntime-node
  compare <model.onnx> [--batch n] [--threads n] [--budget ms] [--first-divergence] [--json]
                  sparq against onnxruntime-node on the same seeded random inputs: errors, top-1
                  agreement, latency and throughput; exits 1 when an output disagrees with the oracle
${COMPRESS_SUMMARY}${REPORT_SUMMARY}${SERVE_SUMMARY}
examples:
  sparq info
  sparq validate --only qu8s8-gemm,f32-spmm
  sparq bench --quick
  sparq run model.onnx --input image.npy --top 5 --compare
  sparq run examples/fashion-mnist/models/fp32.onnx --input shirt.png --top 3
  sparq compare model.onnx --json
  sparq compress --data fashion-mnist --prune blocks --out compressed
  sparq report results.json -o report.html
  sparq serve examples/fashion-mnist/models/int8-90-blocks.onnx --port 8000
`;

async function main([name, ...argv]: string[]): Promise<number> {
  if (name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (name === 'help' && argv.length <= 1) {
    const about = argv[0] === undefined ? undefined : COMMANDS[argv[0]]?.usage;
    if (argv[0] === undefined || about !== undefined) {
      process.stdout.write(about ?? USAGE);
      return 0;
    }
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(name === undefined || name === 'help' ? USAGE : `sparq: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; sparq --help)\n`);
    return 2;
  }
  return execute(command, argv);
}

process.exitCode = await main(process.argv.slice(2));
