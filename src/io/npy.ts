/**
 * A reader of NumPy .npy files (format versions 1 and 2): little-endian
 * float32, float64, int8, uint8, int32 and int64 arrays in C order, which is
 * what `numpy.save` writes for the inputs of a model. Anything else (big
 * endian, Fortran order, other dtypes, a damaged header, too few bytes) is
 * an NpyError naming the file and what is wrong.
 */

export class NpyError extends Error {
  override name = 'NpyError';
}

export type NpyDtype = 'float32' | 'float64' | 'int8' | 'uint8' | 'int32' | 'int64';

export interface NpyArray {
  dtype: NpyDtype;
  dims: number[];
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;
}

/** descr -> dtype: '<' little-endian, '|' byte-sized (no order). */
const DESCRS: Record<string, NpyDtype> = {
  '<f4': 'float32', '<f8': 'float64', '|i1': 'int8', '|u1': 'uint8', '<i4': 'int32', '<i8': 'int64',
};

const ARRAYS = { float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int32: Int32Array, int64: BigInt64Array } as const;

const MAGIC = [0x93, ...Buffer.from('NUMPY')];

/** The header dict numpy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } (keys in any order). */
function parseHeader(header: string, fail: (why: string) => never): { descr: string; fortranOrder: boolean; dims: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || order === undefined || shape === undefined) fail(`header is not a NumPy header dict: ${header.trim()}`);
  const parts = shape.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.some((p) => !/^\d+$/.test(p))) fail(`header's shape (${shape}) is not a tuple of integers`);
  return { descr, fortranOrder: order === 'True', dims: parts.map(Number) };
}

/** The array in `bytes`, the content of `file` (named in errors). */
export function readNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (why: string): never => {
    throw new NpyError(`${file}: ${why}`);
  };
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (no \\x93NUMPY magic)');
  if (bytes.length < 8) fail('truncated in the header');
  const major = bytes[6];
  if (major !== 1 && major !== 2) fail(`.npy format version ${major}.${bytes[7]} is not supported (1.0 and 2.0 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail('truncated in the header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) fail(`truncated in the header (${bytes.length} bytes, the header ends at ${dataStart})`);
  const header = Buffer.from(bytes.subarray(8 + lengthBytes, dataStart)).toString('latin1');
  const { descr, fortranOrder, dims } = parseHeader(header, fail);
  const dtype = DESCRS[descr];
  if (dtype === undefined) fail(`dtype '${descr}' is not supported (little-endian ${Object.keys(DESCRS).join(', ')})`);
  if (fortranOrder) fail('is in Fortran order; save it in C order (numpy.ascontiguousarray)');
  const Ctor = ARRAYS[dtype];
  const count = dims.reduce((a, b) => a * b, 1);
  const end = dataStart + count * Ctor.BYTES_PER_ELEMENT;
  if (bytes.length < end) fail(`truncated: shape (${dims}) of ${dtype} needs ${end - dataStart} data bytes, the file has ${bytes.length - dataStart}`);
  if (bytes.length > end) fail(`has ${bytes.length - end} bytes after the data of shape (${dims}) of ${dtype}`);
  // A copy: the data may not be aligned to its element size within the file's buffer
  // (and a Buffer's slice() shares its memory, often Node's whole pool).
  const copy = new Uint8Array(end - dataStart);
  copy.set(bytes.subarray(dataStart, end));
  const data = new Ctor(copy.buffer);
  return { dtype, dims, data };
}
