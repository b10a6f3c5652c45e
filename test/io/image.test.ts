import assert from 'node:assert/strict';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { decodeImage, decodeJpeg, decodePng, ImageError, imageBatch, LUMA, resizeBilinear, toChannels, type Image } from '../../src/io/image.js';
import { rawPng } from '../fixtures/png.js';

/**
 * A PNG pngjs writes from RGBA samples (8- or 16-bit) as `colorType` (0 gray,
 * 2 RGB, 4 gray + alpha, 6 RGBA; pngjs blends the alpha of the samples onto
 * white for the types without alpha, so those get opaque samples).
 */
function png(width: number, height: number, rgba: number[], colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16 = 8): Buffer {
  const samples = bitDepth === 16 ? Uint16Array.from(rgba) : Uint8Array.from(rgba);
  return PNG.sync.write({ width, height, data: Buffer.from(samples.buffer) } as PNG, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
}

/** RGBA samples of gray levels, alpha varying (to show it is dropped) when `alpha`. */
const grayRgba = (levels: number[], alpha: boolean, max = 255) => levels.flatMap((v, i) => [v, v, v, alpha && i % 2 ? 0 : max]);

const image = (width: number, height: number, channels: 1 | 3, values: number[]): Image => ({ width, height, channels, data: Float32Array.from(values) });

describe('io/image: decoding', () => {
  it('8-bit gray and gray + alpha PNGs: one channel, alpha dropped', () => {
    const levels = [0, 1, 127, 128, 254, 255];
    for (const colorType of [0, 4] as const) {
      const got = decodePng(png(3, 2, grayRgba(levels, colorType === 4), colorType), 'g.png');
      assert.deepEqual({ ...got, data: Array.from(got.data) }, { width: 3, height: 2, channels: 1, data: levels });
    }
  });

  it('16-bit gray PNG: samples scaled to [0, 255] without rounding', () => {
    const levels = [0, 257, 1000, 65535];
    const got = decodePng(png(2, 2, grayRgba(levels, false, 65535), 0, 16), 'g16.png');
    assert.equal(got.channels, 1);
    assert.deepEqual(Array.from(got.data), levels.map((v) => Math.fround((v * 255) / 65535)));
  });

  it('RGB and RGBA PNGs, 8- and 16-bit: three channels, alpha dropped', () => {
    const rgb = [[255, 0, 0], [0, 128, 0], [1, 2, 3], [200, 100, 50]];
    for (const colorType of [2, 6] as const) {
      const rgba = rgb.flatMap((p, i) => [...p, colorType === 6 ? i * 60 : 255]);
      const got = decodePng(png(2, 2, rgba, colorType), 'c.png');
      assert.deepEqual({ ...got, data: Array.from(got.data) }, { width: 2, height: 2, channels: 3, data: rgb.flat() });
      const wide = decodePng(png(2, 2, rgba.map((v) => v * 257), colorType, 16), 'c16.png');
      assert.deepEqual(Array.from(wide.data), rgb.flat());
    }
  });

  it('palette PNGs: the palette colours, three channels; gray below 8 bits: scaled to [0, 255]', () => {
    const palette = [[10, 20, 30], [255, 255, 255], [0, 0, 0], [90, 60, 30]] as const;
    const indices = [3, 0, 1, 2, 2, 1];
    for (const depth of [2, 4, 8] as const) {
      const got = decodePng(rawPng({ width: 3, height: 2, colorType: 3, depth, samples: indices, palette }), 'p.png');
      assert.equal(got.channels, 3);
      assert.deepEqual(Array.from(got.data), indices.flatMap((i) => [...palette[i]]));
    }
    const got = decodePng(rawPng({ width: 5, height: 1, colorType: 0, depth: 2, samples: [0, 1, 2, 3, 1] }), 'g2.png');
    assert.deepEqual(Array.from(got.data), [0, 85, 170, 255, 85]);
    const bits = decodePng(rawPng({ width: 9, height: 1, colorType: 0, depth: 1, samples: [1, 0, 1, 1, 0, 0, 0, 1, 1] }), 'g1.png');
    assert.deepEqual(Array.from(bits.data), [255, 0, 255, 255, 0, 0, 0, 255, 255]);
  });

  it('JPEG (jpeg-js): RGB, within JPEG loss of the original', () => {
    const w = 16, h = 8;
    const rgba = Array.from({ length: w * h }, () => [200, 120, 40, 255]).flat();
    const bytes = jpeg.encode({ width: w, height: h, data: Buffer.from(rgba) }, 100).data;
    const got = decodeJpeg(bytes, 'x.jpg');
    assert.deepEqual([got.width, got.height, got.channels], [w, h, 3]);
    got.data.forEach((v, i) => assert.ok(Math.abs(v - [200, 120, 40][i % 3]) <= 2, `${i}: ${v}`));
    assert.deepEqual(decodeImage(bytes, 'x.jpg'), got);
  });

  it('decodeImage tells PNG from JPEG by their bytes, not the name', () => {
    const bytes = png(1, 1, [7, 7, 7, 255], 0);
    assert.deepEqual(decodeImage(bytes, 'misnamed.jpg'), decodePng(bytes, 'x'));
  });

  it('damaged or unknown files: an ImageError naming the file', () => {
    const good = png(4, 4, grayRgba(new Array(16).fill(9), false), 0);
    const jpg = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256, 128) }, 90).data;
    const cases: [Uint8Array, RegExp][] = [
      [Buffer.from('GIF89a....'), /^a\.img: not a PNG or JPEG image/],
      [good.subarray(0, 30), /^a\.img: damaged or unsupported PNG \(.+\)$/],
      [Buffer.concat([good.subarray(0, 40), Buffer.alloc(20, 0xaa), good.subarray(60)]), /^a\.img: damaged or unsupported PNG/],
      [jpg.subarray(0, 20), /^a\.img: damaged or unsupported JPEG \(.+\)$/],
      [new Uint8Array(0), /^a\.img: not a PNG or JPEG image/],
    ];
    for (const [bytes, message] of cases) assert.throws(() => decodeImage(bytes, 'a.img'), (e) => e instanceof ImageError && message.test(e.message) && !e.message.includes('\n'));
    assert.throws(() => decodePng(jpg, 'j.png'), /j\.png: not a PNG file/);
    assert.throws(() => decodeJpeg(good, 'p.jpg'), /p\.jpg: not a JPEG file/);
  });

  it('names a bad argument', () => {
    assert.throws(() => decodeImage('x' as never, 'f'), { name: 'TypeError', message: /bytes/ });
    assert.throws(() => decodePng(new Uint8Array(1), 3 as never), { name: 'TypeError', message: /file/ });
  });
});

