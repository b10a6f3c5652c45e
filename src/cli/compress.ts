/**
 * `sparq compress`: compress.pipeline() from flags. Flags map one to one
 * onto pipeline options; a bad flag (unknown, malformed, out of range, or
 * one that needs another) exits 2 with one line naming it, before any
 * work, and the pipeline's own failures (a missing dataset, say) exit 1.
 */
import { compress } from '../index.js';
import { checkPipelineOptions } from '../compress/pipeline-options.js';
import { FlagError, parseFlags, printHelp, type Command } from './conventions.js';

/** The command's lines in sparq's usage. */
export const COMPRESS_SUMMARY = `  compress [model.onnx] --data fashion-mnist[=DIR] | --data cifar10=DIR [--model in.onnx] [--prune ...] [--distill W]
                  [--quantize int8|none] [--out DIR] [--json] ...
                  trains the dataset's built-in CNN (or --model), prunes, distills and quantizes it,
                  writes each model's .onnx and models.json to --out and reports each one's accuracy
                  in sparq and onnxruntime-node, size, sparsity and speed
`;

const USAGE = `usage: sparq compress [model.onnx] --data fashion-mnist[=DIR] | --data cifar10=DIR [options]

Trains the dataset's built-in CNN (or --model), prunes, distills and quantizes it, writes each
model's .onnx and models.json to --out and reports each one's accuracy in sparq and
onnxruntime-node, size, sparsity and speed (a table, or --json). Progress goes to stderr.
  --model in.onnx           start from this model (NCHW images in, logits out); or give it first:
                            sparq compress in.onnx --data ...
  --epochs N                training epochs (default 12; with --model 0: used as is)
  --images N                train on a sample of N training images (default all)
  --test-images N           report on the first N test images (default all)
  --prune unstructured|blocks|2:4   also a pruned model (every conv/dense weight
                            but the first and last), reached gradually
  --sparsity S              its sparsity (default 0.9; 2:4 is 0.5)
  --prune-epochs N          epochs over which it is reached (default 2)
  --finetune N              fine-tuning epochs after that (default 5)
  --distill W               also a student of width W (0.5: half the channels)
  --distill-epochs N        (default twice --epochs)
  --quantize int8|none      int8 QDQ of every model (default int8)
  --calibration minmax|percentile|entropy|mse   (default percentile)
  --per-tensor              one weight scale per tensor (default per channel)
  --reduce-range            7-bit weights (exact in onnxruntime without VNNI)
  --calibration-images N    (default 1000)
  --threads N               CPU threads (default: all cores)
  --budget ms               how long each model is timed, in sparq and in onnxruntime (default 300)
  --no-timing               no timing: accuracy, size and sparsity only
  --out DIR                 where the models go (default ./compressed)
  --json                    the models and their reports as JSON

examples:
  sparq compress --data fashion-mnist --prune blocks --out compressed
  sparq compress --data fashion-mnist=/data/fashion-mnist --prune 2:4 --distill 0.5 --json
  sparq compress --data cifar10=/data/cifar-10-batches-bin --epochs 20 --calibration entropy
  sparq compress --data fashion-mnist --model my.onnx --epochs 0 --quantize int8
`;

/** Each pipeline option's flag: an error naming the option is reworded to name the flag. */
const FLAGS: Record<string, string> = {
  'options.data': '--data',
  'options.data.dataset': '--data',
  'options.data.path': '--data',
  'options.model.onnx': '--model',
  'options.model.epochs': '--epochs',
  'options.data.images': '--images',
  'options.data.testImages': '--test-images',
  'options.prune': '--prune',
  'options.prune.pattern': '--prune',
  'options.prune.sparsity': '--sparsity',
  'options.prune.epochs': '--prune-epochs',
  'options.prune.finetune': '--finetune',
  'options.distill': '--distill',
  'options.distill.width': '--distill',
  'options.distill.epochs': '--distill-epochs',
  'options.quantize': '--quantize',
  'options.quantize.calibration': '--calibration',
  'options.quantize.images': '--calibration-images',
  'options.threads': '--threads',
  'options.budgetMs': '--budget',
  'options.out': '--out',
};

function flagFail(flag: string, message: string): never {
  throw new FlagError(`${flag} ${message}`);
}

/** A numeric flag's value (its range is the pipeline's to check), or undefined when not given. */
function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) flagFail(flag, `must be a number, got '${value}'`);
  return n;
}

/** --data's dataset and directory. */
function dataFlag(value: string | undefined): compress.PipelineData {
  if (value === undefined) flagFail('--data', 'is required: fashion-mnist[=DIR] or cifar10=DIR');
  const at = value.indexOf('=');
  const [dataset, path] = at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
  if (!(compress.PIPELINE_DATASETS as readonly string[]).includes(dataset)) flagFail('--data', `must be fashion-mnist[=DIR] or cifar10=DIR, got '${value}'`);
  if (path === '') flagFail('--data', `needs a directory after '=', got '${value}'`);
  if (dataset === 'cifar10' && path === undefined) flagFail('--data', 'cifar10 needs its directory: --data cifar10=DIR');
  return { dataset: dataset as compress.PipelineData['dataset'], path };
}

