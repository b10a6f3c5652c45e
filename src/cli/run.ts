/**
 * `sparq run model.onnx`: runs a model on the inputs of a .npy or .json
 * file or on PNG/JPEG images (inputs.ts), or on seeded random inputs of its input shapes, on the
 * CPU or WebGPU backend; prints its outputs, or the top-k classes of its
 * first output, and with --compare how onnxruntime-node agrees and how fast
 * each runs.
 */
import { compare, InferenceSession, randomFeeds, setLimits, type CompareReport } from '../index.js';
import type { Value } from '../runtime/onnx/model.js';
import { FlagError, LIMIT_FLAGS, limitFlags, limitUsage, oneOf, parseFlags, positiveInt, printHelp, type Command } from './conventions.js';
import { imageOptions, loadFeeds } from './inputs.js';

const USAGE = `usage: sparq run <model.onnx> [--input file.npy|file.json|image.png|image.jpg ...] [--backend cpu|webgpu]
                 [--top k] [--batch n] [--threads n] [--compare] [--json] [--max-tensor-bytes n] [--max-model-bytes n]
                 [--layout nchw|nhwc] [--size HxW] [--scale s] [--mean r,g,b] [--std r,g,b]

Runs the model and prints each output's type, dims and first values.
  --input FILE     the inputs: a NumPy .npy file (little-endian float32/float64/int8/uint8/int32/int64,
                   C order) for a single-input model, or JSON: { "inputName": { "dims": [...], "data": [...] } }
                   or a plain nested array for a single-input model. float64 values are converted to
                   float32 inputs (with a note on stderr); dims must match the model's.
                   Or PNG/JPEG images (--input once per image: a batch) for a single-input float32
                   image model: decoded (8/16-bit gray, RGB, RGBA, palette PNGs; alpha dropped),
                   resized to the model's height x width by bilinear filtering (half-pixel centres,
                   widened when shrinking, as Pillow's BILINEAR), converted to its channels (RGB to
                   gray by BT.601 luma 0.299 R + 0.587 G + 0.114 B, gray to RGB repeated), laid out
                   as its input shape says (NCHW when it is unclear) and normalized:
                   (pixel * scale - mean) / std, pixels 0..255.
                   Without --input: seeded random inputs (floats in [0, 1), integers 0..9).
  --layout L       images: nchw or nhwc, overriding the layout read from the model's input shape
  --size HxW       images: the height and width to resize to, for a model whose input does not fix them
  --scale s        images: the factor on 0..255 pixels (default 1/255: pixels in [0, 1])
  --mean r,g,b     images: subtracted after scaling, per channel (or one value for all; default 0)
  --std r,g,b      images: divided by after that, per channel (or one value for all; default 1).
                   The defaults give pixels / 255, what the bundled Fashion-MNIST models take.
  --batch n        the symbolic dims of random inputs (default 1)
  --backend B      cpu (default) or webgpu
  --top k          the k most likely classes of each batch item of the first output, with softmax probabilities
  --threads n      CPU threads (default: all cores)
  --compare        also runs onnxruntime-node on the same inputs: top-1 agreement, max abs error, speed
  --json           the outputs (all values), top-k and comparison as JSON
${limitUsage(19)}

examples:
  sparq run model.onnx --input image.npy --top 5
  sparq run model.onnx --input feeds.json --compare
  sparq run examples/fashion-mnist/models/fp32.onnx --input shirt.png --input shoe.jpg --top 3
  sparq run resnet.onnx --input cat.jpg --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --top 5
  sparq run model.onnx --batch 8 --json
`;

/** Values printed per output. */
const HEAD = 8;

interface TopClass {
  class: number;
  probability: number;
}

