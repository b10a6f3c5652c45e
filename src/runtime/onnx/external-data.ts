/**
 * Tensor data stored outside the model file (TensorProto.data_location =
 * EXTERNAL). The model names a file and a byte range; the file must lie
 * inside the model's directory, so a hostile model cannot make sparq read
 * /etc/passwd or ../../secrets, directly or through a symlink. It must also
 * be a regular file: opening a FIFO blocks until a writer comes (forever,
 * and on the event loop's thread when opened synchronously), and opening a
 * device can have side effects. So the type is checked before the open, the
 * open neither blocks nor follows a link, and the opened file must be the
 * one checked.
 *
 * The decoder asks for each tensor's bytes (a Decoding yields an
 * ExternalDataRequest); readOnnx answers with readExternalDataSync,
 * loadOnnx with the asynchronous readExternalData, which leaves the event
 * loop free while it reads.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

import { OnnxLoadError } from './model.js';
import type { StringStringEntryProto } from './schema.js';

/** The bytes of one externally stored tensor, as the decoder asks for them. */
export interface ExternalDataRequest {
  /** The tensor's external_data entries: location, offset, length (checksum ignored). */
  entries: readonly StringStringEntryProto[];
  /** What the tensor's type and dims need. */
  byteLength: number;
  /** Names the tensor in errors ('tensor "w"'). */
  what: string;
}

/** A decoding step that may ask for external data: it yields requests and is resumed with each one's bytes. */
export type Decoding<T> = Generator<ExternalDataRequest, T, Uint8Array>;

// O_NONBLOCK: opening a FIFO (swapped in after the type check) returns at once instead of waiting for a writer.
// O_NOFOLLOW: a symlink swapped in fails the open. Neither exists on Windows, where they are undefined and add nothing.
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

/** A request's location and range, parsed and checked against the tensor. */
interface ExternalRange {
  what: string;
  location: string;
  baseDir: string;
  offset: number;
  /** undefined: to the end of the file. */
  length: number | undefined;
  byteLength: number;
}

/**
 * Reads the bytes `request` points at, relative to `baseDir`, into a fresh buffer, on the calling thread.
 * @throws {OnnxLoadError} without baseDir, for a location outside baseDir or not a regular file, or a range that does not fit the file or the tensor.
 */
export function readExternalDataSync(request: ExternalDataRequest, baseDir: string | undefined): Uint8Array {
  const range = externalRange(request, baseDir);
  const [realBase, realFile] = attempt(range, 'find', () => [fs.realpathSync(range.baseDir), fs.realpathSync(path.resolve(range.baseDir, range.location))]);
  const file = checkInside(range, realBase, realFile);
  const checked = checkRegular(range, attempt(range, 'find', () => fs.lstatSync(file)));
  const fd = attempt(range, 'open', () => fs.openSync(file, OPEN_FLAGS));
  try {
    checkFits(range, checkSameFile(range, checked, fs.fstatSync(fd)));
    const out = new Uint8Array(range.byteLength);
    for (let done = 0; done < out.length; ) {
      const n = fs.readSync(fd, out, done, out.length - done, range.offset + done);
      if (n === 0) throw endedEarly(range);
      done += n;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * readExternalDataSync with every file operation asynchronous.
 * @throws {OnnxLoadError} as readExternalDataSync.
 */
export async function readExternalData(request: ExternalDataRequest, baseDir: string | undefined): Promise<Uint8Array> {
  const range = externalRange(request, baseDir);
  const [realBase, realFile] = await attemptAsync(range, 'find', () => Promise.all([fsp.realpath(range.baseDir), fsp.realpath(path.resolve(range.baseDir, range.location))]));
  const file = checkInside(range, realBase, realFile);
  const checked = checkRegular(range, await attemptAsync(range, 'find', () => fsp.lstat(file)));
  const handle = await attemptAsync(range, 'open', () => fsp.open(file, OPEN_FLAGS));
  try {
    checkFits(range, checkSameFile(range, checked, await handle.stat()));
    const out = new Uint8Array(range.byteLength);
    for (let done = 0; done < out.length; ) {
      const { bytesRead } = await handle.read(out, done, out.length - done, range.offset + done);
      if (bytesRead === 0) throw endedEarly(range);
      done += bytesRead;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** The request's fields, checked, with the location refused when it is absolute or leads out of baseDir by its text alone. */
function externalRange({ entries, byteLength, what }: ExternalDataRequest, baseDir: string | undefined): ExternalRange {
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
  const range = { what, location, baseDir, offset, length, byteLength };
  if (path.isAbsolute(location) || path.win32.isAbsolute(location) || escapes(path.relative(baseDir, path.resolve(baseDir, location)))) throw outside(range);
  return range;
}

/** A non-negative integer written in decimal, as ONNX stores offset and length. */
function byteCount(text: string, key: string, what: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new OnnxLoadError(`${what} has external data ${key} "${text}"; it must be a non-negative integer`);
  return n;
}

/** The real file, refused when symlinks lead it out of the real base directory. */
function checkInside(range: ExternalRange, realBase: string, realFile: string): string {
  if (escapes(path.relative(realBase, realFile))) throw outside(range);
  return realFile;
}

function escapes(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

function outside({ what, location }: ExternalRange): OnnxLoadError {
  return new OnnxLoadError(`${what}: external data location "${location}" is outside the model's directory`);
}

/** The file's lstat, refused unless it is a regular file (a FIFO, device, socket or directory is never opened). */
function checkRegular({ what, location }: ExternalRange, stat: fs.Stats): fs.Stats {
  if (!stat.isFile()) throw new OnnxLoadError(`${what}: external data "${location}" is not a regular file`);
  return stat;
}

/** The opened file's stat, refused unless it is the file checked before the open. */
function checkSameFile({ what, location }: ExternalRange, checked: fs.Stats, opened: fs.Stats): fs.Stats {
  if (opened.dev !== checked.dev || opened.ino !== checked.ino) throw new OnnxLoadError(`${what}: external data "${location}" was replaced while it was opened`);
  return opened;
}

/** Refuses a range that runs past the end of the file, or (without a length) one whose rest of the file is not the tensor's size. */
function checkFits({ what, location, offset, length, byteLength }: ExternalRange, stat: fs.Stats): void {
  const available = stat.size - offset;
  if (offset > stat.size || (length !== undefined && length > available))
    throw new OnnxLoadError(`${what}: external data range at offset ${offset} of ${length ?? 'rest of file'} bytes runs past the end of "${location}" (${stat.size} bytes)`);
  if (length === undefined && available !== byteLength)
    throw new OnnxLoadError(`${what}: external data "${location}" holds ${available} bytes from offset ${offset} but its dims need ${byteLength}`);
}

/** The file shrank between the stat and the read. */
function endedEarly({ what, location }: ExternalRange): OnnxLoadError {
  return new OnnxLoadError(`${what}: external data file "${location}" ended early`);
}

/** `step()`, a failure becoming an OnnxLoadError that says what could not be done to the file. */
function attempt<T>(range: ExternalRange, verb: 'find' | 'open', step: () => T): T {
  try {
    return step();
  } catch (err) {
    throw cannot(range, verb, err);
  }
}

async function attemptAsync<T>(range: ExternalRange, verb: 'find' | 'open', step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw cannot(range, verb, err);
  }
}

function cannot({ what, location }: ExternalRange, verb: 'find' | 'open', err: unknown): OnnxLoadError {
  return new OnnxLoadError(`${what}: cannot ${verb} external data file "${location}": ${(err as Error).message}`, { cause: err });
}
