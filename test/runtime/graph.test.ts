/**
 * The graph checks of session creation: a model that reads a value nothing
 * produces (a node input, a graph output, an unnamed graph output) is
 * rejected by InferenceSession.create, every such value and every
 * unsupported operator named in one ModelError, as onnxruntime rejects such
 * models when it loads them; not at run(), where the caller's fetches would
 * take the blame.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { encodeOnnxModel, type OnnxNode } from '../../src/runtime/onnx/write.js';
import { ModelError } from '../../src/runtime/onnx/model.js';
import { InferenceSession } from '../../src/runtime/session.js';

/** A model on input x [2] with `nodes` and float [2] graph outputs named `outputs`. */
function model(nodes: OnnxNode[], outputs: string[]): Uint8Array {
  return encodeOnnxModel({ nodes, inputs: [{ name: 'x', type: 'float', dims: [2] }], outputs: outputs.map((name) => ({ name, type: 'float', dims: [2] })) });
}

async function rejectsModel(bytes: Uint8Array, message: string): Promise<void> {
  await assert.rejects(InferenceSession.create(bytes), (e: unknown) => {
    assert.ok(e instanceof ModelError, `expected a ModelError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
  await assert.rejects(ort.InferenceSession.create(bytes, { logSeverityLevel: 4 }), 'onnxruntime rejects the model too');
}

const relu: OnnxNode = { opType: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] };

describe('runtime: graph checks at session creation', () => {
  it('rejects an unnamed graph output (it loaded, and run() blamed its fetches)', async () => {
    await rejectsModel(model([relu], ['y', '']), 'values no node, initializer or graph input produces: an unnamed value (graph output #1)');
  });

  it('rejects a graph output and a node input nothing produces', async () => {
    await rejectsModel(model([relu], ['y', 'ghost']), 'values no node, initializer or graph input produces: "ghost" (graph output)');
    const add: OnnxNode = { opType: 'Add', name: 'add', inputs: ['x', 'nope'], outputs: ['y'] };
    await rejectsModel(model([add], ['y']), 'values no node, initializer or graph input produces: "nope" (read by node "add" (Add))');
  });

  it('names every missing value and unsupported operator in one error', async () => {
    const nodes: OnnxNode[] = [
      { opType: 'Add', name: 'add', inputs: ['x', 'nope'], outputs: ['a'] },
      { opType: 'Mul', name: 'mul', inputs: ['a', 'nada'], outputs: ['y'] },
      { opType: 'NoSuchOp', name: 'odd', inputs: ['y'], outputs: ['z'] },
    ];
    await rejectsModel(model(nodes, ['z', 'ghost', '']),
      'unsupported operators: NoSuchOp (node "odd"); values no node, initializer or graph input produces: ' +
      '"nope" (read by node "add" (Add)), "nada" (read by node "mul" (Mul)), "ghost" (graph output), an unnamed value (graph output #2)');
  });

  it('accepts outputs that are graph inputs, and omitted optional inputs', async () => {
    const clip: OnnxNode = { opType: 'Clip', name: 'clip', inputs: ['x', '', ''], outputs: ['y'] };
    const session = await InferenceSession.create(model([clip], ['y', 'x']));
    const x = Float32Array.of(-1, 2);
    const out = await session.run({ x: { type: 'float32', dims: [2], data: x } });
    assert.deepEqual([...(out.y.data as Float32Array)], [-1, 2]);
    assert.deepEqual([...(out.x.data as Float32Array)], [-1, 2]);
  });
});
