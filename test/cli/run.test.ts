import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { topK } from '../../src/cli/run.js';
import { InferenceSession } from '../../src/index.js';
import type { Value } from '../../src/runtime/onnx/model.js';
import { encodeOnnxModel } from '../../src/runtime/onnx/write.js';
import { cifarCnn, randomImages } from '../fixtures/cifar-cnn.js';
import { npyBytes } from '../fixtures/npy.js';
import { ONE_LINE, sparq } from './spawn.js';

interface RunJson {
  outputs: { name: string; type: string; dims: number[]; head: number[]; data: number[] }[];
  top?: { output: string; classes: { class: number; probability: number }[][] };
  compare?: { outputs: { name: string; maxAbsError: number; top1Agreement: number | null; withinTolerance: boolean }[]; timing: { batch1: { speedup: number } } };
  notes: string[];
}

/** [batch][3][32][32] as nested arrays, what a JSON file holds. */
function nested(data: Float32Array, dims: number[]): unknown {
  if (dims.length === 0) return data[0];
  const step = data.length / dims[0];
  return Array.from({ length: dims[0] }, (_, i) => nested(data.subarray(i * step, (i + 1) * step), dims.slice(1)));
}

describe('cli: sparq run on real inputs', () => {
  const dims = [2, 3, 32, 32];
  const images = randomImages(2, [3, 32, 32], 11);
  let dir: string;
  let model: string;
  let expected: Value;
  const file = (name: string, bytes: Uint8Array | string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };
  const runJson = async (args: string[]) => {
    const { code, stdout, stderr } = await sparq(['run', model, '--threads', '1', '--json', ...args]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout) as RunJson;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparq-run-'));
    model = file('cnn.onnx', encodeOnnxModel(cifarCnn()));
    const session = await InferenceSession.create(model, { threads: 1 });
    expected = (await session.run({ input: { type: 'float32', dims, data: images } })).logits;
    await session.release();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('an .npy float32 input gives the outputs InferenceSession gives', async () => {
    const json = await runJson(['--input', file('x.npy', npyBytes({ descr: '<f4', shape: dims, data: images }))]);
    assert.deepEqual(json.outputs.map((o) => [o.name, o.type, o.dims]), [['logits', 'float32', [2, 10]]]);
    assert.deepEqual(json.outputs[0].data, Array.from(expected.data as Float32Array));
    assert.deepEqual(json.notes, []);
  });

  it('an .npy float64 input is converted to float32, with a note', async () => {
    const npy = file('x64.npy', npyBytes({ descr: '<f8', shape: dims, data: Float64Array.from(images) }));
    const { code, stdout, stderr } = await sparq(['run', model, '--threads', '1', '--json', '--input', npy]);
    assert.equal(code, 0, stderr);
    assert.deepEqual((JSON.parse(stdout) as RunJson).outputs[0].data, Array.from(expected.data as Float32Array));
    assert.match(stderr, new RegExp(`^sparq run: note: ${npy}: float64 values converted to float32, the type of input "input"$`, 'm'));
  });

  it('a JSON input, { name: { dims, data } } or a plain nested array, gives the same outputs', async () => {
    const named = file('named.json', JSON.stringify({ input: { dims, data: Array.from(images) } }));
    const plain = file('plain.json', JSON.stringify(nested(images, dims)));
    for (const json of await Promise.all([runJson(['--input', named]), runJson(['--input', plain])])) {
      assert.deepEqual(json.outputs[0].data, Array.from(expected.data as Float32Array));
    }
  });

  it('--top k: the k most likely classes of each batch item with softmax probabilities', async () => {
    const npy = file('top.npy', npyBytes({ descr: '<f4', shape: dims, data: images }));
    const want = topK(expected, 3);
    const json = await runJson(['--input', npy, '--top', '3']);
    assert.deepEqual(json.top, { output: 'logits', classes: want });
    const { code, stdout } = await sparq(['run', model, '--threads', '1', '--input', npy, '--top', '3']);
    assert.equal(code, 0);
    const lines = stdout.split('\n');
    assert.equal(lines[lines.indexOf('top 3 of logits:') + 1], `  [0] ${want[0].map((c) => `${c.class} (${(c.probability * 100).toFixed(1)}%)`).join(', ')}`);
    assert.match(stdout, /^ {2}\[1\] \d \(\d+\.\d%\), \d \(\d+\.\d%\), \d \(\d+\.\d%\)$/m);
    // The probabilities are a softmax's: over all 10 classes they sum to 1.
    const all = topK(expected, 10);
    for (const row of all) assert.ok(Math.abs(row.reduce((s, c) => s + c.probability, 0) - 1) < 1e-12);
    assert.ok(want[0][0].probability >= want[0][1].probability && want[0][1].probability >= want[0][2].probability);
  });

  it('--compare: agreement and speed against onnxruntime-node on the same inputs', async () => {
    const npy = file('cmp.npy', npyBytes({ descr: '<f4', shape: dims, data: images }));
    const json = await runJson(['--input', npy, '--compare']);
    const [o] = json.compare!.outputs;
    assert.equal(o.name, 'logits');
    assert.equal(o.top1Agreement, 1);
    assert.ok(o.maxAbsError < 1e-4, String(o.maxAbsError));
    assert.equal(o.withinTolerance, true);
    assert.ok(json.compare!.timing.batch1.speedup > 0);
    const { code, stdout } = await sparq(['run', model, '--input', npy, '--compare']);
    assert.equal(code, 0);
    assert.match(stdout, /^onnxruntime logits: max abs err \S+, top-1 agreement 100\.0%, agrees \(oracle: onnxruntime\)$/m);
    assert.match(stdout, /^speed \(batch 1\): sparq [\d.]+ ms, onnxruntime [\d.]+ ms \(medians\), speedup [\d.]+x \(onnxruntime time \/ sparq time\)$/m);
  });

  it('--max-model-bytes, --max-tensor-bytes: a model or tensor over them is refused in one stderr line, exit 1; a bad value exits 2', async () => {
    const size = fs.statSync(model).size;
    const [at, over, tensor, bad] = await Promise.all([
      sparq(['run', model, '--threads', '1', '--max-model-bytes', String(size)]),
      sparq(['run', model, '--max-model-bytes', String(size - 1)]),
      sparq(['run', model, '--max-tensor-bytes', '1000']),
      sparq(['run', model, '--max-tensor-bytes', '0']),
    ]);
    assert.equal(at.code, 0, at.stderr);
    assert.equal(over.code, 1);
    assert.match(over.stderr, ONE_LINE);
    assert.match(over.stderr, new RegExp(`^sparq run: LimitError: the model ".*cnn.onnx" needs ${size} bytes, over the maxModelBytes limit of ${size - 1} bytes; .* the CLI's --max-model-bytes\n$`));
    assert.equal(tensor.code, 1);
    assert.match(tensor.stderr, /^sparq run: LimitError: .* over the maxTensorBytes limit of 1000 bytes; /);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-tensor-bytes must be a positive integer, got 0/);
  });

  it('bad input files: one stderr line naming the file and what is wrong, exit 1', async () => {
    const good = npyBytes({ descr: '<f4', shape: dims, data: images });
    const cases: [string, Uint8Array | string, RegExp][] = [
      ['truncated.npy', good.subarray(0, good.length - 8), /: truncated: shape \(2,3,32,32\) of float32 needs 24576 data bytes, the file has 24568$/],
      ['magic.npy', Buffer.from('just some text, not numpy'), /: not a \.npy file/],
      ['fortran.npy', npyBytes({ descr: '<f4', shape: dims, data: images, fortranOrder: true }), /: is in Fortran order/],
      ['int32.npy', npyBytes({ descr: '<i4', shape: dims, data: new Int32Array(images.length) }), /: holds int32, but input "input" is float32$/],
      ['dims.npy', npyBytes({ descr: '<f4', shape: [2, 3, 16, 16], data: new Float32Array(2 * 3 * 16 * 16) }), /: feeds\["input"\]\.dims \[2,3,16,16\] does not match the model's \[\S+,3,32,32\] at axis 2$/],
      ['name.json', JSON.stringify({ image: { dims: [1], data: [1] } }), /: "image" is not an input of the model \(inputs: input\)$/],
      ['ragged.json', JSON.stringify([[1, 2], [3]]), /: the nested array is not rectangular: the array\[1\] should be an array of 2$/],
      ['text.json', '{ not json', /: not valid JSON/],
      ['image.gif', 'GIF89a', /: unknown input format \(the name must end in \.npy, \.json, \.png, \.jpg or \.jpeg\)$/],
    ];
    const results = await Promise.all(cases.map(([name, bytes]) => sparq(['run', model, '--input', file(name, bytes)])));
    results.forEach(({ code, stdout, stderr }, i) => {
      const [name, , message] = cases[i];
      assert.equal(code, 1, `${name}: ${stderr}`);
      assert.match(stderr, ONE_LINE, name);
      assert.ok(stderr.startsWith(`sparq run: InputFileError: ${path.join(dir, name)}: `) || stderr.startsWith(`sparq run: NpyError: ${path.join(dir, name)}: `), stderr);
      assert.match(stderr.trimEnd(), message);
      assert.equal(stdout, '');
    });
  });

  it('without --input: seeded random inputs of --batch', async () => {
    const [a, b] = await Promise.all([runJson(['--batch', '3']), runJson(['--batch', '3'])]);
    assert.deepEqual(a.outputs[0].dims, [3, 10]);
    assert.deepEqual(a.outputs[0].data, b.outputs[0].data);
  });
});