/** The k most likely classes of each row of `value` (rows: all but its last axis), by softmax. */
export function topK(value: Value, k: number): TopClass[][] {
  const classes = value.dims.at(-1) ?? 1;
  const data = Array.from(value.data as ArrayLike<number | bigint>, Number);
  const rows: TopClass[][] = [];
  for (let at = 0; at + classes <= data.length && classes > 0; at += classes) {
    const row = data.slice(at, at + classes);
    const max = Math.max(...row);
    const exps = row.map((x) => Math.exp(x - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    rows.push(exps.map((e, c) => ({ class: c, probability: e / sum })).sort((a, b) => b.probability - a.probability || a.class - b.class).slice(0, k));
  }
  return rows;
}

function printComparison(report: CompareReport): void {
  for (const o of report.outputs) {
    const top1 = o.top1Agreement === null ? '' : `, top-1 agreement ${(o.top1Agreement * 100).toFixed(1)}%`;
    console.log(`onnxruntime ${o.name}: max abs err ${o.maxAbsError.toExponential(2)}${top1}, ${o.withinTolerance ? 'agrees' : 'DISAGREES'} (oracle: ${report.oracle.authority})`);
  }
  const t = report.timing?.batch1;
  if (t) console.log(`speed (batch ${t.batch}): sparq ${t.sparq.p50Ms.toFixed(3)} ms, onnxruntime ${t.ort.p50Ms.toFixed(3)} ms (medians), speedup ${t.speedup.toFixed(2)}x (onnxruntime time / sparq time)`);
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, {
    input: { type: 'string', multiple: true }, backend: { type: 'string' }, top: { type: 'string' }, batch: { type: 'string' }, threads: { type: 'string' },
    compare: { type: 'boolean' }, json: { type: 'boolean' },
    layout: { type: 'string' }, size: { type: 'string' }, scale: { type: 'string' }, mean: { type: 'string' }, std: { type: 'string' },
    ...LIMIT_FLAGS,
  }, 1);
  if (parsed === 'help') return printHelp(USAGE);
  const { values, positionals: [model] } = parsed;
  const backend = oneOf('backend', values.backend, ['cpu', 'webgpu'] as const) ?? 'cpu';
  const top = positiveInt('top', values.top);
  const batch = positiveInt('batch', values.batch);
  const threads = positiveInt('threads', values.threads);
  // For the whole command: --compare's sessions too.
  setLimits(limitFlags(values));
  if (model === undefined) throw new FlagError('needs a model file: sparq run <model.onnx>');
  if (batch !== undefined && values.input !== undefined) throw new FlagError('--batch sets the shape of random inputs; --input gives its own');
  const images = imageOptions(values.input ?? [], values);

  const session = await InferenceSession.create(model, { threads, backend });
  let outputs: Record<string, Value>;
  let feeds: Record<string, Value>;
  let notes: string[] = [];
  try {
    if (values.input === undefined) feeds = randomFeeds(session.inputs, { batch });
    else ({ feeds, notes } = loadFeeds(values.input, session.inputs, images));
    outputs = await session.run(feeds);
  } finally {
    await session.release();
  }
  for (const note of notes) process.stderr.write(`sparq run: note: ${note}\n`);
  const report = values.compare ? await compare(model, feeds, { threads, sessionOptions: { backend }, timing: { batch: 0 } }) : undefined;

  const first = session.outputNames[0];
  const classes = top === undefined ? undefined : topK(outputs[first], top);
  if (values.json) {
    const rows = session.outputNames.map((name) => {
      const v = outputs[name];
      const all = Array.from(v.data as ArrayLike<number | bigint>, Number);
      return { name, type: v.type, dims: v.dims, head: all.slice(0, HEAD), data: all };
    });
    console.log(JSON.stringify({ outputs: rows, ...(classes && { top: { output: first, classes } }), ...(report && { compare: report }), notes }, null, 2));
  } else {
    for (const name of session.outputNames) {
      const v = outputs[name];
      const head = Array.from(v.data.subarray(0, HEAD) as ArrayLike<number | bigint>, Number);
      console.log(`${name}: ${v.type} [${v.dims}] ${head.map((x) => x.toPrecision(6)).join(' ')}${head.length < v.data.length ? ' ...' : ''}`);
    }
    if (classes) {
      console.log(`top ${top} of ${first}:`);
      classes.forEach((row, i) => console.log(`  [${i}] ${row.map((c) => `${c.class} (${(c.probability * 100).toFixed(1)}%)`).join(', ')}`));
    }
    if (report) printComparison(report);
  }
  return 0;
}

export const command: Command = { name: 'run', usage: USAGE, main };
