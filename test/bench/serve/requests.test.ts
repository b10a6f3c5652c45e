/** The load requests' bodies: each protocol's layout, as the server parses it. */
import assert from 'node:assert/strict';

import { imageRequest, nestedImage } from '../../../bench/serve/requests.js';

const IMAGE = [3, 2, 4] as const;
const pixels = Float32Array.from({ length: 24 }, (_, i) => i / 8 - 1);

describe('bench/serve: imageRequest()', () => {
  it('v2-binary: a JSON header of the length its header names, then the pixels as little-endian float32', () => {
    const r = imageRequest('v2-binary', 'cifar-fp32', 'input', pixels, IMAGE);
    assert.equal(r.path, '/v2/models/cifar-fp32/infer');
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    const headerBytes = Number(r.headers['inference-header-content-length']);
    assert.deepEqual(JSON.parse(r.body.subarray(0, headerBytes).toString()), {
      inputs: [{ name: 'input', shape: [1, 3, 2, 4], datatype: 'FP32', parameters: { binary_data_size: 96 } }],
    });
    const raw = r.body.subarray(headerBytes);
    assert.equal(raw.length, 96);
    assert.deepEqual(Array.from({ length: 24 }, (_, i) => raw.readFloatLE(4 * i)), Array.from(pixels));
  });

  it('v2-json: the pixels as a flat data list', () => {
    const r = imageRequest('v2-json', 'm', 'x', pixels, IMAGE);
    assert.equal(r.path, '/v2/models/m/infer');
    assert.deepEqual(JSON.parse(r.body.toString()), { inputs: [{ name: 'x', shape: [1, 3, 2, 4], datatype: 'FP32', data: Array.from(pixels) }] });
  });

  it('tf-serving: one instance, the image nested [c][h][w] without the batch axis', () => {
    const r = imageRequest('tf-serving', 'a b', 'x', pixels, IMAGE);
    assert.equal(r.path, '/v1/models/a%20b:predict');
    const { instances } = JSON.parse(r.body.toString());
    assert.deepEqual(instances, [nestedImage(pixels, IMAGE)]);
    assert.equal(instances[0][2][1][3], pixels[(2 * 2 + 1) * 4 + 3]);
  });

  it('names the bad argument', () => {
    assert.throws(() => imageRequest('grpc' as 'v2-json', 'm', 'x', pixels, IMAGE), /RangeError: protocol must be one of/);
    assert.throws(() => imageRequest('v2-json', '', 'x', pixels, IMAGE), /TypeError: model must be/);
    assert.throws(() => imageRequest('v2-json', 'm', 'x', [1, 2] as unknown as Float32Array, IMAGE), /TypeError: pixels must be a Float32Array/);
    assert.throws(() => nestedImage(pixels.subarray(1), IMAGE), /RangeError: pixels must hold 3x2x4 = 24 values, got 23/);
  });
});
