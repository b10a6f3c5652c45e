/**
 * Mutant i of a fuzzing run at seed S: a function of (S, i) alone, so the
 * supervisor can rebuild the mutant a crashed or hung child was running and
 * save it. A mutant is one seed model changed in its structure (decoded with
 * the loader's own protobuf schema, edited, re-encoded: dims, element types,
 * data lengths, attributes, wiring, opsets, external data) and/or in its
 * bytes (bit flips, truncation, inserted, deleted or duplicated ranges).
 * External data mutants also name the files to lay out beside the model:
 * data files, symlinks leading out, FIFOs, directories, /dev/zero.
 */
import { ModelProtoType } from '../../../src/runtime/onnx/schema.js';
import { OPS } from '../../../src/runtime/ops/registry.js';
import { rng } from '../../helpers.js';
import type { Seed } from './seeds.js';

/** What to create in the mutant's directory before the model is loaded from it. */
export type FileSpec =
  | { path: string; kind: 'data'; bytes: Uint8Array }
  | { path: string; kind: 'fifo' | 'dir' }
  | { path: string; kind: 'symlink'; target: string };

export interface Mutant {
  index: number;
  seed: string;
  /** What was done to the seed, in order, for the finding's report. */
  steps: string[];
  bytes: Uint8Array;
  /** Files beside the model; when present the model is loaded from its path (external data needs one). */
  files: FileSpec[] | null;
  /** Load from a path (loadOnnx, asynchronous reads) rather than from bytes. */
  fromPath: boolean;
  /** Session options and feed sizes drawn for this mutant. */
  options: { optimize: boolean; sparsity: 'auto' | 'off' };
  symbols: Record<string, number>;
  /** Seed of the feeds' random values. */
  feedSeed: number;
}

type Random = () => number;
const int = (r: Random, n: number) => Math.floor(r() * n);
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)];

/** Dims and ints that break size arithmetic: zero, negative, 32-bit and 53-bit edges. */
const EDGE_INTS = [0, -1, -2, 1, 2, 3, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 2 ** 53, -(2 ** 31), -(2 ** 53), 65536] as const;
const edgeInt = (r: Random) => (r() < 0.3 ? int(r, 9) - 2 : pick(r, EDGE_INTS));
const EDGE_FLOATS = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-45, 3.4e38, 1e-8, 255, 0.5] as const;

/* The decoded protobuf, edited in place: protobufjs objects with these fields (see schema.ts). */
type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every tensor of the model: initializers and the tensors of attributes. */
function tensors(graph: Msg): Msg[] {
  const inAttributes = graph.node.flatMap((n: Msg) => n.attribute.filter((a: Msg) => a.t).map((a: Msg) => a.t));
  return [...graph.initializer, ...inAttributes];
}

/** Every value name the graph knows. */
function valueNames(graph: Msg): string[] {
  return [...graph.initializer.map((t: Msg) => t.name), ...graph.input.map((v: Msg) => v.name), ...graph.node.flatMap((n: Msg) => n.output)];
}

const ATTRIBUTE_NAMES = ['strides', 'pads', 'kernel_shape', 'dilations', 'group', 'axis', 'axes', 'perm', 'auto_pad', 'to', 'transA', 'transB', 'alpha', 'beta', 'keepdims', 'ceil_mode', 'count_include_pad', 'value', 'min', 'max', 'epsilon', 'allowzero', 'starts', 'ends', 'mode'];
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, SPARSE_TENSOR: 11 };

