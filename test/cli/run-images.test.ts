/**
 * `sparq run --input image.png|.jpg`: a PNG of a Fashion-MNIST-like image on
 * the bundled model gives the top-k of its pixels / 255; Identity models
 * show the tensor the images become (layout read from the input shape or
 * forced, resizing, channels, normalization, a batch); bad image flags are
 * one line and exit 2, bad images one line naming the file and exit 1; and,
 * where Fashion-MNIST is installed, a real test image gets the label the
 * model gives its raw pixels.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { topK } from '../../src/cli/run.js';
import { DatasetNotFoundError, findFashionMnist } from '../../src/compress/data/index.js';
import { readIdx } from '../../src/compress/data/idx.js';
import { InferenceSession } from '../../src/index.js';
import { decodeImage, imageBatch, resizeBilinear, toChannels } from '../../src/io/image.js';
import type { Value } from '../../src/runtime/onnx/model.js';
import { encodeOnnxModel, type OnnxValueInfo } from '../../src/runtime/onnx/write.js';
import { tempDir, type TempDir } from '../compress/data/files.js';
import { ONE_LINE, sparq } from './spawn.js';

const FASHION_MNIST_MODEL = path.resolve('examples/fashion-mnist/models/fp32.onnx');

interface RunJson {
  outputs: { name: string; dims: number[]; data: number[] }[];
  top?: { output: string; classes: { class: number; probability: number }[][] };
  notes: string[];
}

/** An 8-bit PNG of `channels` (1 or 3) values per pixel, written by pngjs as gray or RGB. */
function pngOf(width: number, height: number, channels: 1 | 3, values: ArrayLike<number>): Buffer {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) png.data[p * 4 + c] = values[p * channels + (channels === 1 ? 0 : c)];
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: channels === 1 ? 0 : 2 });
}

/** A 28x28 gray "garment": a bright trapezoid with seeded texture on black, as Fashion-MNIST's images look. */
function garment(seed: number): Uint8Array {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  return Uint8Array.from({ length: 28 * 28 }, (_, i) => {
    const y = Math.floor(i / 28), x = i % 28, half = 6 + (y >> 2);
    return y > 3 && y < 25 && Math.abs(x - 13.5) < half ? 120 + (next() % 120) : 0;
  });
}

/** A model whose output is its input, of `dims`: what sparq run prints is the tensor the images became. */
function identityModel(dims: OnnxValueInfo['dims']): Uint8Array {
  return encodeOnnxModel({
    nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
    inputs: [{ name: 'x', type: 'float', dims }],
    outputs: [{ name: 'y', type: 'float', dims }],
  });
}

