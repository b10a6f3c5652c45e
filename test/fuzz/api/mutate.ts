/**
 * Argument mutations of the API fuzzer. A call's arguments are first drawn
 * valid; a mutation then changes one place in them: a value of the wrong
 * kind, an extreme number, a truncated, shared, detached or offset array, an
 * output aliasing an input, a tampered handle. Some mutations keep the call
 * valid (`benign`: its result must still equal the reference), some must make
 * it throw (`mustReject`), the rest may do either but nothing else.
 */
import type { Draw } from './draw.js';

export interface Mutated {
  args: unknown[];
  label: string;
  /** The call is as valid as before: its result is checked. */
  benign: boolean;
  /** The call must throw a TypeError/RangeError. */
  mustReject: boolean;
}

/** Where a call's output may go: an `out` option that, aliasing an input, must be refused. */
export interface OutSlot {
  /** Index of the options argument. */
  options: number;
  type: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;
  length: number;
  /** The arrays the call reads. */
  reads: ArrayBufferView[];
}

type TypedArray = Float32Array | Int32Array | Uint8Array | Int8Array;
type Path = (string | number)[];

/** Numbers at the edges of what sparq accepts: sizes, int32 and float32 limits, zero points, NaN. */
const EDGE_NUMBERS = [
  0, -0, -1, 1, 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 2 ** 53 + 2,
  Number.MAX_VALUE, Number.MIN_VALUE, 1e-45, 3.4028235e38, 1e39, 127, 128, -128, -129, 255, 256, 65536,
];

/**
 * The edge numbers arguments take: all but the large valid sizes. A large
 * dimension next to a zero one is valid and costs nothing, until a product
 * contracts the zero away (A [2^31 - 1, 0] x B [0, 2]), and a pad of
 * 2^31 - 1 is valid: the result then really holds up to 2^32 - 1 elements
 * (validate.ts's limit), and the call rightly takes gigabytes and minutes.
 * test/empty-calls.test.ts covers huge dimensions of empty results.
 */
const ARGUMENT_EDGES = EDGE_NUMBERS.filter((v) => !(Number.isInteger(v) && v > 4096 && v <= 2 ** 31 - 1));

/** Values of every other kind (made fresh per call: a call may write into them). */
function junk(d: Draw): unknown {
  const makers: (() => unknown)[] = [
    () => undefined, () => null, () => d.pick(ARGUMENT_EDGES), () => '1', () => 'float32', () => true, () => ({}), () => [],
    () => Symbol('fuzz'), () => 10n, () => () => 0, () => new Proxy({}, {}), () => Object.create(null),
    () => new Uint16Array(3), () => new Float64Array(2), () => new DataView(new ArrayBuffer(8)), () => new ArrayBuffer(8),
    () => new Date(0), () => [1, 2], () => new Int32Array(4), () => new Float32Array(1),
  ];
  return d.pick(makers)();
}

function isTyped(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Every place in `root` a mutation can change: paths into plain arrays and objects, to depth 3. */
function slots(root: unknown[]): Path[] {
  const out: Path[] = [];
  const walk = (v: unknown, path: Path) => {
    if (path.length > 0) out.push(path);
    if (path.length >= 3) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (isPlain(v)) for (const k of Object.keys(v)) walk(v[k], [...path, k]);
  };
  walk(root, []);
  return out;
}

function get(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
}

/** `root` with the value at `path` replaced, copying the containers on the way (the originals stay as drawn). */
function set(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [k, ...rest] = path;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as object) }) as Record<string | number, unknown>;
  copy[k] = set(copy[k], rest, value);
  return copy;
}

/** A copy of `a` whose buffer is detached (transferred away), as after postMessage with transfer. */
function detached(a: TypedArray): TypedArray {
  const copy = a.slice();
  structuredClone(copy.buffer, { transfer: [copy.buffer] });
  return copy;
}

function sharedCopy(a: TypedArray): TypedArray {
  const ctor = a.constructor as new (b: ArrayBufferLike) => TypedArray;
  const view = new ctor(new SharedArrayBuffer(a.byteLength));
  view.set(a);
  return view;
}

/** `a`'s values in a view starting some elements into a larger buffer filled with other values. */
function offsetCopy(a: TypedArray, d: Draw): TypedArray {
  const ctor = a.constructor as new (n: number) => TypedArray;
  const offset = d.int(1, 7);
  const big = new ctor(a.length + offset + d.int(0, 3)).fill(d.pick([0, 1, 77]));
  big.set(a, offset);
  return big.subarray(offset, offset + a.length) as TypedArray;
}

function mutateArray(a: TypedArray, d: Draw): { value: unknown; label: string; benign: boolean } {
  switch (d.int(0, 6)) {
    case 0: return { value: sharedCopy(a), label: 'shared', benign: true };
    case 1: return { value: offsetCopy(a, d), label: 'offset', benign: true };
    case 2: return { value: a.subarray(0, Math.max(0, a.length - d.int(1, 2))), label: 'truncated', benign: false };
    case 3: {
      const ctor = a.constructor as new (n: number) => TypedArray;
      const longer = new ctor(a.length + 1);
      longer.set(a);
      return { value: longer, label: 'extended', benign: false };
    }
    case 4: return { value: detached(a), label: 'detached', benign: a.length === 0 };
    case 5: {
      const other = d.pick([Float32Array, Int32Array, Uint8Array, Int8Array, Uint8ClampedArray, Float64Array, Int16Array]);
      return { value: new other(a.length), label: `as ${other.name}`, benign: false };
    }
    default: return { value: junk(d), label: 'junk', benign: false };
  }
}

