/**
 * compare()'s first-divergence search: both runtimes run with every
 * intermediate value exposed, and the first value, in sparq's execution
 * order, where they disagree is reported.
 */
import type { OnnxGraph } from '../onnx/model.js';
import { ModelProtoType } from '../onnx/schema.js';
import type { Feeds, InferenceSession } from '../session.js';
import { agrees, valueErrors, type TensorLike, type ValueErrors } from './metrics.js';

export interface FirstDivergence extends ValueErrors {
  /** The model's node that produces the value (its name and operator). */
  node: string;
  opType: string;
  /** The value. */
  output: string;
}

/**
 * The first name of `order` (sparq's execution order) whose values disagree
 * (agrees()); names missing from either map are skipped, as values one
 * runtime fused away are.
 */
export function firstDisagreement(order: readonly string[], sparq: Record<string, TensorLike>, ort: Record<string, TensorLike>, tolerance: number): { name: string; errors: ValueErrors } | null {
  for (const name of order) {
    const a = sparq[name], b = ort[name];
    if (a === undefined || b === undefined) continue;
    const errors = valueErrors(a, b);
    if (!agrees(a.type, errors, tolerance)) return { name, errors };
  }
  return null;
}

/**
 * The model's bytes with `names` added as graph outputs. A serialized
 * message followed by another merges them (repeated fields append), so the
 * appended `ModelProto { graph { output: [...] } }` keeps every byte of the
 * original, including the fields sparq's schema does not declare. The
 * outputs carry no type: onnxruntime infers it.
 */
export function exposeValues(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const extra = ModelProtoType.encode(ModelProtoType.fromObject({ graph: { output: names.map((name) => ({ name })) } })).finish();
  const merged = new Uint8Array(bytes.length + extra.length);
  merged.set(bytes);
  merged.set(extra, bytes.length);
  return merged;
}

/** The values the first-divergence search compares: those the model's own nodes produce (sparq's passes may add values of their own). */
export function divergenceNames(sparq: InferenceSession, graph: OnnxGraph): string[] {
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs).filter((o) => o !== ''));
  return sparq.valueNames().filter((name) => produced.has(name));
}

/** The first of `names` where sparq's values and the oracle's (`theirs`) disagree, and how many were compared. */
export function divergenceReport(graph: OnnxGraph, sparq: InferenceSession, names: string[], theirs: Record<string, TensorLike>, feeds: Feeds, tolerance: number): { firstDivergence: FirstDivergence | null; valuesCompared: number } {
  const ours = sparq.runSync(feeds, names);
  const found = firstDisagreement(names, ours, theirs, tolerance);
  if (found === null) return { firstDivergence: null, valuesCompared: names.length };
  const producer = graph.nodes.find((n) => n.outputs.includes(found.name))!;
  return { firstDivergence: { node: producer.name, opType: producer.opType, output: found.name, ...found.errors }, valuesCompared: names.length };
}
