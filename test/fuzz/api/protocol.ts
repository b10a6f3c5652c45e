/** The messages between the API fuzzer's supervisor and its child process. */

export interface WorkerTask {
  seed: number;
  start: number;
  end: number;
  /** Date.now() after which no call starts. */
  deadline: number;
  /** Announce every call before making it (to pin a crash or hang on one). */
  step: boolean;
  /** The supervisor's own test: call `index` crashes, hangs or keeps memory instead of calling sparq. */
  sabotage?: Sabotage;
}

export interface Sabotage {
  index: number;
  kind: 'crash' | 'hang' | 'memory';
}

export interface Counts {
  calls: number;
  /** Calls whose arguments were valid (drawn, or mutated in a way that keeps them so). */
  valid: number;
  /** Invalid calls refused with a TypeError/RangeError. */
  rejected: number;
  /** Valid calls whose result equalled the reference. */
  checked: number;
  /** Mutated calls that were not refused (their arguments still made sense to sparq); results not compared. */
  accepted: number;
}

export type FromWorker =
  | { type: 'start'; index: number; source: string }
  | { type: 'beat'; next: number; counts: Counts; rss: number }
  | { type: 'finding'; index: number; what: string; message: string; source: string }
  | { type: 'done'; counts: Counts; hashes: number[] };
