/**
 * sparq's InferenceSession against onnxruntime-node on small models: the same
 * ONNX bytes run in both and every graph output is compared (float32 within
 * a relative tolerance, everything else exactly). compareNode builds the
 * one-node models the operator tests use.
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import type { Value, ValueType } from '../../src/runtime/onnx/model.js';
import { encodeOnnxModel, type OnnxAttributeValue, type OnnxElementType, type OnnxGraph, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { ModelError } from '../../src/runtime/ops/op.js';
import { InferenceSession } from '../../src/runtime/session.js';

export interface CompareOptions {
  /** Relative tolerance of float32 outputs (default 1e-6; 0 is exact). Other types are always compared exactly. */
  tolerance?: number;
  /** Absolute tolerance added to it, for results near 0 from approximated functions (default 0). */
  atol?: number;
}

export function onnxType(type: ValueType): OnnxElementType {
  return type === 'float32' ? 'float' : type;
}

function toOrt(feeds: Record<string, Value>): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([name, v]) => [name, new ort.Tensor(v.type, v.data, v.dims)]));
}

function assertSameValue(actual: Value | undefined, expected: ort.Tensor, name: string, { tolerance = 1e-6, atol = 0 }: CompareOptions): void {
  assert.ok(actual, `sparq returned no output "${name}"`);
  assert.equal(actual.type, expected.type, `${name}: type`);
  assert.deepEqual(actual.dims, [...expected.dims], `${name}: dims`);
  const a = actual.data, e = expected.data as Value['data'];
  assert.equal(a.length, e.length, `${name}: length`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = e[i];
    const same = typeof x === 'number' && typeof y === 'number' && actual.type === 'float32'
      ? Object.is(x, y) || x === y || Math.abs(x - y) <= atol + tolerance * Math.abs(y)
      : x === y;
    if (!same) assert.fail(`${name}: index ${i}: sparq ${x}, onnxruntime ${y} (dims [${actual.dims}], rtol ${tolerance}, atol ${atol})`);
  }
}

/**
 * Runs `graph` on `feeds` in onnxruntime-node and in sparq and asserts every
 * output agrees; returns sparq's outputs.
 */
export async function compareWithOrt(graph: OnnxGraph, feeds: Record<string, Value>, options: CompareOptions = {}): Promise<Record<string, Value>> {
  const bytes = encodeOnnxModel(graph);
  const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const expected = await reference.run(toOrt(feeds));
  const session = await InferenceSession.create(bytes);
  const actual = await session.run(feeds);
  for (const o of graph.outputs) assertSameValue(actual[o.name], expected[o.name], o.name, options);
  return actual;
}

/** An input written as an initializer, so sparq sees it at session creation (and folds the node when all its inputs are). */
export interface Initializer {
  constant: Value;
}

export function initializer(v: Value): Initializer {
  return { constant: v };
}

export interface NodeTest {
  op: string;
  /** The ai.onnx opset (default 17). */
  opset?: number;
  attributes?: Record<string, OnnxAttributeValue>;
  floatAttributes?: readonly string[];
  /** The node's inputs in order: a value fed at run time, an initializer, or undefined for an omitted input. */
  inputs: readonly (Value | Initializer | undefined)[];
  /** The outputs' element types (default: one output of the first input's type). */
  outputs?: readonly ValueType[];
}

const NODE_NAME = 'node_under_test';

/** The one-node model of `test` and its feeds; inputs are named in0, in1, ... and outputs out0, out1, ... */
export function nodeGraph(test: NodeTest): { graph: OnnxGraph; feeds: Record<string, Value> } {
  const feeds: Record<string, Value> = {};
  const initializers: OnnxTensor[] = [];
  const names = test.inputs.map((v, i) => {
    const name = `in${i}`;
    if (v === undefined) return '';
    if ('constant' in v) initializers.push({ name, type: onnxType(v.constant.type), dims: v.constant.dims, data: v.constant.data });
    else feeds[name] = v;
    return name;
  });
  const first = test.inputs[0];
  const types = test.outputs ?? [first === undefined ? 'float32' : 'constant' in first ? first.constant.type : first.type];
  const outputs = types.map((type, i) => ({ name: `out${i}`, type: onnxType(type), dims: null }));
  const graph: OnnxGraph = {
    opset: test.opset ?? 17,
    nodes: [{ opType: test.op, name: NODE_NAME, inputs: names, outputs: outputs.map((o) => o.name), attributes: test.attributes, floatAttributes: test.floatAttributes }],
    initializers,
    inputs: Object.entries(feeds).map(([name, v]) => ({ name, type: onnxType(v.type), dims: v.dims })),
    outputs,
  };
  return { graph, feeds };
}

/** compareWithOrt on the one-node model of `test`; returns sparq's outputs in order. */
export async function compareNode(test: NodeTest, options?: CompareOptions): Promise<Value[]> {
  const { graph, feeds } = nodeGraph(test);
  const out = await compareWithOrt(graph, feeds, options);
  return graph.outputs.map((o) => out[o.name]);
}

/** Asserts sparq rejects the one-node model of `test` (at creation or run) with a ModelError naming the node and matching `message`. */
export async function rejectsNode(test: NodeTest, message: RegExp): Promise<void> {
  const { graph, feeds } = nodeGraph(test);
  await assert.rejects(
    async () => (await InferenceSession.create(encodeOnnxModel(graph))).run(feeds),
    (e: unknown) => {
      assert.ok(e instanceof ModelError, `expected a ModelError, got ${String(e)}`);
      assert.match(e.message, new RegExp(`node "${NODE_NAME}" \\(${test.op}\\)`));
      assert.match(e.message, message);
      return true;
    },
  );
}