/** Sets `a` to a random value of a random (often wrong) type. */
function randomAttributeValue(r: Random, a: Msg): string {
  const type = pick(r, [ATTR.INT, ATTR.INT, ATTR.INTS, ATTR.INTS, ATTR.FLOAT, ATTR.FLOATS, ATTR.STRING, ATTR.TENSOR, ATTR.GRAPH, ATTR.SPARSE_TENSOR, 0, 99]);
  Object.assign(a, { type, i: 0, f: 0, ints: [], floats: [], s: new Uint8Array(0), strings: [], t: null });
  switch (type) {
    case ATTR.INT: a.i = edgeInt(r); return `int ${a.i}`;
    case ATTR.INTS: a.ints = Array.from({ length: int(r, 6) }, () => edgeInt(r)); return `ints [${a.ints}]`;
    case ATTR.FLOAT: a.f = pick(r, EDGE_FLOATS); return `float ${a.f}`;
    case ATTR.FLOATS: a.floats = Array.from({ length: int(r, 4) }, () => pick(r, EDGE_FLOATS)); return `floats [${a.floats}]`;
    case ATTR.STRING: a.s = new TextEncoder().encode(pick(r, ['SAME_UPPER', 'SAME_LOWER', 'VALID', 'NOTSET', '', 'nearest', '\u0000'])); return 'string';
    case ATTR.TENSOR: a.t = { dims: [edgeInt(r)], data_type: int(r, 17), raw_data: new Uint8Array(int(r, 9)), name: '', external_data: [], data_location: 0, float_data: [], int32_data: [], int64_data: [], segment: null }; return 'tensor';
    default: return `type ${type}`;
  }
}

