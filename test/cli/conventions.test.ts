import assert from 'node:assert/strict';

import { ONE_LINE, sparq } from './spawn.js';

describe('cli: the conventions every command follows', () => {
  for (const command of ['info', 'validate', 'bench', 'run', 'compare', 'compress', 'report', 'serve']) {
    it(`${command} --help, -h and help ${command}: usage with examples on stdout, exit 0`, async () => {
      const runs = await Promise.all([sparq([command, '--help']), sparq([command, '-h']), sparq(['help', command])]);
      for (const { code, stdout, stderr } of runs) {
        assert.equal(code, 0, stderr);
        assert.match(stdout, new RegExp(`^usage: sparq ${command}`));
        assert.match(stdout, new RegExp(`\\nexamples:\\n  sparq ${command}\\b`));
        assert.equal(stderr, '');
      }
      assert.equal(runs[1].stdout, runs[0].stdout);
      assert.equal(runs[2].stdout, runs[0].stdout);
    });

    it(`${command} with an unknown flag: one stderr line naming it, exit 2`, async () => {
      const { code, stdout, stderr } = await sparq([command, ...(command === 'run' || command === 'compare' ? ['model.onnx'] : []), '--nope']);
      assert.equal(code, 2);
      assert.match(stderr, ONE_LINE);
      assert.match(stderr, new RegExp(`^sparq ${command}: Unknown option '--nope'`));
      assert.equal(stdout, '');
    });
  }

  it('bad values and missing arguments: one stderr line naming the flag, exit 2, before reading the model', async () => {
    const cases: [string[], RegExp][] = [
      [['run', 'missing.onnx', '--top', 'x'], /^sparq run: --top must be a positive integer, got x$/],
      [['run', 'missing.onnx', '--top', '0'], /^sparq run: --top must be a positive integer, got 0$/],
      [['run', 'missing.onnx', '--batch=-1'], /^sparq run: --batch must be a positive integer, got -1$/],
      [['run', 'missing.onnx', '--batch', '-1'], /^sparq run: Option '--batch' argument is ambiguous$/],
      [['run', 'missing.onnx', '--threads', '1.5'], /^sparq run: --threads must be a positive integer, got 1\.5$/],
      [['run', 'missing.onnx', '--backend', 'tpu'], /^sparq run: --backend must be cpu or webgpu, got tpu$/],
      [['run', 'missing.onnx', '--top'], /^sparq run: Option '--top <value>' argument missing$/],
      [['run', 'missing.onnx', '--input', 'x.npy', '--batch', '2'], /^sparq run: --batch sets the shape of random inputs; --input gives its own$/],
      [['run'], /^sparq run: needs a model file: sparq run <model\.onnx>$/],
      [['run', 'a.onnx', 'b.onnx'], /^sparq run: unexpected argument 'b\.onnx'$/],
      [['compare', 'missing.onnx', '--budget', '0'], /^sparq compare: --budget must be a positive integer, got 0$/],
      [['info', 'extra'], /^sparq info: Unexpected argument 'extra'$/],
      [['info', '--json=yes'], /^sparq info: Option '--json' does not take an argument$/],
      [['bogus'], /^sparq: unknown command 'bogus' \(commands: info, validate, bench, run, compare, compress, report, serve; sparq --help\)$/],
    ];
    const results = await Promise.all(cases.map(([args]) => sparq(args)));
    results.forEach(({ code, stdout, stderr }, i) => {
      const [args, message] = cases[i];
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, ONE_LINE, args.join(' '));
      assert.match(stderr.trimEnd(), message);
      assert.equal(stdout, '');
    });
  });

  it('sparq alone prints the usage on stderr and exits 2; sparq --help and sparq help print it on stdout, exit 0', async () => {
    const [bare, help, helpCommand] = await Promise.all([sparq([]), sparq(['--help']), sparq(['help'])]);
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, '');
    assert.match(bare.stderr, /^usage: sparq <command>/);
    for (const r of [help, helpCommand]) {
      assert.equal(r.code, 0);
      assert.equal(r.stdout, bare.stderr);
      assert.match(r.stdout, /\ncommands:\n  info \[--json\]/);
      assert.match(r.stdout, /\nexamples:\n  sparq info\n/);
    }
  });

  it('a run that fails (a missing model file) is one stderr line naming it, exit 1', async () => {
    const { code, stderr } = await sparq(['run', 'missing.onnx']);
    assert.equal(code, 1);
    assert.match(stderr, ONE_LINE);
    assert.match(stderr, /^sparq run: OnnxLoadError: cannot read ONNX model "missing\.onnx"/);
  });
});
