/**
 * sparq's InferenceSession against onnxruntime-node on small models: the same
 * ONNX bytes run in both and every graph output is compared (float32 within
 * a relative tolerance, everything else exactly). compareNode builds the
 * one-node models the operator tests use.
 *
 * Models with int8 weights are checked against sparq's exact reference
 * backend on every CPU, and against onnxruntime only where its int8 is exact
 * (compare.ts's oracleFor: not on x86 without VNNI, where its u8s8 kernels
 * saturate at int16, unless the weights are 7-bit).
 */
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import type { TensorLike } from '../../src/runtime/compare/metrics.js';
import { oracleFor, type Oracle } from '../../src/runtime/compare/oracle.js';
import type { Value, ValueType } from '../../src/runtime/onnx/model.js';
import { readOnnx } from '../../src/runtime/onnx/read.js';
import { int8Weights, ortInt8Exactness } from '../../src/runtime/compare/ort-int8.js';
import { runOnReference } from '../../src/runtime/compare/reference-run.js';
import { encodeOnnxModel, type OnnxAttributeValue, type OnnxElementType, type OnnxGraph, type OnnxTensor } from '../../src/runtime/onnx/write.js';
import { ModelError } from '../../src/runtime/onnx/model.js';
import { InferenceSession, type SessionOptions } from '../../src/runtime/session.js';

export interface CompareOptions {
  /** Relative tolerance of float32 outputs (default 1e-6; 0 is exact). Other types are always compared exactly. */
  tolerance?: number;
  /** Absolute tolerance added to it, for results near 0 from approximated functions (default 0). */
  atol?: number;
  /** compareWithOrt's sparq session options (default none). */
  session?: SessionOptions;
}

export function onnxType(type: ValueType): OnnxElementType {
  return type === 'float32' ? 'float' : type;
}

function toOrt(feeds: Record<string, Value>): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([name, v]) => [name, new ort.Tensor(v.type, v.data, v.dims)]));
}

/** `actual` equal to `expected` (float32 within the tolerances); `oracle` names the expected side in messages. */
function assertSameValue(actual: Value | undefined, expected: TensorLike, name: string, { tolerance = 1e-6, atol = 0 }: CompareOptions, oracle = 'onnxruntime'): void {
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
    if (!same) assert.fail(`${name}: index ${i}: sparq ${x}, ${oracle} ${y} (dims [${actual.dims}], rtol ${tolerance}, atol ${atol})`);
  }
}

/**
 * Checks sparq's outputs `actual` of the int8 model `bytes` on `feeds`
 * against both oracles, within `options` (default 1e-6 relative for float32,
 * as compareWithOrt): sparq's exact reference backend on every CPU, and
 * onnxruntime's `expected` where oracleFor says its int8 is exact here.
 * Elsewhere onnxruntime's outputs are checked for type and dims only: its
 * int16 saturation moves them by a model-dependent amount (8 to 22 output
 * steps on the QDQ CIFAR CNN under an AVX2-only CPU). Returns the oracle.
 */
export async function assertInt8Outputs(bytes: Uint8Array, feeds: Record<string, TensorLike>, actual: Record<string, Value>, expected: Record<string, TensorLike>, options: CompareOptions = {}): Promise<Oracle> {
  const oracle = oracleFor(readOnnx(bytes).graph);
  const names = Object.keys(expected);
  const exact = await runOnReference(bytes, feeds as Record<string, Value>, { fetches: names });
  for (const name of names) {
    assertSameValue(actual[name], exact[name], name, options, 'sparq\'s exact reference backend');
    if (oracle.authority === 'onnxruntime') assertSameValue(actual[name], expected[name], name, options, `onnxruntime (exact here: ${oracle.reason})`);
    else {
      const what = `${name}: onnxruntime, not exact here (${oracle.reason}), checked for type and dims only`;
      assert.equal(expected[name].type, actual[name].type, what);
      assert.deepEqual([...expected[name].dims], actual[name].dims, what);
    }
  }
  return oracle;
}

/** A title suffix naming the case this CPU's onnxruntime int8 is in, for tests of 8-bit-weight models. */
export function ortInt8Case(): string {
  return ortInt8Exactness().exact ? '[checked: exact reference, onnxruntime (exact on this CPU)]' : '[checked: exact reference; onnxruntime saturates at int16 on this CPU]';
}

/**
 * Runs `graph` on `feeds` in onnxruntime-node and in sparq and asserts every
 * output agrees (for models with int8 weights: assertInt8Outputs); returns
 * sparq's outputs.
 */
export async function compareWithOrt(graph: OnnxGraph, feeds: Record<string, Value>, options: CompareOptions = {}): Promise<Record<string, Value>> {
  const bytes = encodeOnnxModel(graph);
  const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const expected = await reference.run(toOrt(feeds));
  const session = await InferenceSession.create(bytes, options.session);
  const actual = await session.run(feeds);
  if (int8Weights(readOnnx(bytes).graph).length > 0) await assertInt8Outputs(bytes, feeds, actual, expected, options);
  else for (const o of graph.outputs) assertSameValue(actual[o.name], expected[o.name], o.name, options);
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
