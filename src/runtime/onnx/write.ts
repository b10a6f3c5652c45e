/**
 * A small ONNX ModelProto encoder: enough protobuf to write graphs of plain
 * nodes, initializers (raw, typed-field or external data), typed
 * inputs/outputs and value infos. Benchmarks and tests use it to
 * build the onnxruntime-node models they compare against, without a protobuf
 * schema dependency.
 */

/** ONNX TensorProto.DataType values sparq writes. */
export const OnnxDataType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const;
export type OnnxElementType = keyof typeof OnnxDataType;

/** Where a tensor's data is written: in raw_data (the default), in the typed fields, or in an external file. */
export type OnnxTensorStorage = 'raw' | 'typed' | OnnxExternalData;

/** The external_data entries to write; the caller writes the file itself. */
export interface OnnxExternalData {
  location: string;
  offset?: number;
  length?: number;
}

export interface OnnxTensor {
  name: string;
  type: OnnxElementType;
  dims: readonly number[];
  /** bool is a Uint8Array of 0/1. */
  data: Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;
  storage?: OnnxTensorStorage;
}

export type OnnxAttributeValue = number | string | readonly number[] | readonly string[] | OnnxTensor;

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  /** Numbers are written as INT when they are integers and `floatAttributes` does not name them. */
  attributes?: Record<string, OnnxAttributeValue>;
  floatAttributes?: readonly string[];
}

export interface OnnxValueInfo {
  name: string;
  type: OnnxElementType;
  /** Numbers are fixed dims; strings are symbolic (dim_param); null is an unknown dim. null for dims: no shape (not even the rank). */
  dims: readonly (number | string | null)[] | null;
}

export interface OnnxGraph {
  name?: string;
  nodes: readonly OnnxNode[];
  initializers?: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  valueInfo?: readonly OnnxValueInfo[];
  /** The ai.onnx opset (default 17). */
  opset?: number;
  /** Opsets of other domains, by domain. */
  otherOpsets?: Readonly<Record<string, number>>;
  producer?: { name: string; version: string };
}

/**
 * Protobuf wire format, written as a list of chunks: small fields collect in
 * `pending`, tensor data and nested messages are kept as they are, so a
 * model of many megabytes is copied once, in finish(), not byte by byte.
 */
class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private pending: number[] = [];
  private length = 0;

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.pending = [];
  }

  private push(byte: number): void {
    this.pending.push(byte);
    this.length++;
  }

  private append(chunk: Uint8Array): void {
    this.flush();
    this.parts.push(chunk);
    this.length += chunk.length;
  }

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.push(Number(v));
    return this;
  }

  private tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): this {
    return this.tag(field, 0).varint(value);
  }

  float(field: number, value: number): this {
    const buf = new DataView(new ArrayBuffer(4));
    buf.setFloat32(0, value, true);
    this.tag(field, 5);
    for (let i = 0; i < 4; i++) this.push(buf.getUint8(i));
    return this;
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const data = Float32Array.from(values);
    return this.bytesField(field, new Uint8Array(data.buffer));
  }

  /** A packed repeated varint field (int32, int64). */
  packedVarints(field: number, values: Iterable<number | bigint>): this {
    return this.message(field, (w) => {
      for (const v of values) w.varint(v);
    });
  }

  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.append(data);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    inner.flush();
    this.tag(field, 2).varint(inner.length);
    for (const part of inner.parts) this.append(part);
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

// TensorProto field numbers of the typed data fields.
const FLOAT_DATA = 4, INT32_DATA = 5, INT64_DATA = 7;

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, OnnxDataType[t.type]);
  w.string(8, t.name);
  const storage = t.storage ?? 'raw';
  if (storage === 'raw') {
    w.bytesField(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  } else if (storage === 'typed') {
    if (t.data instanceof Float32Array) w.packedFloats(FLOAT_DATA, t.data);
    else if (t.data instanceof BigInt64Array) w.packedVarints(INT64_DATA, t.data);
    else w.packedVarints(INT32_DATA, t.data);
  } else {
    const entries: [string, string | number | undefined][] = [['location', storage.location], ['offset', storage.offset], ['length', storage.length]];
    for (const [key, value] of entries) if (value !== undefined) w.message(13, (e) => e.string(1, key).string(2, String(value)));
    w.int(14, 1); // data_location = EXTERNAL
  }
}

// AttributeProto.AttributeType values.
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_TENSOR = 4, ATTR_FLOATS = 6, ATTR_INTS = 7, ATTR_STRINGS = 8;

function writeAttribute(w: ProtoWriter, name: string, value: OnnxAttributeValue, asFloat: boolean): void {
  w.string(1, name);
  if (typeof value === 'string') {
    w.string(4, value).int(20, ATTR_STRING);
  } else if (typeof value === 'number') {
    if (asFloat || !Number.isInteger(value)) w.float(2, value).int(20, ATTR_FLOAT);
    else w.int(3, value).int(20, ATTR_INT);
  } else if (Array.isArray(value) && typeof value[0] === 'string') {
    for (const v of value as readonly string[]) w.string(9, v);
    w.int(20, ATTR_STRINGS);
  } else if (Array.isArray(value)) {
    const nums = value as readonly number[];
    if (asFloat || nums.some((v) => !Number.isInteger(v))) {
      for (const v of nums) w.float(7, v);
      w.int(20, ATTR_FLOATS);
    } else {
      for (const v of nums) w.int(8, v);
      w.int(20, ATTR_INTS);
    }
  } else {
    w.message(5, (t) => writeTensor(t, value as OnnxTensor)).int(20, ATTR_TENSOR);
  }
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, OnnxDataType[v.type]);
      const dims = v.dims;
      if (dims !== null)
        tensor.message(2, (shape) => {
          for (const d of dims)
            shape.message(1, (dim) => {
              if (typeof d === 'number') dim.int(1, d);
              else if (typeof d === 'string') dim.string(2, d);
            });
        });
    }),
  );
}

/** Encodes `graph` as a serialized ONNX ModelProto (IR version 8). */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const model = new ProtoWriter();
  model.int(1, 8);
  model.string(2, graph.producer?.name ?? 'sparq');
  if (graph.producer) model.string(3, graph.producer.version);
  model.message(8, (opset) => opset.string(1, '').int(2, graph.opset ?? 17));
  for (const [domain, version] of Object.entries(graph.otherOpsets ?? {})) model.message(8, (opset) => opset.string(1, domain).int(2, version));
  model.message(7, (g) => {
    graph.nodes.forEach((node, index) =>
      g.message(1, (n) => {
        for (const i of node.inputs) n.string(1, i);
        for (const o of node.outputs) n.string(2, o);
        n.string(3, node.name ?? `${node.opType}_${index}`);
        n.string(4, node.opType);
        for (const [name, value] of Object.entries(node.attributes ?? {}))
          n.message(5, (a) => writeAttribute(a, name, value, node.floatAttributes?.includes(name) ?? false));
        if (node.domain) n.string(7, node.domain);
      }),
    );
    g.string(2, graph.name ?? 'graph');
    for (const t of graph.initializers ?? []) g.message(5, (w) => writeTensor(w, t));
    for (const v of graph.inputs) g.message(11, (w) => writeValueInfo(w, v));
    for (const v of graph.outputs) g.message(12, (w) => writeValueInfo(w, v));
    for (const v of graph.valueInfo ?? []) g.message(13, (w) => writeValueInfo(w, v));
  });
  return model.finish();
}
