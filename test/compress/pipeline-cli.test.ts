/**
 * `sparq compress`: flags to pipeline options (every bad flag named, exit
 * 2), and the command on small Fashion-MNIST and CIFAR-10 files, as JSON
 * and as a table.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { compressOptions } from '../../src/cli/compress.js';
import { loadFashionMnist } from '../../src/compress/data/index.js';
import { tempDir, type TempDir } from './data/files.js';
import { assertRunsLikeOrt, writeCifar10, writeFashionMnist } from './pipeline-files.js';

const run = promisify(execFile);
const CLI = resolve('src/cli/sparq.ts');
const sparq = (args: string[]) => run(process.execPath, ['--import', 'tsx', CLI, ...args], { maxBuffer: 64 << 20 });

describe('cli: sparq compress', function () {
  this.timeout(300_000);

  it('maps the flags onto pipeline options', () => {
    const parsed = compressOptions([
      '--data', 'cifar10=/data/cifar', '--epochs', '3', '--images', '500', '--test-images', '100', '--prune', 'blocks', '--sparsity', '0.8',
      '--prune-epochs', '2', '--finetune', '1', '--calibration', 'entropy', '--per-tensor', '--reduce-range', '--calibration-images', '200',
      '--threads', '2', '--budget', '50', '--no-timing', '--out', 'o', '--json',
    ]);
    assert.notEqual(parsed, 'help');
    assert.deepEqual(parsed, {
      json: true,
      options: {
        data: { dataset: 'cifar10', path: '/data/cifar', images: 500, testImages: 100 },
        model: { onnx: undefined, epochs: 3 },
        prune: { pattern: 'blocks', sparsity: 0.8, epochs: 2, finetune: 1 },
        quantize: { calibration: 'entropy', perChannel: false, reduceRange: true, images: 200 },
        threads: 2, budgetMs: 50, timing: false, out: 'o',
      },
    });
    const model = 'examples/fashion-mnist/models/fp32.onnx';
    const first = compressOptions([model, '--data', 'fashion-mnist', '--epochs', '0']);
    assert.deepEqual(first !== 'help' && first.options.model, { onnx: model, epochs: 0 }, 'a model given first is --model');
    const defaults = compressOptions(['--data', 'fashion-mnist', '--distill', '0.5', '--quantize', 'none']);
    assert.deepEqual(defaults, {
      json: false,
      options: {
        data: { dataset: 'fashion-mnist', path: undefined, images: undefined, testImages: undefined },
        model: { onnx: undefined, epochs: undefined },
        distill: { width: 0.5, epochs: undefined },
        quantize: 'none',
        threads: undefined, budgetMs: undefined, timing: true, out: 'compressed',
      },
    });
  });

  const BAD: [string[], RegExp][] = [
    [[], /^--data is required/],
    [['--data', 'mnist'], /^--data must be fashion-mnist\[=DIR\] or cifar10=DIR, got 'mnist'/],
    [['--data', 'cifar10'], /^--data cifar10 needs its directory/],
    [['--data', 'fashion-mnist='], /^--data needs a directory after '='/],
    [['--data', 'fashion-mnist', '--bogus'], /Unknown option '--bogus'/],
    [['--data', 'fashion-mnist', '--epochs', 'x'], /^--epochs must be a number, got 'x'/],
    [['--data', 'fashion-mnist', '--epochs', '0'], /^--epochs must be an integer in \[1, 10000\], got 0/],
    [['--data', 'fashion-mnist', '--images=-5'], /^--images must be an integer/],
    [['--data', 'fashion-mnist', '--test-images', '0'], /^--test-images must be an integer/],
    [['--data', 'fashion-mnist', '--prune', 'random'], /^--prune must be one of 'unstructured', 'blocks', '2:4'/],
    [['--data', 'fashion-mnist', '--prune', 'blocks', '--sparsity', '1'], /^--sparsity must be in \[0, 1\)/],
    [['--data', 'fashion-mnist', '--prune', '2:4', '--sparsity', '0.9'], /^--sparsity must be 0\.5 \(or left out\) for 2:4/],
    [['--data', 'fashion-mnist', '--sparsity', '0.5'], /^--sparsity needs --prune/],
    [['--data', 'fashion-mnist', '--finetune', '1'], /^--finetune needs --prune/],
    [['--data', 'fashion-mnist', '--prune', 'blocks', '--prune-epochs', '0'], /^--prune-epochs must be an integer in \[1/],
    [['--data', 'fashion-mnist', '--prune', 'blocks', '--finetune=-1'], /^--finetune must be an integer in \[0/],
    [['--data', 'fashion-mnist', '--distill', '0'], /^--distill must be in \(0, 1\], got 0/],
    [['--data', 'fashion-mnist', '--distill-epochs', '2'], /^--distill-epochs needs --distill/],
    [['--data', 'fashion-mnist', '--distill', '0.5', '--distill-epochs', '0'], /^--distill-epochs must be an integer/],
    [['--data', 'fashion-mnist', '--quantize', 'int4'], /^--quantize must be int8 or none, got 'int4'/],
    [['--data', 'fashion-mnist', '--quantize', 'none', '--reduce-range'], /^--reduce-range needs --quantize int8/],
    [['--data', 'fashion-mnist', '--calibration', 'kl'], /^--calibration must be one of 'minmax', 'percentile', 'entropy', 'mse'/],
    [['--data', 'fashion-mnist', '--calibration-images', '0'], /^--calibration-images must be an integer/],
    [['--data', 'fashion-mnist', '--threads', '0'], /^--threads must be an integer/],
    [['--data', 'fashion-mnist', '--budget', '0'], /^--budget must be an integer/],
    [['--data', 'fashion-mnist', '--out', ''], /^--out must be a non-empty path string/],
    [['a.onnx', '--data', 'fashion-mnist', '--model', 'b.onnx'], /^give the model once: 'a.onnx' or --model b.onnx/],
    [['a.onnx', 'b.onnx', '--data', 'fashion-mnist'], /^unexpected argument 'b.onnx'/],
  ];
  for (const [argv, message] of BAD)
    it(`names the bad flag: ${argv.join(' ') || '(none)'}`, () => {
      assert.throws(() => compressOptions(argv), { message });
    });

  it('exits 2 on a bad flag with one stderr line naming it; --help prints the usage with examples, exit 0', async () => {
    for (const args of [['--data', 'fashion-mnist', '--prune', 'blocks', '--sparsity', '2'], ['--data', 'fashion-mnist', '--bogus']]) {
      await assert.rejects(sparq(['compress', ...args]), (e: { code: number; stdout: string; stderr: string }) => {
        assert.equal(e.code, 2);
        assert.match(e.stderr, /^sparq compress: [^\n]+\n$/);
        assert.match(e.stderr, args.includes('--bogus') ? /^sparq compress: Unknown option '--bogus'\n$/ : /^sparq compress: --sparsity must be in \[0, 1\), got 2\n$/);
        assert.equal(e.stdout, '');
        return true;
      });
    }
    const { stdout, stderr } = await sparq(['compress', '--help']);
    assert.equal(stderr, '');
    assert.match(stdout, /^usage: sparq compress \[model.onnx\] --data/);
    assert.match(stdout, /--prune unstructured\|blocks\|2:4/);
    assert.match(stdout, /\nexamples:\n  sparq compress --data/);
  });

  describe('on small data files', () => {
    let dir: TempDir;
    before(() => {
      dir = tempDir('cli-compress');
    });
    after(() => dir.remove());

    it('Fashion-MNIST, --json: trains, prunes 50% and quantizes; the written models run as in onnxruntime', async () => {
      const data = writeFashionMnist(dir, 200, 32);
      const out = join(dir.dir, 'out');
      const { stdout } = await sparq([
        'compress', '--data', `fashion-mnist=${data}`, '--epochs', '1', '--prune', 'unstructured', '--sparsity', '0.5', '--prune-epochs', '1', '--finetune', '0',
        '--calibration', 'minmax', '--calibration-images', '64', '--threads', '1', '--budget', '5', '--out', out, '--json',
      ]);
      const result = JSON.parse(stdout);
      assert.equal(result.out, out);
      assert.deepEqual(result.models.map((m: { name: string; file: string }) => [m.name, m.file]), [['fp32', 'fp32.onnx'], ['fp32 50%', 'fp32-50.onnx'], ['int8', 'int8.onnx'], ['int8 50%', 'int8-50.onnx']]);
      for (const m of result.models) {
        assert.equal(m.report.name, m.name);
        assert.equal(m.report.images, 32);
        assert.equal(m.report.agreement, 1);
        assert.ok(m.report.speed.batch1.sparqMs > 0);
        await assertRunsLikeOrt(join(out, m.file), loadFashionMnist({ path: data }).test);
      }
      assert.deepEqual(result.models[1].report.layers.map((l: { sparsity: number }) => Math.round(100 * l.sparsity)), [0, 50, 50, 50, 0]);
      assert.ok(existsSync(join(out, 'models.json')));
    });

    it('CIFAR-10, a table: trains and writes the fp32 model (--quantize none)', async () => {
      const data = writeCifar10(dir, 20, 16);
      const out = join(dir.dir, 'cifar-out');
      const { stdout } = await sparq(['compress', '--data', `cifar10=${data}`, '--epochs', '1', '--quantize', 'none', '--no-timing', '--out', out]);
      assert.doesNotMatch(stdout, /"epoch"/, "progress goes to stderr, stdout holds only the table");
      assert.match(stdout, /\| top-1 accuracy, sparq \| \d+\.\d\d% \|/);
      assert.match(stdout, /\| conv1 \| 0\.00% float32 \[32x3x3x3\]/);
      assert.match(stdout, new RegExp(`models and models.json written to ${out}\n$`));
      assert.ok(existsSync(join(out, 'fp32.onnx')));
    });
  });
});
