/** The KServe v2 REST bodies: metadata, infer requests in JSON and with the binary tensor data extension, responses, and every bad request as a 400. */
import assert from 'node:assert/strict';

import type { Value } from '../../src/runtime/onnx/model.js';
import { value } from '../../src/runtime/value.js';
import type { ModelSpec } from '../../src/serve/model-spec.js';
import { valueToBytes } from '../../src/serve/protocol/json-tensor.js';
import { encodeV2Infer, parseV2Infer, v2ModelMetadata } from '../../src/serve/protocol/v2.js';
import { IMAGE, MIXED, assertBadRequest } from './protocol-specs.js';

const image = value('float32', [1, 2, 2], Float32Array.of(1, 2, 3, 4.5));
const ids = value('int64', [2, 3], BigInt64Array.of(1n, 2n, 3n, -4n, 5n, 2n ** 40n));
const mask = value('bool', [2, 3], Uint8Array.of(1, 0, 1, 1, 1, 0));
const pixels = value('uint8', [2, 2], Uint8Array.of(0, 255, 17, 3));
const scores = value('float32', [2, 2], Float32Array.of(0.25, -1, 3, 8));
const labels = value('int32', [2], Int32Array.of(7, -2));

/** A JSON request body. */
const json = (request: unknown): Buffer => Buffer.from(JSON.stringify(request));

/** A binary-extension body: the JSON, then `binaries` in order; with the header length to pass. */
function withBinary(request: unknown, ...binaries: Value[]): [Buffer, number] {
  const header = json(request);
  return [Buffer.concat([header, ...binaries.map(valueToBytes)]), header.byteLength];
}

const imageInput = (overrides: object = {}): object => ({ name: 'x', shape: [1, 2, 2], datatype: 'FP32', data: [1, 2, 3, 4.5], ...overrides });
/** parseV2Infer on IMAGE with `input` as its one input. */
const parseImage = (input: object, rest: object = {}) => parseV2Infer(IMAGE, json({ inputs: [input], ...rest }), undefined);

