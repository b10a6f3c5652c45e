/**
 * IDX files (MNIST, Fashion-MNIST): a magic number 00 00 <element type>
 * <dim count>, the dims as big-endian uint32, then the elements, row-major.
 * Read gzipped or raw, and checked byte for byte: a wrong file gets a
 * DataFileError naming it and what is wrong.
 */
import { checkLabels, checkPath, DataFileError, readDataFile } from './data-file.js';
import { imagesFromBytes, type Dataset } from './dataset.js';

/** IDX's element type codes other than uint8 (0x08), for the message that refuses them. */
const OTHER_TYPES: Record<number, string> = { 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/**
 * An IDX file of uint8 elements: its dims and its elements (a view of the
 * file's bytes past the header).
 * @throws {DataFileError} when the file is missing, its magic number is not IDX's, its elements are not uint8, or it holds more or fewer bytes than its dims say.
 */
export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  checkPath('file', file);
  const bytes = readDataFile(file);
  if (bytes.length < 4) throw new DataFileError(file, `holds ${bytes.length} bytes, fewer than IDX's 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new DataFileError(file, `is not an IDX file: its magic number ${hex(bytes.subarray(0, 4))} does not start with 00 00`);
  const type = bytes[2];
  if (type !== 0x08) {
    const name = OTHER_TYPES[type];
    throw new DataFileError(file, name ? `holds ${name} elements (IDX type 0x${hex([type])}); only uint8 (0x08) is read` : `is not an IDX file: its magic number ${hex(bytes.subarray(0, 4))} has an unknown element type 0x${hex([type])}`);
  }
  const rank = bytes[3];
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new DataFileError(file, `is truncated: holds ${bytes.length} bytes, fewer than the ${header}-byte header of its ${rank} dims`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, d) => a * d, 1);
  const held = bytes.length - header;
  if (held < size) throw new DataFileError(file, `is truncated: holds ${held} of the ${size} data bytes its dims [${dims.join(', ')}] need`);
  if (held > size) throw new DataFileError(file, `holds ${held - size} bytes past the ${size} data bytes its dims [${dims.join(', ')}] need`);
  return { dims, data: bytes.subarray(header) };
}

/**
 * An images file (dims [N, H, W]) and its labels file (dims [N], each in
 * 0-9) as a dataset of N images H x W x 1, values byte / 255.
 * @throws {DataFileError} for either file's problems (readIdx's, a wrong dim count, a label outside 0-9) and image and label counts that differ.
 * @throws TypeError naming a path that is not a non-empty string.
 */
export function readIdxDataset(imagesFile: string, labelsFile: string): Dataset {
  checkPath('imagesFile', imagesFile);
  checkPath('labelsFile', labelsFile);
  const images = readIdx(imagesFile);
  if (images.dims.length !== 3) throw new DataFileError(imagesFile, `has ${images.dims.length} dims [${images.dims.join(', ')}]; an images file has 3 [N, H, W]`);
  const labels = readIdxLabels(labelsFile);
  const [n, h, w] = images.dims;
  if (labels.length !== n) throw new DataFileError(labelsFile, `holds ${labels.length} labels but ${imagesFile} holds ${n} images`);
  const pixels = new Float32Array(n * h * w);
  imagesFromBytes(images.data, 0, h * w, n, [h, w, 1], 'hwc', pixels, 0);
  return { dims: [n, h, w, 1], images: pixels, labels };
}

/** A labels file's labels (one dim, each in 0-9), copied out of the file's bytes. */
function readIdxLabels(file: string): Uint8Array {
  const { dims, data } = readIdx(file);
  if (dims.length !== 1) throw new DataFileError(file, `has ${dims.length} dims [${dims.join(', ')}]; a labels file has 1 [N]`);
  checkLabels(file, data, 1, 0);
  return Uint8Array.from(data);
}

function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
