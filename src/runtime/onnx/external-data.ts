/**
 * Tensor data stored outside the model file (TensorProto.data_location =
 * EXTERNAL). The model names a file and a byte range; the file must lie
 * inside the model's directory, so a hostile model cannot make sparq read
 * /etc/passwd or ../../secrets, directly or through a symlink.
 */
import fs from 'node:fs';
import path from 'node:path';

import { OnnxLoadError } from './model.js';
import type { StringStringEntryProto } from './schema.js';

/**
 * Reads the `byteLength` bytes `entries` (location, offset, length; checksum ignored) point at, relative to `baseDir`.
 * Only that range is read, into a fresh buffer.
 * @throws {OnnxLoadError} without baseDir, for a location outside baseDir, or a range that does not fit the file or the tensor.
 */
export function readExternalData(entries: readonly StringStringEntryProto[], byteLength: number, what: string, baseDir: string | undefined): Uint8Array {
  if (baseDir === undefined)
    throw new OnnxLoadError(`${what} stores its data in an external file; load the model from a path or pass options.baseDir`);
  const fields = new Map(entries.map((e) => [e.key, e.value]));
  const location = fields.get('location');
  if (!location) throw new OnnxLoadError(`${what} stores its data externally but names no location`);
  const offset = byteCount(fields.get('offset') ?? '0', 'offset', what);
  const lengthField = fields.get('length');
  const length = lengthField === undefined ? undefined : byteCount(lengthField, 'length', what);
  if (length !== undefined && length !== byteLength)
    throw new OnnxLoadError(`${what} has external data length ${length} but its dims need ${byteLength} bytes`);

  const file = resolveInside(baseDir, location, what);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new OnnxLoadError(`${what}: cannot open external data file "${location}": ${(err as Error).message}`, { cause: err });
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new OnnxLoadError(`${what}: external data "${location}" is not a regular file`);
    const available = stat.size - offset;
    if (offset > stat.size || (length !== undefined && length > available))
      throw new OnnxLoadError(`${what}: external data range at offset ${offset} of ${length ?? 'rest of file'} bytes runs past the end of "${location}" (${stat.size} bytes)`);
    if (length === undefined && available !== byteLength)
      throw new OnnxLoadError(`${what}: external data "${location}" holds ${available} bytes from offset ${offset} but its dims need ${byteLength}`);
    return readRange(fd, offset, byteLength, what, location);
  } finally {
    fs.closeSync(fd);
  }
}

/** A non-negative integer written in decimal, as ONNX stores offset and length. */
function byteCount(text: string, key: string, what: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new OnnxLoadError(`${what} has external data ${key} "${text}"; it must be a non-negative integer`);
  return n;
}

/** The real path of `location` under `baseDir`, refusing absolute paths, `..` escapes and symlinks that lead out. */
function resolveInside(baseDir: string, location: string, what: string): string {
  const outside = new OnnxLoadError(`${what}: external data location "${location}" is outside the model's directory`);
  if (path.isAbsolute(location) || path.win32.isAbsolute(location)) throw outside;
  if (escapes(path.relative(baseDir, path.resolve(baseDir, location)))) throw outside;
  let realBase: string;
  let realFile: string;
  try {
    realBase = fs.realpathSync(baseDir);
    realFile = fs.realpathSync(path.resolve(baseDir, location));
  } catch (err) {
    throw new OnnxLoadError(`${what}: cannot find external data file "${location}": ${(err as Error).message}`, { cause: err });
  }
  if (escapes(path.relative(realBase, realFile))) throw outside;
  return realFile;
}

function escapes(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

function readRange(fd: number, offset: number, byteLength: number, what: string, location: string): Uint8Array {
  const out = new Uint8Array(byteLength);
  let done = 0;
  while (done < byteLength) {
    const n = fs.readSync(fd, out, done, byteLength - done, offset + done);
    // The file shrank between fstat and read.
    if (n === 0) throw new OnnxLoadError(`${what}: external data file "${location}" ended early`);
    done += n;
  }
  return out;
}
