/** TF Serving's REST predict bodies: row and columnar requests and responses, one input or several, and every bad request as a 400. */
import assert from 'node:assert/strict';

import { value } from '../../src/runtime/value.js';
import type { ModelSpec } from '../../src/serve/model-spec.js';
import { encodeTfPredict, parseTfPredict, type TfFormat } from '../../src/serve/protocol/tfserving.js';
import { IMAGE, MIXED, assertBadRequest } from './protocol-specs.js';

const images = value('float32', [2, 2, 2], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8.5));
const ids = value('int64', [2, 3], BigInt64Array.of(1n, 2n, 3n, 4n, 5n, 6n));
const mask = value('bool', [2, 3], Uint8Array.of(1, 0, 1, 0, 0, 1));
const pixels = value('uint8', [2, 2], Uint8Array.of(0, 255, 9, 10));
/** MIXED's inputs as two row-format instances. */
const mixedInstances = [
  { ids: [1, 2, 3], mask: [true, false, 1], pixels: [0, 255] },
  { ids: [4, 5, 6], mask: [false, 0, true], pixels: [9, 10] },
];
const scores = value('float32', [2, 2], Float32Array.of(0.5, 1, -2, 4));
const labels = value('int32', [2], Int32Array.of(3, 1));

describe('serve protocol: TF Serving predict', () => {
  describe('parseTfPredict: row format (instances)', () => {
    it('stacks a one-input model\'s instances on a new batch axis', () => {
      const body = { signature_name: 'serving_default', instances: [[[1, 2], [3, 4]], [[5, 6], [7, 8.5]]] };
      assert.deepEqual(parseTfPredict(IMAGE, body), { inputs: { x: images }, format: 'row' });
    });
    it('takes a one-input model\'s instances as objects by input name too', () => {
      const body = { instances: [{ x: [[1, 2], [3, 4]] }, { x: [[5, 6], [7, 8.5]] }] };
      assert.deepEqual(parseTfPredict(IMAGE, body).inputs, { x: images });
    });
    it('reads several inputs per instance, converting numbers to each input\'s type', () => {
      assert.deepEqual(parseTfPredict(MIXED, { instances: mixedInstances }), { inputs: { ids, mask, pixels }, format: 'row' });
    });
    it('refuses instances that are missing, empty, ragged or of the wrong kind', () => {
      assertBadRequest(() => parseTfPredict(IMAGE, { instances: {} }), /^instances must be a list, got an object$/);
      assertBadRequest(() => parseTfPredict(IMAGE, { instances: [] }), /^instances must hold at least one example$/);
      assertBadRequest(() => parseTfPredict(IMAGE, { instances: [[[1, 2], [3, 4]], [[5, 6]]] }), /^instances: data is ragged: data\[1\] holds 1 entries, expected 2 as \[2,2,2\]$/);
      assertBadRequest(() => parseTfPredict(MIXED, { instances: [mixedInstances[0], [1]] }), /^instances\[1\] must be a JSON object, got a list$/);
      assertBadRequest(() => parseTfPredict(MIXED, { instances: [mixedInstances[0], { ids: [1, 2, 3], mask: [1, 1, 1] }] }), /^instances\[1\] is missing input "pixels"$/);
      assertBadRequest(() => parseTfPredict(MIXED, { instances: [mixedInstances[0], { ...mixedInstances[1], extra: 1 }] }), /^unknown input "extra": model "mixed" takes "ids", "mask", "pixels"$/);
      assertBadRequest(
        () => parseTfPredict(MIXED, { instances: [mixedInstances[0], { ...mixedInstances[1], ids: [1, 2] }] }),
        /^input "ids": data is ragged: data\[1\] holds 2 entries, expected 3 as \[2,3\]$/,
      );
    });
    it('refuses values out of the model input\'s type', () => {
      assertBadRequest(() => parseTfPredict(MIXED, { instances: [{ ...mixedInstances[0], pixels: [0, 256] }] }), /^input "pixels": element 1 \(256\) is out of range for uint8 \[0, 255\]$/);
      assertBadRequest(() => parseTfPredict(MIXED, { instances: [{ ...mixedInstances[0], ids: [1, 2.5, 3] }] }), /^input "ids": element 1 \(2\.5\) must be an integer \(int64\)$/);
      assertBadRequest(() => parseTfPredict(MIXED, { instances: [{ ...mixedInstances[0], mask: [1, 2, 0] }] }), /^input "mask": element 1 \(2\) must be true, false, 0 or 1$/);
      assertBadRequest(() => parseTfPredict(IMAGE, { instances: [[[1, 2], [3, { b64: 'AA==' }]]] }), /^instances: element 3 \(\{"b64":"AA=="\}\) is not a number \(float32\)$/);
    });
  });

  describe('parseTfPredict: columnar format (inputs)', () => {
    it('takes a one-input model\'s tensor with its batch axis, bare or by name', () => {
      const tensor = [[[1, 2], [3, 4]], [[5, 6], [7, 8.5]]];
      assert.deepEqual(parseTfPredict(IMAGE, { inputs: tensor }), { inputs: { x: images }, format: 'columnar' });
      assert.deepEqual(parseTfPredict(IMAGE, { inputs: { x: tensor } }), { inputs: { x: images }, format: 'columnar' });
    });
    it('takes several inputs by name', () => {
      const inputs = { mask: [[1, 0, 1], [0, 0, 1]], ids: [[1, 2, 3], [4, 5, 6]], pixels: [[0, 255], [9, 10]] };
      assert.deepEqual(parseTfPredict(MIXED, { inputs }), { inputs: { ids, mask, pixels }, format: 'columnar' });
    });
    it('refuses unknown and missing inputs, a bare tensor for several inputs and shapes unlike the model', () => {
      assertBadRequest(() => parseTfPredict(MIXED, { inputs: [[1, 2, 3]] }), /^inputs must be an object by input name: model "mixed" takes 3 inputs$/);
      assertBadRequest(() => parseTfPredict(IMAGE, { inputs: { y: [1] } }), /^unknown input "y": model "cnn" takes "x"$/);
      assertBadRequest(() => parseTfPredict(MIXED, { inputs: { ids: [[1, 2, 3]], mask: [[1, 1, 1]] } }), /^inputs is missing input "pixels"$/);
      assertBadRequest(() => parseTfPredict(IMAGE, { inputs: [[1, 2], [3, 4]] }), /^inputs\["x"\]\.dims must have rank 3, got \[2,2\]$/);
      assertBadRequest(() => parseTfPredict(IMAGE, { inputs: [[[1, 2, 3]]] }), /^inputs\["x"\]\.dims \[1,1,3\] does not match the model's \[batch,2,2\] at axis 1$/);
    });
  });

  describe('parseTfPredict: the request itself', () => {
    it('refuses a body that is not an object, both or neither of instances and inputs, and other signatures', () => {
      assertBadRequest(() => parseTfPredict(IMAGE, 'instances'), /^the request must be a JSON object, got string$/);
      const neither = /^the request must have exactly one of "instances" \(row format\) and "inputs" \(columnar format\)$/;
      assertBadRequest(() => parseTfPredict(IMAGE, {}), neither);
      assertBadRequest(() => parseTfPredict(IMAGE, { instances: [1], inputs: [1] }), neither);
      assertBadRequest(() => parseTfPredict(IMAGE, { signature_name: 'predict', instances: [[[1, 2], [3, 4]]] }), /^signature_name "predict" is not served; ONNX models have one signature, "serving_default"$/);
      assertBadRequest(() => parseTfPredict(IMAGE, { signature_name: 1, instances: [[[1, 2], [3, 4]]] }), /^signature_name must be a string, got number$/);
    });
    it('converts numbers to float32 for an input of no declared type', () => {
      const spec: ModelSpec = { name: 'bare', version: '1', inputs: [{ name: 'a', type: null, dims: null }], outputs: [] };
      assert.deepEqual(parseTfPredict(spec, { inputs: [1, 2] }).inputs, { a: value('float32', [2], Float32Array.of(1, 2)) });
    });
  });

  describe('encodeTfPredict', () => {
    const ONE: ModelSpec = { ...MIXED, outputs: [MIXED.outputs[0]] };
    it('answers row format with one list per example', () => {
      assert.deepEqual(encodeTfPredict(ONE, { scores }, 'row'), { predictions: [[0.5, 1], [-2, 4]] });
      assert.deepEqual(encodeTfPredict(MIXED, { scores, labels }, 'row'), {
        predictions: [
          { scores: [0.5, 1], labels: 3 },
          { scores: [-2, 4], labels: 1 },
        ],
      });
    });
    it('answers columnar format with whole tensors, bare for one output', () => {
      assert.deepEqual(encodeTfPredict(ONE, { scores }, 'columnar'), { outputs: [[0.5, 1], [-2, 4]] });
      assert.deepEqual(encodeTfPredict(MIXED, { scores, labels }, 'columnar'), { outputs: { scores: [[0.5, 1], [-2, 4]], labels: [3, 1] } });
    });
    it('answers int64 as numbers and bool as true/false', () => {
      const spec: ModelSpec = { name: 'm', version: '1', inputs: [], outputs: [{ name: 'ids', type: 'int64', dims: null }, { name: 'mask', type: 'bool', dims: null }] };
      assert.deepEqual(encodeTfPredict(spec, { ids, mask }, 'row'), {
        predictions: [
          { ids: [1, 2, 3], mask: [true, false, true] },
          { ids: [4, 5, 6], mask: [false, false, true] },
        ],
      });
    });
    it('round-trips: each format\'s answer read back as a request of the same tensors', () => {
      const spec: ModelSpec = { ...MIXED, inputs: MIXED.outputs };
      for (const format of ['row', 'columnar'] as TfFormat[]) {
        const { predictions, outputs } = encodeTfPredict(MIXED, { scores, labels }, format) as { predictions?: unknown; outputs?: unknown };
        const body = format === 'row' ? { instances: predictions } : { inputs: outputs };
        assert.deepEqual(parseTfPredict(spec, body), { inputs: { scores, labels }, format });
      }
    });
    it('refuses row format for outputs without a shared batch axis, missing outputs and other formats', () => {
      const scalar = value('float32', [], Float32Array.of(1));
      assert.throws(() => encodeTfPredict(ONE, { scores: scalar }, 'row'), { name: 'RangeError', message: 'outputs["scores"] is a scalar: row format needs a batch axis (axis 0) on every output' });
      assert.throws(() => encodeTfPredict(MIXED, { scores, labels: value('int32', [3]) }, 'row'), {
        name: 'RangeError',
        message: 'outputs["labels"] has dims [3]: row format needs every output to share the batch axis of 2 examples',
      });
      assert.throws(() => encodeTfPredict(MIXED, { scores }, 'columnar'), { name: 'TypeError', message: 'outputs has no "labels", one of the model\'s outputs' });
      assert.throws(() => encodeTfPredict(MIXED, { scores, labels }, 'rows' as TfFormat), { name: 'RangeError', message: "format must be one of 'row', 'columnar', got \"rows\"" });
    });
  });
});