/** One structural mutation of the decoded model; returns what it did. */
const STRUCTURAL: ((r: Random, m: Msg) => string | null)[] = [
  // A dim of a tensor: edge values, or a rank change.
  (r, m) => {
    const t = pick(r, tensors(m.graph));
    if (!t) return null;
    if (r() < 0.3) { if (r() < 0.5) t.dims.push(edgeInt(r)); else t.dims.pop(); return `tensor "${t.name}" rank ${t.dims.length}`; }
    if (t.dims.length === 0) return null;
    const k = int(r, t.dims.length), v = edgeInt(r);
    t.dims[k] = v;
    return `tensor "${t.name}" dim ${k} = ${v}`;
  },
  // A dim of a graph input, output or value info.
  (r, m) => {
    const v = pick(r, [...m.graph.input, ...m.graph.output, ...m.graph.value_info]);
    const dims = v?.type?.tensor_type?.shape?.dim;
    if (!dims) return null;
    if (r() < 0.3) { if (r() < 0.5) dims.push({ dim_value: edgeInt(r), value: 'dim_value' }); else dims.pop(); return `value "${v.name}" rank ${dims.length}`; }
    if (dims.length === 0) return null;
    const k = int(r, dims.length), d = edgeInt(r);
    dims[k] = r() < 0.2 ? { dim_param: pick(r, ['batch', 'h', 'x', '']), value: 'dim_param' } : { dim_value: d, value: 'dim_value' };
    return `value "${v.name}" dim ${k} = ${dims[k].dim_param ?? d}`;
  },
  // An element type.
  (r, m) => {
    const type = pick(r, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 21, 22, 25, 99]);
    if (r() < 0.5) {
      const t = pick(r, tensors(m.graph));
      if (!t) return null;
      t.data_type = type;
      return `tensor "${t.name}" data_type ${type}`;
    }
    const v = pick(r, [...m.graph.input, ...m.graph.output]);
    if (!v?.type?.tensor_type) return null;
    v.type.tensor_type.elem_type = type;
    return `value "${v.name}" elem_type ${type}`;
  },
  // Stored data that no longer matches the dims: raw_data shortened, lengthened or moved to a typed field.
  (r, m) => {
    const t = pick(r, tensors(m.graph));
    if (!t) return null;
    const raw: Uint8Array = t.raw_data instanceof Uint8Array ? t.raw_data : new Uint8Array(0);
    const choice = int(r, 4);
    if (choice === 0) { t.raw_data = raw.subarray(0, int(r, raw.length + 1)); return `tensor "${t.name}" raw_data ${t.raw_data.length} bytes`; }
    if (choice === 1) { const more = new Uint8Array(raw.length + 1 + int(r, 16)); more.set(raw); t.raw_data = more; return `tensor "${t.name}" raw_data ${more.length} bytes`; }
    if (choice === 2) { t.raw_data = new Uint8Array(0); t.float_data = Array.from({ length: int(r, 5) }, () => pick(r, EDGE_FLOATS)); return `tensor "${t.name}" float_data x${t.float_data.length}`; }
    t.raw_data = new Uint8Array(0); t.int32_data = Array.from({ length: int(r, 5) }, () => edgeInt(r) | 0); return `tensor "${t.name}" int32_data x${t.int32_data.length}`;
  },
  // Tensor values: an int64 tensor (shapes, axes, indices) or float (scales) given edge values.
  (r, m) => {
    const t = pick(r, tensors(m.graph));
    const raw: Uint8Array | undefined = t?.raw_data;
    if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
    const copy = new Uint8Array(raw);
    const view = new DataView(copy.buffer);
    // Whole elements only: an earlier mutation may have left raw_data a length that is not a multiple of the element size.
    if (t.data_type === 7 && copy.length >= 8) view.setBigInt64(int(r, Math.floor(copy.length / 8)) * 8, BigInt(edgeInt(r)), true);
    else if (t.data_type === 1 && copy.length >= 4) view.setFloat32(int(r, Math.floor(copy.length / 4)) * 4, pick(r, EDGE_FLOATS), true);
    else copy[int(r, copy.length)] = pick(r, [0, 1, 127, 128, 255]);
    t.raw_data = copy;
    return `tensor "${t.name}" value changed`;
  },
  // An attribute: removed, retyped, given edge values, duplicated, or a known name added.
  (r, m) => {
    const n = pick<Msg>(r, m.graph.node);
    if (!n) return null;
    const choice = int(r, 5);
    if (choice === 0 && n.attribute.length > 0) { const [a] = n.attribute.splice(int(r, n.attribute.length), 1); return `node "${n.name}" attribute "${a.name}" removed`; }
    if (choice === 1 && n.attribute.length > 0) { const a = pick<Msg>(r, n.attribute); n.attribute.push({ ...a }); return `node "${n.name}" attribute "${a.name}" twice`; }
    if (choice === 2 && n.attribute.some((a: Msg) => a.ints.length > 0)) {
      const a = pick<Msg>(r, n.attribute.filter((x: Msg) => x.ints.length > 0));
      const k = int(r, a.ints.length);
      a.ints[k] = edgeInt(r);
      if (r() < 0.3) a.ints.push(edgeInt(r));
      return `node "${n.name}" attribute "${a.name}" ints [${a.ints}]`;
    }
    const a = choice === 3 && n.attribute.length > 0 ? pick<Msg>(r, n.attribute) : { name: pick(r, ATTRIBUTE_NAMES) };
    if (!n.attribute.includes(a)) n.attribute.push(a);
    return `node "${n.name}" attribute "${a.name}" ${randomAttributeValue(r, a)}`;
  },
  // Wiring: an input read from another value (maybe downstream: a cycle) or from nothing, an output duplicated, a node dropped, duplicated or retyped.
  (r, m) => {
    const nodes: Msg[] = m.graph.node;
    const n = pick<Msg>(r, nodes);
    if (!n) return null;
    const names = valueNames(m.graph);
    switch (int(r, 8)) {
      case 0: { if (n.input.length === 0) return null; const k = int(r, n.input.length); n.input[k] = pick(r, names); return `node "${n.name}" input ${k} = "${n.input[k]}"`; }
      case 1: { if (n.input.length === 0) return null; const k = int(r, n.input.length); n.input[k] = pick(r, ['', 'dangling', n.output[0] ?? 'x']); return `node "${n.name}" input ${k} = "${n.input[k]}"`; }
      case 2: { const other = pick<Msg>(r, nodes); n.output[int(r, n.output.length + 1)] = pick(r, other.output.length > 0 ? other.output : ['y']); return `node "${n.name}" outputs [${n.output}]`; }
      case 3: nodes.splice(nodes.indexOf(n), 1); return `node "${n.name}" removed`;
      case 4: nodes.splice(int(r, nodes.length + 1), 0, { ...n, input: [...n.input], output: [...n.output] }); return `node "${n.name}" duplicated`;
      case 5: { const from = n.op_type; n.op_type = pick(r, [...Object.keys(OPS).filter((k) => !k.includes('.')), 'If', '', 'Loop']); return `node "${n.name}" ${from} -> ${n.op_type}`; }
      case 6: { if (r() < 0.5) n.input.push(pick(r, [...names, ''])); else n.input.pop(); return `node "${n.name}" inputs [${n.input}]`; }
      default: { const o = pick<Msg>(r, m.graph.output); if (!o) return null; o.name = pick(r, [...names, 'never', '']); return `graph output "${o.name}"`; }
    }
  },
  // Node order shuffled: the loader must sort (or refuse a cycle) itself.
  (r, m) => {
    const nodes: Msg[] = m.graph.node;
    for (let i = nodes.length - 1; i > 0; i--) { const j = int(r, i + 1); [nodes[i], nodes[j]] = [nodes[j], nodes[i]]; }
    return 'nodes shuffled';
  },
  // Opsets: out of range, twice, none, a domain node.
  (r, m) => {
    const choice = int(r, 4);
    if (choice === 0 && m.opset_import.length > 0) { m.opset_import[0].version = pick(r, [-1, 0, 1, 8, 9, 10, 11, 12, 13, 14, 17, 21, 22, 2 ** 31, 2 ** 53]); return `opset ${m.opset_import[0].version}`; }
    if (choice === 1) { m.opset_import.push({ domain: pick(r, ['', 'ai.onnx', 'com.microsoft']), version: pick(r, [1, 13]) }); return 'opset imported twice'; }
    if (choice === 2) { m.opset_import = []; return 'no opsets'; }
    const n = pick<Msg>(r, m.graph.node);
    if (!n) return null;
    n.domain = pick(r, ['com.microsoft', 'sparq', 'ai.onnx', 'ai.onnx.ml']);
    return `node "${n.name}" domain ${n.domain}`;
  },
  // Graph inputs: removed, duplicated, or an initializer listed as one.
  (r, m) => {
    const g = m.graph;
    const choice = int(r, 3);
    if (choice === 0 && g.input.length > 0) { g.input.splice(int(r, g.input.length), 1); return 'graph input removed'; }
    if (choice === 1 && g.input.length > 0) { g.input.push(pick<Msg>(r, g.input)); return 'graph input twice'; }
    const t = pick<Msg>(r, g.initializer);
    if (!t) return null;
    g.input.push({ name: t.name, type: { value: 'tensor_type', tensor_type: { elem_type: t.data_type, shape: { dim: t.dims.map((d: unknown) => ({ dim_value: d, value: 'dim_value' })) } } } });
    return `initializer "${t.name}" also a graph input`;
  },
];