describe('serve protocol: KServe v2', () => {
  describe('v2ModelMetadata', () => {
    it('lists the inputs and outputs with v2 datatypes and -1 for symbolic and unknown dims', () => {
      assert.deepEqual(v2ModelMetadata(MIXED), {
        name: 'mixed',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [
          { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
          { name: 'mask', datatype: 'BOOL', shape: [-1, 3] },
          { name: 'pixels', datatype: 'UINT8', shape: [-1, 2] },
        ],
        outputs: [
          { name: 'scores', datatype: 'FP32', shape: [-1, 2] },
          { name: 'labels', datatype: 'INT32', shape: [-1] },
        ],
      });
    });
    it('says FP32 and [-1] for a model that declares no type or shape', () => {
      const spec: ModelSpec = { name: 'bare', version: '1', inputs: [{ name: 'a', type: null, dims: null }], outputs: [{ name: 'b', type: 'int8', dims: [4] }] };
      const metadata = v2ModelMetadata(spec) as { inputs: object[]; outputs: object[] };
      assert.deepEqual(metadata.inputs, [{ name: 'a', datatype: 'FP32', shape: [-1] }]);
      assert.deepEqual(metadata.outputs, [{ name: 'b', datatype: 'INT8', shape: [4] }]);
    });
    it('refuses a spec that is not an object', () => {
      assert.throws(() => v2ModelMetadata(null as unknown as ModelSpec), { name: 'TypeError', message: 'spec must be an object' });
    });
  });

  describe('parseV2Infer: JSON', () => {
    it('reads the id and the inputs, and asks for every output as JSON by default', () => {
      const request = parseV2Infer(IMAGE, json({ id: 'req-1', inputs: [imageInput({ data: [[[1, 2], [3, 4.5]]] })] }), undefined);
      assert.deepEqual(request, { id: 'req-1', inputs: { x: image }, outputs: [{ name: 'logits', binary: false }] });
    });
    it('reads several inputs of int64, bool and uint8, in any order', () => {
      const request = parseV2Infer(
        MIXED,
        json({
          inputs: [
            { name: 'pixels', shape: [2, 2], datatype: 'UINT8', data: [[0, 255], [17, 3]] },
            { name: 'ids', shape: [2, 3], datatype: 'INT64', data: [1, 2, 3, -4, 5, 2 ** 40] },
            { name: 'mask', shape: [2, 3], datatype: 'BOOL', data: [true, false, true, true, 1, 0] },
          ],
        }),
        undefined,
      );
      assert.equal(request.id, undefined);
      assert.deepEqual(request.inputs, { ids, mask, pixels });
    });
    it('asks for the named outputs, binary per output or by the request default', () => {
      const inputs = [imageInput()];
      const spec = { ...IMAGE, outputs: [...IMAGE.outputs, { name: 'probs', type: 'float32' as const, dims: ['batch', 3] }] };
      const parse = (rest: object) => parseV2Infer(spec, json({ inputs, ...rest }), undefined).outputs;
      assert.deepEqual(parse({ parameters: { binary_data_output: true } }), [
        { name: 'logits', binary: true },
        { name: 'probs', binary: true },
      ]);
      assert.deepEqual(parse({ outputs: [{ name: 'probs' }] }), [{ name: 'probs', binary: false }]);
      assert.deepEqual(parse({ parameters: { binary_data_output: true }, outputs: [{ name: 'probs', parameters: { binary_data: false } }, { name: 'logits' }] }), [
        { name: 'probs', binary: false },
        { name: 'logits', binary: true },
      ]);
    });
    it('takes any size for an input without a declared type or shape', () => {
      const spec: ModelSpec = { name: 'bare', version: '1', inputs: [{ name: 'a', type: null, dims: null }], outputs: [] };
      const request = parseV2Infer(spec, json({ inputs: [{ name: 'a', shape: [3], datatype: 'INT32', data: [1, 2, 3] }] }), undefined);
      assert.deepEqual(request.inputs.a, value('int32', [3], Int32Array.of(1, 2, 3)));
    });
  });

  describe('parseV2Infer: binary tensor data', () => {
    it('reads binary and JSON inputs mixed, the raw bytes in input order', () => {
      const request = {
        inputs: [
          { name: 'ids', shape: [2, 3], datatype: 'INT64', parameters: { binary_data_size: 48 } },
          { name: 'mask', shape: [2, 3], datatype: 'BOOL', data: [1, 0, 1, 1, 1, 0] },
          { name: 'pixels', shape: [2, 2], datatype: 'UINT8', parameters: { binary_data_size: 4 } },
        ],
        outputs: [{ name: 'labels', parameters: { binary_data: true } }, { name: 'scores' }],
      };
      const [body, headerLength] = withBinary(request, ids, pixels);
      assert.deepEqual(parseV2Infer(MIXED, body, headerLength), {
        inputs: { ids, mask, pixels },
        outputs: [
          { name: 'labels', binary: true },
          { name: 'scores', binary: false },
        ],
      });
    });
    it('reads a body that is all JSON when the header length covers it', () => {
      const body = json({ inputs: [imageInput()] });
      assert.deepEqual(parseV2Infer(IMAGE, body, body.byteLength).inputs, { x: image });
    });
    it('refuses binary sizes that do not add up', () => {
      const binaryImage = (size: unknown) => ({ inputs: [imageInput({ data: undefined, parameters: { binary_data_size: size } })] });
      assertBadRequest(() => parseV2Infer(IMAGE, ...withBinary(binaryImage(12), image)), /^input "x": 12 bytes of binary data, but shape \[1,2,2\] of float32 needs 16$/);
      assertBadRequest(
        () => parseV2Infer(IMAGE, ...withBinary(binaryImage(20), image)),
        /^input "x": binary_data_size 20 runs past the 16 bytes of binary data after the JSON \(0 already taken\)$/,
      );
      assertBadRequest(() => parseV2Infer(IMAGE, ...withBinary(binaryImage(16), image, image)), /^the body holds 32 bytes of binary data after the JSON, but the inputs' binary_data_size add up to 16$/);
      assertBadRequest(() => parseV2Infer(IMAGE, ...withBinary({ inputs: [imageInput()] }, image)), /16 bytes of binary data after the JSON, but the inputs' binary_data_size add up to 0/);
      assertBadRequest(() => parseV2Infer(IMAGE, ...withBinary(binaryImage(-16), image)), /^input "x": binary_data_size must be a non-negative integer, got -16$/);
      assertBadRequest(() => parseV2Infer(IMAGE, ...withBinary(binaryImage('16'), image)), /binary_data_size must be a non-negative integer, got "16"/);
      assertBadRequest(() => parseV2Infer(IMAGE, json(binaryImage(16)), undefined), /^input "x" has a binary_data_size but the request has no Inference-Header-Content-Length$/);
    });
    it('refuses a header length outside the body', () => {
      const body = json({ inputs: [imageInput()] });
      assertBadRequest(() => parseV2Infer(IMAGE, body, body.byteLength + 1), /^Inference-Header-Content-Length must be an integer in \[0, \d+\] \(the body's size\), got \d+$/);
      assertBadRequest(() => parseV2Infer(IMAGE, body, -1), /got -1$/);
      assertBadRequest(() => parseV2Infer(IMAGE, body, Number.NaN), /got NaN$/);
    });
  });

  describe('parseV2Infer: bad requests', () => {
    it('refuses malformed JSON and bodies of the wrong shape', () => {
      assertBadRequest(() => parseV2Infer(IMAGE, Buffer.from('{"inputs": ['), undefined), /^malformed JSON: /);
      const body = json({ inputs: [imageInput()] });
      assertBadRequest(() => parseV2Infer(IMAGE, body, body.byteLength - 1), /^malformed JSON: /);
      assertBadRequest(() => parseV2Infer(IMAGE, json([1]), undefined), /^the request must be a JSON object, got a list$/);
      assertBadRequest(() => parseV2Infer(IMAGE, json({}), undefined), /^inputs must be a list, got undefined$/);
      assertBadRequest(() => parseV2Infer(IMAGE, json({ inputs: [5] }), undefined), /^inputs\[0\] must be a JSON object, got number$/);
      assertBadRequest(() => parseImage(imageInput({ name: undefined })), /^inputs\[0\]\.name is required$/);
      assertBadRequest(() => parseImage(imageInput(), { id: 5 }), /^id must be a string, got number$/);
      assertBadRequest(() => parseImage(imageInput(), { parameters: [] }), /^parameters must be a JSON object, got a list$/);
    });
    it('refuses unknown, repeated and missing inputs', () => {
      assertBadRequest(() => parseImage(imageInput({ name: 'y' })), /^unknown input "y": model "cnn" takes "x"$/);
      assertBadRequest(() => parseV2Infer(IMAGE, json({ inputs: [imageInput(), imageInput()] }), undefined), /^input "x" is given twice$/);
      const onlyIds = { inputs: [{ name: 'ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] }] };
      assertBadRequest(() => parseV2Infer(MIXED, json(onlyIds), undefined), /^inputs is missing input "mask"$/);
    });
    it('refuses datatypes unlike the model, unsupported or unknown', () => {
      assertBadRequest(() => parseImage(imageInput({ datatype: 'INT32' })), /^input "x": datatype INT32 does not match the model's FP32$/);
      assertBadRequest(() => parseImage(imageInput({ datatype: 'FP16' })), /^input "x": datatype FP16 is not supported; sparq serves FP32, UINT8, INT8, INT32, INT64, BOOL$/);
      assertBadRequest(() => parseImage(imageInput({ datatype: 'BYTES' })), /datatype BYTES is not supported/);
      assertBadRequest(() => parseImage(imageInput({ datatype: 'float32' })), /^input "x": datatype "float32" is not a v2 datatype; sparq serves FP32/);
      assertBadRequest(() => parseImage(imageInput({ datatype: undefined })), /^input "x": datatype is required$/);
    });
    it('refuses shapes unlike the model and data unlike the shape', () => {
      assertBadRequest(() => parseImage(imageInput({ shape: [1, 4] })), /^inputs\["x"\]\.dims must have rank 3, got \[1,4\]$/);
      assertBadRequest(
        () => parseImage(imageInput({ shape: [1, 1, 4] })),
        /^inputs\["x"\]\.dims \[1,1,4\] does not match the model's \[batch,2,2\] at axis 1$/,
      );
      assertBadRequest(() => parseImage(imageInput({ shape: [2, 2, 2] })), /^input "x": data holds 4 values but shape \[2,2,2\] needs 8$/);
      assertBadRequest(() => parseImage(imageInput({ shape: [1, -2, 2] })), /^input "x": shape must be a list of non-negative integers/);
      assertBadRequest(() => parseImage(imageInput({ data: [1, 2, 3, 'x'] })), /^input "x": element 3 \("x"\) is not a number \(float32\)$/);
      assertBadRequest(() => parseImage(imageInput({ data: undefined })), /^input "x" has neither data nor parameters\.binary_data_size$/);
      assertBadRequest(() => parseImage(imageInput({ parameters: { binary_data_size: 16 } })), /^input "x" has both data and parameters\.binary_data_size$/);
    });
    it('refuses unknown and repeated outputs and unsupported output parameters', () => {
      assertBadRequest(() => parseImage(imageInput(), { outputs: [{ name: 'probs' }] }), /^unknown output "probs": model "cnn" has "logits"$/);
      assertBadRequest(() => parseImage(imageInput(), { outputs: [{ name: 'logits' }, { name: 'logits' }] }), /^output "logits" is asked for twice$/);
      assertBadRequest(() => parseImage(imageInput(), { outputs: {} }), /^outputs must be a list, got an object$/);
      assertBadRequest(() => parseImage(imageInput(), { outputs: [{ name: 'logits', parameters: { binary_data: 'yes' } }] }), /^output "logits": parameters\.binary_data must be a boolean, got string$/);
      assertBadRequest(() => parseImage(imageInput(), { parameters: { binary_data_output: 1 } }), /^parameters\.binary_data_output must be a boolean, got number$/);
      assertBadRequest(() => parseImage(imageInput(), { outputs: [{ name: 'logits', parameters: { classification: 2 } }] }), /the classification extension is not supported/);
    });
    it('refuses a body that is not a Buffer as a TypeError (a server bug, not a bad request)', () => {
      assert.throws(() => parseV2Infer(IMAGE, '{}' as unknown as Buffer, undefined), { name: 'TypeError', message: 'body must be a Buffer' });
    });
  });

  describe('encodeV2Infer', () => {
    const outputs = { scores, labels };
    it('answers JSON with flat data, the model name and version, and the id when there is one', () => {
      const requested = [
        { name: 'labels', binary: false },
        { name: 'scores', binary: false },
      ];
      assert.deepEqual(encodeV2Infer(MIXED, 'abc', outputs, requested), {
        body: {
          model_name: 'mixed',
          model_version: '1',
          id: 'abc',
          outputs: [
            { name: 'labels', datatype: 'INT32', shape: [2], data: [7, -2] },
            { name: 'scores', datatype: 'FP32', shape: [2, 2], data: [0.25, -1, 3, 8] },
          ],
        },
        headers: {},
      });
      const { body } = encodeV2Infer(MIXED, undefined, outputs, [{ name: 'labels', binary: false }]);
      assert.equal('id' in body, false);
    });
    it('answers int64 as numbers and bool as true/false', () => {
      const spec: ModelSpec = { name: 'm', version: '2', inputs: [], outputs: [{ name: 'ids', type: 'int64', dims: [2, 3] }, { name: 'mask', type: 'bool', dims: [2, 3] }] };
      const { body } = encodeV2Infer(spec, undefined, { ids, mask }, [
        { name: 'ids', binary: false },
        { name: 'mask', binary: false },
      ]);
      assert.deepEqual((body as { outputs: object[] }).outputs, [
        { name: 'ids', datatype: 'INT64', shape: [2, 3], data: [1, 2, 3, -4, 5, 2 ** 40] },
        { name: 'mask', datatype: 'BOOL', shape: [2, 3], data: [true, false, true, true, true, false] },
      ]);
    });
    it('appends binary outputs after the JSON header, which says their sizes and has no data for them', () => {
      const { body, headers } = encodeV2Infer(MIXED, 'b', outputs, [
        { name: 'scores', binary: true },
        { name: 'labels', binary: false },
      ]);
      assert.ok(Buffer.isBuffer(body));
      assert.equal(headers['content-type'], 'application/octet-stream');
      const headerLength = Number(headers['Inference-Header-Content-Length']);
      assert.deepEqual(JSON.parse(body.subarray(0, headerLength).toString()), {
        model_name: 'mixed',
        model_version: '1',
        id: 'b',
        outputs: [
          { name: 'scores', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } },
          { name: 'labels', datatype: 'INT32', shape: [2], data: [7, -2] },
        ],
      });
      assert.deepEqual(body.subarray(headerLength), valueToBytes(scores));
    });
    it('round-trips: a binary response read back as a request of the same tensors', () => {
      const spec: ModelSpec = { ...MIXED, inputs: MIXED.outputs };
      const { body, headers } = encodeV2Infer(MIXED, undefined, outputs, [
        { name: 'scores', binary: true },
        { name: 'labels', binary: true },
      ]);
      const headerLength = Number(headers['Inference-Header-Content-Length']);
      const response = JSON.parse((body as Buffer).subarray(0, headerLength).toString()) as { outputs: object[] };
      const request = Buffer.concat([json({ inputs: response.outputs }), (body as Buffer).subarray(headerLength)]);
      assert.deepEqual(parseV2Infer(spec, request, request.byteLength - 24).inputs, outputs);
    });
    it('refuses a requested output the run did not produce, and int64 beyond JSON numbers', () => {
      assert.throws(() => encodeV2Infer(MIXED, undefined, { scores }, [{ name: 'labels', binary: false }]), {
        name: 'TypeError',
        message: 'outputs has no "labels", which the request asks for',
      });
      const big = value('int64', [1], BigInt64Array.of(2n ** 60n));
      assert.throws(() => encodeV2Infer(MIXED, undefined, { labels: big }, [{ name: 'labels', binary: false }]), /output "labels" element 0 is 1152921504606846976, beyond/);
      assert.deepEqual((encodeV2Infer(MIXED, undefined, { labels: big }, [{ name: 'labels', binary: true }]).body as Buffer).subarray(-8), valueToBytes(big));
    });
  });
});