/** An own field of a handle set to junk, an array's contents scrambled in place, or the handle faked or disposed. */
function tamper(h: object, d: Draw): { value: unknown; label: string; mustReject: boolean } {
  const proto = Object.getPrototypeOf(h) as object;
  switch (d.int(0, 4)) {
    case 0: return { value: Object.assign(Object.create(proto), h), label: 'fake handle (Object.create)', mustReject: true };
    case 1: {
      if (typeof (h as { dispose?: unknown }).dispose !== 'function') break;
      (h as { dispose(): void }).dispose();
      return { value: h, label: 'disposed handle', mustReject: true };
    }
    case 2: {
      const key = d.pick(Object.keys(h));
      if (key === undefined) break;
      try {
        Object.defineProperty(h, key, { value: junk(d), writable: true, configurable: true, enumerable: true });
      } catch {
        return { value: h, label: `handle field ${key} is read-only`, mustReject: false };
      }
      return { value: h, label: `handle field ${key} = junk`, mustReject: false };
    }
    default: {
      // Arrays the handle holds, directly or one level down (a packed weight's source tensor).
      const arrays: TypedArray[] = [];
      for (const v of Object.values(h)) {
        if (isTyped(v)) arrays.push(v);
        else if (isPlain(v)) for (const w of Object.values(v)) if (isTyped(w)) arrays.push(w);
      }
      const a = arrays.length > 0 ? d.pick(arrays) : undefined;
      if (a === undefined || a.length === 0) break;
      const count = d.int(1, 3);
      for (let i = 0; i < count; i++) a[d.int(0, a.length - 1)] = d.pick(EDGE_NUMBERS.filter(Number.isFinite).concat([-(2 ** 31), 2 ** 31 - 1, -1]));
      return { value: h, label: `handle ${a.constructor.name} contents scrambled`, mustReject: false };
    }
  }
  return { value: junk(d), label: 'junk for handle', mustReject: false };
}

/** One mutation of `args` (the drawn call); `out` says where an aliasing output may be put. */
export function mutate(args: unknown[], arity: number, d: Draw, out?: OutSlot): Mutated {
  if (out && d.chance(0.08)) return alias(args, out, d);
  if (d.chance(0.05)) {
    // Past every parameter (the optional ones left undefined): a JS function ignores it.
    const padded = Array.from({ length: arity }, (_, i) => args[i]);
    return { args: [...padded, junk(d)], label: 'extra argument', benign: true, mustReject: false };
  }
  const places = slots(args);
  const path = d.pick(places);
  const value = get(args, path);
  const where = path.join('.');
  const done = (v: unknown, label: string, benign = false, mustReject = false): Mutated =>
    ({ args: set(args, path, v) as unknown[], label: `${where}: ${label}`, benign, mustReject });
  if (isTyped(value)) {
    const m = mutateArray(value, d);
    return done(m.value, m.label, m.benign);
  }
  if (typeof value === 'object' && value !== null && !isPlain(value) && !Array.isArray(value)) {
    const t = tamper(value, d);
    return done(t.value, t.label, false, t.mustReject);
  }
  if (typeof value === 'number' && d.chance(0.7)) return done(d.pick(ARGUMENT_EDGES), 'edge number');
  if (Array.isArray(value) && d.chance(0.6)) {
    const copy = [...value];
    if (d.chance(0.5)) copy.splice(d.int(0, copy.length), 0, d.pick(ARGUMENT_EDGES));
    else copy.pop();
    return done(copy, 'array resized');
  }
  if (isPlain(value) && d.chance(0.5)) {
    const keys = Object.keys(value);
    if (d.chance(0.5) || keys.length === 0) return done({ ...value, fuzzExtra: junk(d) }, 'extra key', true);
    const { [d.pick(keys)]: _dropped, ...rest } = value;
    return done(rest, 'key removed');
  }
  return done(junk(d), 'junk');
}

/** `out` set to a view of the output's type and length over an input's bytes: the call must refuse it. */
function alias(args: unknown[], out: OutSlot, d: Draw): Mutated {
  const bytes = out.length * (out.type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const inputs = out.reads.filter((r) => r.byteLength > 0 && r.buffer.byteLength >= bytes);
  const options = (args[out.options] ?? {}) as object;
  if (bytes === 0 || inputs.length === 0) return { args, label: 'no alias possible', benign: true, mustReject: false };
  const input = d.pick(inputs);
  const size = (out.type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  // Starts inside the input (aligned to the output's element size) and fits the buffer.
  const start = Math.min(Math.floor(input.byteOffset / size) * size, Math.floor((input.buffer.byteLength - bytes) / size) * size);
  const view = new out.type(input.buffer, start, out.length);
  const overlaps = start < input.byteOffset + input.byteLength && input.byteOffset < start + bytes;
  const mutated = [...args];
  mutated[out.options] = { ...options, out: view };
  return { args: mutated, label: `options.out aliases an input${overlaps ? '' : ' buffer (disjoint bytes)'}`, benign: !overlaps, mustReject: overlaps };
}