describe('io/image: resizing, channels and the batch', () => {
  it('a constant image stays exactly constant at any size, up or down', () => {
    for (const [h, w] of [[1, 1], [2, 3], [28, 28], [7, 13], [64, 5]])
      for (const value of [0, 1, 77, 255, 123.456]) {
        const got = resizeBilinear(image(5, 9, 3, new Array(45 * 3).fill(value)), h, w);
        assert.deepEqual([got.height, got.width, got.channels], [h, w, 3]);
        assert.ok(got.data.every((v) => v === Math.fround(value)), `${value} to ${h}x${w}`);
      }
  });

  it('2x2 to 1x1 is the mean; 2 to 4 wide interpolates at half-pixel centres, edges clamped', () => {
    assert.deepEqual(Array.from(resizeBilinear(image(2, 2, 1, [1, 2, 3, 4]), 1, 1).data), [2.5]);
    assert.deepEqual(Array.from(resizeBilinear(image(2, 2, 3, [1, 10, 100, 2, 20, 200, 3, 30, 300, 4, 40, 400]), 1, 1).data), [2.5, 25, 250]);
    assert.deepEqual(Array.from(resizeBilinear(image(2, 1, 1, [0, 10]), 1, 4).data), [0, 2.5, 7.5, 10]);
    assert.deepEqual(Array.from(resizeBilinear(image(1, 2, 1, [0, 10]), 4, 1).data), [0, 2.5, 7.5, 10]);
  });

  it('shrinking averages every source pixel (a widened triangle filter), not only the nearest four', () => {
    // 4 to 2: output 0 is centred at 1.0, its taps at 0.5, 1.5 and 2.5 weigh 0.75, 0.75 and 0.25.
    const got = resizeBilinear(image(4, 1, 1, [0, 10, 20, 30]), 1, 2);
    assert.deepEqual(Array.from(got.data), [Math.fround(12.5 / 1.75), Math.fround(30 - 12.5 / 1.75)]);
    // A one-pixel line in 8 columns still shows shrunk to 2: nearest-four sampling would miss it.
    const line = resizeBilinear(image(8, 1, 1, [0, 0, 0, 0, 0, 0, 0, 80]), 1, 2);
    assert.ok(line.data[1] > 0 && line.data[0] === 0);
  });

  it('the same size is the image itself', () => {
    const x = image(2, 2, 1, [1, 2, 3, 4]);
    assert.equal(resizeBilinear(x, 2, 2), x);
  });

  it('RGB to gray by BT.601 luma; gray to RGB repeated', () => {
    const rgb = image(3, 1, 3, [255, 0, 0, 0, 255, 0, 10, 20, 30]);
    const gray = toChannels(rgb, 1);
    assert.equal(gray.channels, 1);
    assert.deepEqual(Array.from(gray.data), [255 * LUMA[0], 255 * LUMA[1], 10 * LUMA[0] + 20 * LUMA[1] + 30 * LUMA[2]].map(Math.fround));
    assert.deepEqual(LUMA, [0.299, 0.587, 0.114]);
    assert.deepEqual(Array.from(toChannels(image(2, 1, 1, [5, 9]), 3).data), [5, 5, 5, 9, 9, 9]);
    assert.equal(toChannels(rgb, 3), rgb);
  });

  it('a batch: NCHW or NHWC, (pixel * scale - mean) / std per channel', () => {
    const a = image(2, 1, 3, [0, 10, 20, 30, 40, 50]), b = image(2, 1, 3, [60, 70, 80, 90, 100, 110]);
    const plain = { scale: 1 };
    assert.deepEqual(Array.from(imageBatch([a, b], 'nhwc', plain)), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
    assert.deepEqual(Array.from(imageBatch([a, b], 'nchw', plain)), [0, 30, 10, 40, 20, 50, 60, 90, 70, 100, 80, 110]);
    const normalized = imageBatch([a], 'nhwc', { scale: 0.1, mean: [1, 2, 3], std: [2, 4, 0.5] });
    assert.deepEqual(Array.from(normalized), [-0.5, -0.25, -2, 1, 0.5, 4].map(Math.fround));
    assert.deepEqual(Array.from(imageBatch([a], 'nchw', { scale: 1, mean: [10], std: [10] })), [-1, 2, 0, 3, 1, 4]);
  });

  it('scale 1/255 gives pixels / 255 in float32, every 8-bit value', () => {
    const levels = Array.from({ length: 256 }, (_, i) => i);
    const got = imageBatch([image(256, 1, 1, levels)], 'nchw', { scale: 1 / 255 });
    assert.deepEqual(Array.from(got), levels.map((v) => Math.fround(v / 255)));
  });

  it('names a bad argument', () => {
    const x = image(2, 2, 1, [1, 2, 3, 4]);
    assert.throws(() => resizeBilinear(x, 0, 2), { name: 'RangeError', message: /height/ });
    assert.throws(() => resizeBilinear(x, 2, 1.5), { name: 'RangeError', message: /width/ });
    assert.throws(() => resizeBilinear({ ...x, data: new Float32Array(3) }, 1, 1), { name: 'RangeError', message: /image\.data holds 3 values/ });
    assert.throws(() => resizeBilinear({ ...x, channels: 2 } as never, 1, 1), { name: 'RangeError', message: /image\.channels must be 1 or 3/ });
    assert.throws(() => toChannels(x, 4 as never), { name: 'RangeError', message: /channels/ });
    assert.throws(() => imageBatch([], 'nchw', { scale: 1 }), { name: 'TypeError', message: /images/ });
    assert.throws(() => imageBatch([x, image(1, 1, 1, [0])], 'nchw', { scale: 1 }), { name: 'RangeError', message: /images\[1\] is 1 x 1 x 1/ });
    assert.throws(() => imageBatch([x], 'nchw' as never, { scale: 0 }), { name: 'RangeError', message: /normalization\.scale/ });
    assert.throws(() => imageBatch([x], 'chw' as never, { scale: 1 }), /layout/);
    assert.throws(() => imageBatch([x], 'nchw', { scale: 1, std: [0] }), { name: 'RangeError', message: /normalization\.std\[0\] must be a finite non-zero number/ });
    assert.throws(() => imageBatch([x], 'nchw', { scale: 1, mean: [1, 2, 3] }), { name: 'RangeError', message: /normalization\.mean must hold 1 number \(the images have 1 channel\)/ });
  });
});
