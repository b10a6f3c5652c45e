/** Small data files in the formats the loaders read, written into a temporary directory by the data tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { rng } from '../../helpers.js';

/** An IDX file's bytes: magic 00 00 <type> <dims.length>, big-endian dims, then `data`. */
export function idxBytes(dims: readonly number[], data: Uint8Array, type = 0x08): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint8(2, type);
  header.setUint8(3, dims.length);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
  return Buffer.concat([new Uint8Array(header.buffer), data]);
}

/** `n` seeded images of h x w bytes and their labels (0-9), as IDX file bytes. */
export function idxImagesAndLabels(n: number, h: number, w: number, seed: number): { images: Uint8Array; labels: Uint8Array; pixels: Uint8Array; classes: Uint8Array } {
  const random = rng(seed);
  const pixels = Uint8Array.from({ length: n * h * w }, () => Math.floor(random() * 256));
  const classes = Uint8Array.from({ length: n }, () => Math.floor(random() * 10));
  return { images: idxBytes([n, h, w], pixels), labels: idxBytes([n], classes), pixels, classes };
}

/** CIFAR-10 records (1 label byte, then 3072 pixel bytes: the red, green and blue 32x32 planes) for `labels`, with seeded pixels. */
export function cifarRecords(labels: readonly number[], seed: number): Uint8Array {
  const random = rng(seed);
  const bytes = new Uint8Array(labels.length * 3073);
  labels.forEach((label, i) => {
    bytes[i * 3073] = label;
    for (let p = 1; p < 3073; p++) bytes[i * 3073 + p] = Math.floor(random() * 256);
  });
  return bytes;
}

/** A temporary directory: its path, writing a file into it (folders made as needed), removing it. */
export interface TempDir {
  readonly dir: string;
  write(name: string, bytes: Uint8Array): string;
  remove(): void;
}

export function tempDir(prefix: string): TempDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sparq-${prefix}-`));
  return {
    dir,
    write: (name, bytes) => {
      const file = path.join(dir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, bytes);
      return file;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** An assert.throws matcher: an error of `type` whose message matches `message`. */
export function rejects(type: new (...args: never[]) => Error, message: RegExp) {
  return (e: unknown) => {
    if (!(e instanceof type)) throw new Error(`expected a ${type.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (!message.test(e.message)) throw new Error(`message ${JSON.stringify(e.message)} does not match ${message}`);
    return true;
  };
}

/** Runs `test` in a fresh temporary directory, removed afterwards. */
export function inTempDir(prefix: string, test: (dir: TempDir) => void): void {
  const dir = tempDir(prefix);
  try {
    test(dir);
  } finally {
    dir.remove();
  }
}
