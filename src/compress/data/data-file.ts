/**
 * Reading a dataset's files: the errors that name the file and what is wrong
 * with it, and the read itself (gzipped or raw, told apart by content).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

import { typeFail } from '../../validate.js';

/** A data file that is missing, unreadable or not what its format says; `file` is its path. */
export class DataFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'DataFileError';
  }
}

/** A dataset whose files are not where it was looked for; the message says where that was and how to get them. */
export class DatasetNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetNotFoundError';
  }
}

/** The labels the loaders accept: the ten classes of MNIST, Fashion-MNIST and CIFAR-10. */
export const CLASSES = 10;

/** A path argument: a non-empty string. */
export function checkPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') typeFail(name, `must be a non-empty path string, got ${value === '' ? 'an empty string' : typeof value}`);
  return value;
}

/**
 * The bytes of `file`, gunzipped when they start with gzip's magic 1f 8b
 * (whatever the name says: users unpack files and keep names, or not).
 * @throws {DataFileError} when the file is missing or unreadable, or its gzip stream is truncated or damaged.
 */
export function readDataFile(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataFileError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${(e as Error).message})`);
  }
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new DataFileError(file, `its gzip data is truncated or damaged (${(e as Error).message})`);
  }
}

/**
 * Throws a DataFileError naming `file` at the first of the labels, `stride`
 * bytes apart from bytes[offset], outside 0-9.
 */
export function checkLabels(file: string, bytes: Uint8Array, stride: number, offset: number): void {
  for (let i = offset, n = 0; i < bytes.length; i += stride, n++) {
    if (bytes[i] >= CLASSES) throw new DataFileError(file, `label ${bytes[i]} of image ${n} is outside 0-${CLASSES - 1}`);
  }
}