describe('cli: sparq run on images', () => {
  let dir: TempDir;
  const file = (name: string, bytes: Uint8Array | string) => dir.write(name, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  const runJson = async (args: string[]) => {
    const { code, stdout, stderr } = await sparq(['run', ...args, '--threads', '1', '--json']);
    assert.equal(code, 0, stderr);
    return { json: JSON.parse(stdout) as RunJson, stderr };
  };
  /** What the library makes of image files for an input of [channels, height, width] in `layout`. */
  const expected = (files: string[], channels: 1 | 3, height: number, width: number, layout: 'nchw' | 'nhwc', scale = 1 / 255, mean?: number[], std?: number[]) =>
    Array.from(imageBatch(files.map((f) => resizeBilinear(toChannels(decodeImage(fs.readFileSync(f), f), channels), height, width)), layout, { scale, mean, std }));

  before(() => {
    dir = tempDir('run-images');
  });
  after(() => dir.remove());

  it('a Fashion-MNIST-like PNG on the bundled model, --top 3: the top 3 of its pixels / 255', async () => {
    const pixels = garment(7);
    const png = file('garment.png', pngOf(28, 28, 1, pixels));
    const session = await InferenceSession.create(FASHION_MNIST_MODEL, { threads: 1 });
    const raw: Value = { type: 'float32', dims: [1, 1, 28, 28], data: Float32Array.from(pixels, (v) => v / 255) };
    const logits = (await session.run({ input: raw }))[session.outputNames[0]];
    await session.release();
    const want = topK(logits, 3);
    const { json, stderr } = await runJson([FASHION_MNIST_MODEL, '--input', png, '--top', '3']);
    assert.deepEqual(json.top!.classes, want);
    assert.deepEqual(json.notes, []);
    assert.equal(stderr, '');
    const text = await sparq(['run', FASHION_MNIST_MODEL, '--input', png, '--top', '3']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^ {2}\\[0\\] ${want[0][0].class} \\(\\d+\\.\\d%\\), ${want[0][1].class} \\(\\d+\\.\\d%\\), ${want[0][2].class} \\(`, 'm'));
  });

  it('NHWC read from the input shape: an RGB PNG resized, with a note; --scale, --mean and --std per channel', async () => {
    const model = file('nhwc.onnx', identityModel(['n', 4, 6, 3]));
    const rgb = Uint8Array.from({ length: 8 * 12 * 3 }, (_, i) => (i * 37) % 256);
    const png = file('rgb.png', pngOf(12, 8, 3, rgb));
    const plain = await runJson([model, '--input', png]);
    assert.deepEqual(plain.json.outputs[0].dims, [1, 4, 6, 3]);
    assert.deepEqual(plain.json.outputs[0].data, expected([png], 3, 4, 6, 'nhwc'));
    assert.deepEqual(plain.json.notes, [`${png}: 8x12 RGB, resized to 4x6 (bilinear)`]);
    assert.match(plain.stderr, new RegExp(`^sparq run: note: ${png}: 8x12 RGB, resized to 4x6 \\(bilinear\\)$`, 'm'));
    const normalized = await runJson([model, '--input', png, '--scale', '0.5', '--mean', '1,2,3', '--std', '2,4,8']);
    assert.deepEqual(normalized.json.outputs[0].data, expected([png], 3, 4, 6, 'nhwc', 0.5, [1, 2, 3], [2, 4, 8]));
  });

  it('NCHW: a batch of a gray PNG and an RGB JPEG (to gray by luma) at --size, for a model that fixes no height and width', async () => {
    const model = file('nchw.onnx', identityModel(['n', 1, 'h', 'w']));
    const png = file('gray.png', pngOf(5, 3, 1, [0, 50, 100, 150, 200, 250, 0, 0, 0, 0, 9, 9, 9, 9, 9]));
    const rgba = Array.from({ length: 16 * 16 }, (_, i) => [i % 256, 255 - (i % 256), 100, 255]).flat();
    const jpg = file('photo.jpg', jpeg.encode({ width: 16, height: 16, data: Buffer.from(rgba) }, 95).data);
    const { json } = await runJson([model, '--input', png, '--input', jpg, '--size', '3x5']);
    assert.deepEqual(json.outputs[0].dims, [2, 1, 3, 5]);
    assert.deepEqual(json.outputs[0].data, expected([png, jpg], 1, 3, 5, 'nchw'));
    assert.deepEqual(json.notes, [`${jpg}: 16x16 RGB, converted to gray (BT.601 luma) and resized to 3x5 (bilinear)`]);
    const missing = await sparq(['run', model, '--input', png]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, ONE_LINE);
    assert.match(missing.stderr, /^sparq run: input "x" \[n,1,h,w\] fixes no image height and width: give them with --size HxW$/m);
  });

  it('--layout forces the layout where the shape would be read otherwise; gray to RGB repeated', async () => {
    const model = file('cube.onnx', identityModel([1, 3, 2, 3]));
    const png = file('two.png', pngOf(2, 3, 1, [10, 20, 30, 40, 50, 60]));
    const nchw = await runJson([model, '--input', png, '--scale', '1', '--size', '2x3']);
    assert.deepEqual(nchw.json.outputs[0].data, expected([png], 3, 2, 3, 'nchw', 1));
    const nhwc = await runJson([model, '--input', png, '--scale', '1', '--layout', 'nhwc']);
    assert.deepEqual(nhwc.json.outputs[0].data, expected([png], 3, 3, 2, 'nhwc', 1));
    assert.deepEqual(nhwc.json.outputs[0].data, [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40, 50, 50, 50, 60, 60, 60]);
  });

  it('bad image flags: one stderr line naming the flag, exit 2', async () => {
    const png = file('flags.png', pngOf(2, 2, 1, [0, 1, 2, 3]));
    const npy = file('x.npy', 'not read');
    const cases: [string[], RegExp][] = [
      [['--input', png, '--mean', '0.5,0.5'], /^sparq run: --mean must be 1 or 3 comma-separated numbers \(r,g,b\), got 0\.5,0\.5$/],
      [['--input', png, '--std', '1,0,1'], /^sparq run: --std must be 1 or 3 comma-separated non-zero numbers \(r,g,b\), got 1,0,1$/],
      [['--input', png, '--mean', 'a'], /^sparq run: --mean must be 1 or 3/],
      [['--input', png, '--scale', '0'], /^sparq run: --scale must be a positive number, got 0$/],
      [['--input', png, '--layout', 'hwc'], /^sparq run: --layout must be nchw or nhwc, got hwc$/],
      [['--input', png, '--size', '0x3'], /^sparq run: --size must be HxW \(or N for NxN\), each 1 to 65536, got 0x3$/],
      [['--input', png, '--size', 'big'], /^sparq run: --size must be HxW/],
      [['--input', npy, '--mean', '0.5'], /^sparq run: --mean applies to image inputs/],
      [['--input', png, '--input', npy], /^sparq run: --input: images and other files do not mix/],
      [['--input', npy, '--input', npy], /^sparq run: --input: several files feed a model only as images/],
      [['--input', png, '--mean', '1,2,3'], /^sparq run: --mean has 3 values; input "input" \[batch,1,28,28\] takes 1-channel images: give 1$/],
      [['--input', png, '--size', '32x32'], /^sparq run: --size 32x32 differs from input "input" \[batch,1,28,28\]'s fixed 28x28$/],
    ];
    const results = await Promise.all(cases.map(([args]) => sparq(['run', FASHION_MNIST_MODEL, ...args])));
    results.forEach(({ code, stdout, stderr }, i) => {
      assert.equal(code, 2, `${cases[i][0].join(' ')}: ${stderr}`);
      assert.match(stderr, ONE_LINE);
      assert.match(stderr.trimEnd(), cases[i][1]);
      assert.equal(stdout, '');
    });
  });

  it('a damaged image, or a model images cannot feed: one stderr line naming the file or input, exit 1', async () => {
    const good = pngOf(4, 4, 1, new Array(16).fill(3));
    const cases: [string, string, RegExp][] = [
      [FASHION_MNIST_MODEL, file('text.png', 'just text'), /^sparq run: ImageError: \S+text\.png: not a PNG or JPEG image/],
      [FASHION_MNIST_MODEL, file('cut.png', good.subarray(0, 40)), /^sparq run: ImageError: \S+cut\.png: damaged or unsupported PNG/],
      [FASHION_MNIST_MODEL, file('cut.jpg', jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256, 90) }, 90).data.subarray(0, 30)), /^sparq run: ImageError: \S+cut\.jpg: damaged or unsupported JPEG/],
      [file('flat.onnx', identityModel(['n', 784])), file('ok.png', good), /^sparq run: InputFileError: images feed 4-d inputs \(NCHW or NHWC\); input "x" \[n,784\] is not$/],
      [file('four.onnx', identityModel([1, 4, 8, 8])), file('ok4.png', good), /^sparq run: InputFileError: images have 1 \(gray\) or 3 \(RGB\) channels; input "x" \[1,4,8,8\] read as NCHW has 4 \(--layout nchw\|nhwc chooses\)$/],
    ];
    const results = await Promise.all(cases.map(([model, input]) => sparq(['run', model, '--input', input])));
    results.forEach(({ code, stdout, stderr }, i) => {
      assert.equal(code, 1, stderr);
      assert.match(stderr, ONE_LINE);
      assert.match(stderr.trimEnd(), cases[i][2]);
      assert.equal(stdout, '');
    });
  });

  it('Fashion-MNIST test image 0 as a PNG: the label the model gives its raw pixels (where the data is installed)', async function () {
    let files;
    try {
      files = findFashionMnist();
    } catch (e) {
      // Skipped where the data is not installed, except where CI requires it (it installs dataset-fashion-mnist).
      if (!(e instanceof DatasetNotFoundError) || process.env.SPARQ_REQUIRE_FASHION_MNIST === '1') throw e;
      this.skip();
    }
    const pixels = readIdx(files.testImages).data.subarray(0, 28 * 28);
    const png = file('test-0.png', pngOf(28, 28, 1, pixels));
    const session = await InferenceSession.create(FASHION_MNIST_MODEL, { threads: 1 });
    const logits = (await session.run({ input: { type: 'float32', dims: [1, 1, 28, 28], data: Float32Array.from(pixels, (v) => v / 255) } }))[session.outputNames[0]];
    await session.release();
    const label = topK(logits, 1)[0][0].class;
    const { code, stdout, stderr } = await sparq(['run', FASHION_MNIST_MODEL, '--input', png, '--top', '1']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`^ {2}\\[0\\] ${label} \\(\\d+\\.\\d%\\)$`, 'm'));
  });
});