/** External data placements: where the tensor's data is said to be, and what is really there. */
const EXTERNAL: ((r: Random, data: Uint8Array) => { location: string; offset?: string; length?: string; files: FileSpec[] })[] = [
  (_r, data) => ({ location: 'w.bin', files: [{ path: 'w.bin', kind: 'data', bytes: data }] }),
  (r, data) => ({ location: 'w.bin', offset: '16', length: String(data.length + pick(r, [0, 1, -1])), files: [{ path: 'w.bin', kind: 'data', bytes: new Uint8Array(16 + data.length) }] }),
  (r) => ({ location: 'w.bin', offset: pick(r, ['0', '99999999', '9007199254740993', '-1', '1e3', '']), length: pick(r, [undefined, '0', '18446744073709551615', '9007199254740991']), files: [{ path: 'w.bin', kind: 'data', bytes: new Uint8Array(8) }] }),
  (r) => ({ location: pick(r, ['/etc/passwd', '/dev/zero', '../outside.bin', 'sub/../../outside.bin', 'C:\\w.bin', 'missing.bin', '', '.']), files: [] }),
  () => ({ location: 'link.bin', files: [{ path: 'link.bin', kind: 'symlink', target: '/dev/zero' }] }),
  () => ({ location: 'link.bin', files: [{ path: 'link.bin', kind: 'symlink', target: '../outside.bin' }] }),
  (_r, data) => ({ location: 'link.bin', files: [{ path: 'real.bin', kind: 'data', bytes: data }, { path: 'link.bin', kind: 'symlink', target: 'real.bin' }] }),
  () => ({ location: 'fifo.bin', files: [{ path: 'fifo.bin', kind: 'fifo' }] }),
  () => ({ location: 'dir.bin', files: [{ path: 'dir.bin', kind: 'dir' }] }),
  () => ({ location: 'sub/fifo.bin', files: [{ path: 'sub', kind: 'dir' }, { path: 'sub/fifo.bin', kind: 'fifo' }] }),
];

