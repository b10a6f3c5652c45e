/**
 * The memory bound of a layer that must move some bytes: the same bytes
 * copied (Float32Array.set) across `threads` worker threads, best of 5, so
 * a layer whose data fits in cache is held to the cache's copy rate and a
 * large one to DRAM's (the depthwise benches' efficiency column).
 */
import { Worker } from 'node:worker_threads';

// Each worker copies its slice of a shared array `reps` times when asked and answers the milliseconds it took.
const COPIER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ src, dst, from, to, reps }) => {
  const a = new Float32Array(src).subarray(from, to), b = new Float32Array(dst).subarray(from, to);
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) b.set(a);
  parentPort.postMessage(performance.now() - t0);
});`;

export interface CopyBound {
  /** Seconds to copy `elements` float32 values (reading and writing 8 bytes each) on the threads: best of 5. */
  seconds(elements: number): Promise<number>;
  close(): Promise<void>;
}

export function copyBound(threads: number): CopyBound {
  const copiers = Array.from({ length: threads }, () => new Worker(COPIER, { eval: true }));
  return {
    async seconds(elements) {
      const src = new SharedArrayBuffer(elements * 4), dst = new SharedArrayBuffer(elements * 4);
      new Float32Array(src).fill(1);
      // About 20 ms per trial at 10 GB/s.
      const reps = Math.max(1, Math.round(0.02 / ((elements * 8) / 1e10)));
      let best = Infinity;
      for (let trial = 0; trial < 5; trial++) {
        const times = await Promise.all(copiers.map((worker, i) => new Promise<number>((resolve) => {
          worker.once('message', resolve);
          worker.postMessage({ src, dst, from: Math.floor((elements * i) / threads), to: Math.floor((elements * (i + 1)) / threads), reps });
        })));
        best = Math.min(best, Math.max(...times) / 1e3 / reps);
      }
      return best;
    },
    async close() {
      await Promise.all(copiers.map((worker) => worker.terminate()));
    },
  };
}
