/**
 * Training progress: a one-line bar on a terminal (epoch, batch, loss,
 * accuracy, images/s, time left), JSON lines otherwise (one per epoch's end
 * and at most one a second between), or a callback.
 */
import { fail, typeFail } from '../../validate.js';

export interface Progress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  /** Batches per epoch, once known (the first epoch's count, or the length of an array of batches). */
  batches: number | undefined;
  /** Images seen this epoch. */
  images: number;
  /** Mean loss and accuracy over this epoch's batches so far. */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  /** Estimated seconds until the last epoch ends, once batches is known. */
  secondsLeft: number | undefined;
  /** Whether this is the epoch's last report. */
  epochDone: boolean;
  /** At an epoch's end with options.validation: loss and accuracy on those batches in eval mode. */
  validation?: { loss: number; accuracy: number };
}

export type ProgressOption = 'auto' | 'bar' | 'json' | 'none' | ((progress: Progress) => void);

/** mm:ss, or h:mm:ss from an hour. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  const two = (v: number) => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** The bar's line for `p` (without the carriage return). */
export function progressLine(p: Progress, width = 24): string {
  const share = p.batches ? Math.min(1, p.batch / p.batches) : 0;
  const filled = Math.round(share * width);
  const bar = p.batches ? `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${p.batch}/${p.batches}` : `batch ${p.batch}`;
  const left = p.secondsLeft === undefined ? '' : `  ${clock(p.secondsLeft)} left`;
  const validation = p.validation ? `  val loss ${p.validation.loss.toFixed(4)}  val acc ${(100 * p.validation.accuracy).toFixed(2)}%` : '';
  return `epoch ${p.epoch}/${p.epochs} ${bar}  loss ${p.loss.toFixed(4)}  acc ${(100 * p.accuracy).toFixed(2)}%  ${Math.round(p.imagesPerSecond)} img/s${left}${validation}`;
}

/** The reporter for `option` ('auto': the bar when stderr is a terminal, JSON lines on stdout otherwise). */
export function progressReporter(option: unknown): (p: Progress) => void {
  if (typeof option === 'function') return option as (p: Progress) => void;
  if (typeof option !== 'string') typeFail('options.progress', "must be 'auto', 'bar', 'json', 'none' or a function");
  if (!['auto', 'bar', 'json', 'none'].includes(option)) fail('options.progress', `must be 'auto', 'bar', 'json', 'none' or a function, got ${JSON.stringify(option)}`);
  const kind = option === 'auto' ? (process.stderr.isTTY ? 'bar' : 'json') : option;
  if (kind === 'none') return () => {};
  let last = 0;
  // Redraws at most 10 times a second (JSON: once a second), always at an epoch's end.
  const due = (p: Progress, interval: number) => {
    const now = performance.now();
    if (!p.epochDone && now - last < interval) return false;
    last = now;
    return true;
  };
  if (kind === 'json') return (p) => due(p, 1000) && process.stdout.write(`${JSON.stringify(p)}\n`);
  return (p) => due(p, 100) && process.stderr.write(`\r${progressLine(p)}\x1b[K${p.epochDone ? '\n' : ''}`);
}