/** Moves one tensor's data out of the model into a placement; returns what it did and the files. */
function externalize(r: Random, m: Msg): { step: string; files: FileSpec[] } | null {
  const t = pick<Msg>(r, m.graph.initializer);
  if (!t || !(t.raw_data instanceof Uint8Array)) return null;
  const placement = pick(r, EXTERNAL)(r, t.raw_data);
  const entries = [{ key: 'location', value: placement.location }];
  if (placement.offset !== undefined) entries.push({ key: 'offset', value: placement.offset });
  if (placement.length !== undefined) entries.push({ key: 'length', value: placement.length });
  Object.assign(t, { raw_data: new Uint8Array(0), data_location: 1, external_data: entries });
  return { step: `tensor "${t.name}" external ${JSON.stringify(entries)} files ${placement.files.map((f) => `${f.path}:${f.kind}`).join(',')}`, files: placement.files };
}

/** One byte-level mutation. */
function mutateBytes(r: Random, bytes: Uint8Array): { bytes: Uint8Array; step: string } {
  const n = bytes.length;
  const at = int(r, n + 1);
  const span = 1 + int(r, r() < 0.8 ? 8 : 256);
  switch (int(r, 6)) {
    case 0: {
      const out = new Uint8Array(bytes);
      const flips = 1 + int(r, 8);
      for (let k = 0; k < flips && n > 0; k++) out[int(r, n)] ^= 1 << int(r, 8);
      return { bytes: out, step: `${flips} bit flips` };
    }
    case 1: return { bytes: bytes.slice(0, at), step: `truncated at ${at}` };
    case 2: return { bytes: concat(bytes.subarray(0, at), Uint8Array.from({ length: span }, () => pick(r, [0, 0xff, 0x80, 0x7f, int(r, 256)])), bytes.subarray(at)), step: `${span} bytes inserted at ${at}` };
    case 3: return { bytes: concat(bytes.subarray(0, at), bytes.subarray(at + span)), step: `${span} bytes deleted at ${at}` };
    case 4: return { bytes: concat(bytes.subarray(0, at + span), bytes.subarray(at)), step: `${span} bytes duplicated at ${at}` };
    default: {
      const out = new Uint8Array(bytes);
      // A varint of ten 0xff-ish bytes: a length or int64 field read as huge.
      for (let k = 0; k < span && at + k < n; k++) out[at + k] = k < span - 1 ? 0xff : 0x01;
      return { bytes: out, step: `${span} bytes overwritten at ${at}` };
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Mutant `index` of the run at `runSeed` over `seeds`. */
export function mutant(seeds: readonly Seed[], runSeed: number, index: number): Mutant {
  const r = rng((runSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const seed = pick(r, seeds);
  const steps: string[] = [];
  let files: FileSpec[] | null = null;
  let bytes = seed.bytes;
  const kind = r();
  if (kind < 0.85) {
    const m: Msg = ModelProtoType.decode(seed.bytes);
    if (r() < 0.12) {
      const external = externalize(r, m);
      if (external) { steps.push(external.step); files = external.files; }
    }
    const count = 1 + int(r, 3);
    for (let k = 0; k < count; k++) {
      const step = m.graph ? pick(r, STRUCTURAL)(r, m) : null;
      if (step) steps.push(step);
    }
    bytes = ModelProtoType.encode(m).finish();
  }
  if (kind >= 0.75) {
    const count = 1 + int(r, 2);
    for (let k = 0; k < count; k++) {
      const b = mutateBytes(r, bytes);
      bytes = b.bytes;
      steps.push(b.step);
    }
  }
  const symbols = { ...seed.symbols };
  if (r() < 0.1) for (const name of Object.keys(symbols)) symbols[name] = pick(r, [0, 1, 2, 3, 5, 17]);
  return {
    index, seed: seed.name, steps, bytes, files, fromPath: files !== null || r() < 0.1,
    options: { optimize: r() < 0.8, sparsity: r() < 0.8 ? 'auto' : 'off' }, symbols, feedSeed: int(r, 2 ** 31),
  };
}