/** Throws a FlagError naming the first of `flags` given when `missing` (what they need) is. */
function requireFlag(values: Record<string, unknown>, flags: readonly string[], missing: boolean, needs: string): void {
  const orphan = flags.find((f) => values[f] !== undefined);
  if (orphan && missing) flagFail(`--${orphan}`, `needs ${needs}`);
}

/** The pipeline options `argv` (after 'compress') asks for, checked; a FlagError naming the bad flag. */
export function compressOptions(argv: string[]): { options: compress.PipelineOptions; json: boolean } | 'help' {
  const parsed = parseFlags(argv, {
    data: { type: 'string' }, model: { type: 'string' }, epochs: { type: 'string' }, images: { type: 'string' }, 'test-images': { type: 'string' },
    prune: { type: 'string' }, sparsity: { type: 'string' }, 'prune-epochs': { type: 'string' }, finetune: { type: 'string' },
    distill: { type: 'string' }, 'distill-epochs': { type: 'string' },
    quantize: { type: 'string' }, calibration: { type: 'string' }, 'per-tensor': { type: 'boolean' }, 'reduce-range': { type: 'boolean' }, 'calibration-images': { type: 'string' },
    threads: { type: 'string' }, budget: { type: 'string' }, 'no-timing': { type: 'boolean' }, out: { type: 'string' }, json: { type: 'boolean' },
  }, 1);
  if (parsed === 'help') return 'help';
  const { values } = parsed;
  // `sparq compress model.onnx ...` names the model as --model does.
  const [positional] = parsed.positionals;
  if (positional !== undefined && values.model !== undefined) throw new FlagError(`give the model once: '${positional}' or --model ${values.model}`);
  values.model ??= positional;
  requireFlag(values, ['sparsity', 'prune-epochs', 'finetune'], values.prune === undefined, '--prune');
  requireFlag(values, ['distill-epochs'], values.distill === undefined, '--distill');
  requireFlag(values, ['calibration', 'per-tensor', 'reduce-range', 'calibration-images'], values.quantize === 'none', '--quantize int8');
  if (values.quantize !== undefined && values.quantize !== 'int8' && values.quantize !== 'none') flagFail('--quantize', `must be int8 or none, got '${values.quantize}'`);
  const data = dataFlag(values.data);
  const options: compress.PipelineOptions = {
    data: { ...data, images: numberFlag('--images', values.images), testImages: numberFlag('--test-images', values['test-images']) },
    model: { onnx: values.model, epochs: numberFlag('--epochs', values.epochs) },
    ...(values.prune !== undefined && {
      prune: {
        pattern: values.prune as compress.PrunePattern, sparsity: numberFlag('--sparsity', values.sparsity),
        epochs: numberFlag('--prune-epochs', values['prune-epochs']), finetune: numberFlag('--finetune', values.finetune),
      },
    }),
    ...(values.distill !== undefined && { distill: { width: numberFlag('--distill', values.distill)!, epochs: numberFlag('--distill-epochs', values['distill-epochs']) } }),
    quantize: values.quantize === 'none' ? 'none' : {
      calibration: values.calibration as compress.CalibrationMethod | undefined, perChannel: !values['per-tensor'], reduceRange: values['reduce-range'] ?? false,
      images: numberFlag('--calibration-images', values['calibration-images']),
    },
    threads: numberFlag('--threads', values.threads),
    budgetMs: numberFlag('--budget', values.budget),
    timing: !values['no-timing'],
    out: values.out ?? 'compressed',
  };
  try {
    checkPipelineOptions(options);
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    const path = Object.keys(FLAGS).find((p) => e.message.startsWith(`${p} `));
    if (path === undefined) throw e;
    throw new FlagError(`${FLAGS[path]}${e.message.slice(path.length)}`);
  }
  return { options, json: values.json ?? false };
}

/**
 * The command's progress: stdout is the result (the table, or the JSON with
 * --json), so the trainer's bar on a terminal, else each epoch's end as a
 * JSON line, go to stderr.
 */
function stderrProgress(): compress.ProgressOption {
  if (process.stderr.isTTY) return 'bar';
  return (p) => {
    if (p.epochDone) process.stderr.write(`${JSON.stringify(p)}\n`);
  };
}

async function main(argv: string[]): Promise<number> {
  const parsed = compressOptions(argv);
  if (parsed === 'help') return printHelp(USAGE);
  const { options, json } = parsed;
  const result = await compress.pipeline({ ...options, progress: stderrProgress() });
  if (json) console.log(JSON.stringify({ out: options.out, models: result.models.map(({ name, file, report }) => ({ name, file, report })) }, null, 2));
  else console.log(`${result.table}\nmodels and models.json written to ${options.out}`);
  return 0;
}

export const command: Command = { name: 'compress', usage: USAGE, main };
