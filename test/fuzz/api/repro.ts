/**
 * A fuzzed call written as the JS that makes it (arrays of more than a few
 * dozen values abbreviated, how an array is backed noted in a comment), for
 * findings and for counting distinct inputs.
 */
const SHOWN = 32;

function array(v: ArrayBufferView & ArrayLike<number | bigint>): string {
  const name = v.constructor.name;
  if (v instanceof DataView) return `new DataView(new ArrayBuffer(${v.byteLength}))`;
  const notes: string[] = [];
  if (v.buffer instanceof SharedArrayBuffer) notes.push('SharedArrayBuffer');
  if (v.byteOffset > 0 || v.byteLength < v.buffer.byteLength) notes.push(`view at byte ${v.byteOffset} of ${v.buffer.byteLength}`);
  const note = notes.length > 0 ? `/* ${notes.join(', ')} */ ` : '';
  // Indexed, not iterated: iterating a detached array throws.
  const shown: string[] = [];
  for (let i = 0; i < Math.min(v.length, SHOWN); i++) shown.push(js(v[i]));
  if (v.length > SHOWN) return `${note}new ${name}(${v.length}) /* ${shown.slice(0, 8).join(', ')}, ... */`;
  return `${note}${name}.of(${shown.join(', ')})`;
}

/** `value` as a JS expression (handles as their class and fields). */
export function js(value: unknown, depth = 0): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return String(value).slice(0, 40);
  if (value === undefined || value === null || typeof value === 'boolean') return String(value);
  if (depth > 4) return '...';
  if (ArrayBuffer.isView(value)) return array(value as ArrayBufferView & ArrayLike<number>);
  if (value instanceof ArrayBuffer) return `new ArrayBuffer(${value.byteLength})`;
  if (Array.isArray(value)) return `[${value.map((v) => js(v, depth + 1)).join(', ')}]`;
  const proto = Object.getPrototypeOf(value);
  const fields = Object.entries(value as object).map(([k, v]) => `${k}: ${js(v, depth + 1)}`).join(', ');
  if (proto === Object.prototype) return `{ ${fields} }`;
  const name = proto === null ? 'Object.create(null)' : (proto.constructor?.name ?? 'object');
  return `${name} { ${fields} }`;
}

export function callSource(api: string, async: boolean, args: unknown[]): string {
  const owner = api === 'tensor' || api.startsWith('SparseMatrix') ? '' : 'cpu.';
  return `${async ? 'await ' : ''}${owner}${api}${async ? 'Async' : ''}(${args.map((a) => js(a)).join(', ')})`;
}

/** FNV-1a of `text`: distinct inputs are counted by the hashes of their sources. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
